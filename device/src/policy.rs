//! The admin password policy the device enforces when a new password is set.

pub const MIN_PASSWORD_CHARS: usize = 8;
pub const MAX_PASSWORD_CHARS: usize = 16;

/// The policy in words, as the device shows it next to the new-password form.
pub const PASSWORD_POLICY_TEXT: &str = "8 to 16 characters, mixing at least two of: digits, \
lowercase letters, uppercase letters, symbols. It must not contain the user name.";

/// Which rule a password breaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PolicyError {
    #[error("the password must be 8 to 16 characters long")]
    Length,
    #[error("the password may only use letters, digits and keyboard symbols (no spaces)")]
    Character,
    #[error(
        "the password must mix at least two of: digits, lowercase letters, uppercase letters, symbols"
    )]
    TooFewKinds,
    #[error("the password must not contain the user name")]
    ContainsUserName,
}

/// Checks `password` for the account `user`.
pub fn check_password(user: &str, password: &str) -> Result<(), PolicyError> {
    let length = password.chars().count();
    if !(MIN_PASSWORD_CHARS..=MAX_PASSWORD_CHARS).contains(&length) {
        return Err(PolicyError::Length);
    }
    // An NVR is typed on with an on-screen keyboard or a mouse: printable ASCII only, and no
    // spaces, which people cannot see they typed.
    if !password.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(PolicyError::Character);
    }
    let kinds = [
        password.bytes().any(|b| b.is_ascii_digit()),
        password.bytes().any(|b| b.is_ascii_lowercase()),
        password.bytes().any(|b| b.is_ascii_uppercase()),
        password.bytes().any(|b| b.is_ascii_punctuation()),
    ];
    if kinds.iter().filter(|present| **present).count() < 2 {
        return Err(PolicyError::TooFewKinds);
    }
    let user = user.to_ascii_lowercase();
    if !user.is_empty() && password.to_ascii_lowercase().contains(&user) {
        return Err(PolicyError::ContainsUserName);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_good_password_passes() {
        assert_eq!(check_password("admin", "Camera2024"), Ok(()));
        assert_eq!(check_password("admin", "night-owl7"), Ok(()));
    }

    #[test]
    fn too_short_or_too_long_is_refused() {
        assert_eq!(check_password("admin", "Abc1234"), Err(PolicyError::Length));
        assert_eq!(
            check_password("admin", "Abcdefgh123456789"),
            Err(PolicyError::Length)
        );
        assert_eq!(check_password("admin", "Abc12345"), Ok(()));
        assert_eq!(check_password("admin", "Abcdefgh12345678"), Ok(()));
    }

    #[test]
    fn one_kind_of_character_is_refused() {
        for weak in ["12345678", "abcdefgh", "ABCDEFGH", "!@#$%^&*"] {
            assert_eq!(check_password("admin", weak), Err(PolicyError::TooFewKinds));
        }
    }

    #[test]
    fn the_user_name_is_refused_in_any_case() {
        assert_eq!(
            check_password("admin", "myADMIN99"),
            Err(PolicyError::ContainsUserName)
        );
        assert_eq!(
            check_password("admin", "Admin2024"),
            Err(PolicyError::ContainsUserName)
        );
    }

    #[test]
    fn spaces_and_non_ascii_are_refused() {
        assert_eq!(
            check_password("admin", "Camera 2024"),
            Err(PolicyError::Character)
        );
        assert_eq!(
            check_password("admin", "Kamera2024é"),
            Err(PolicyError::Character)
        );
    }
}
