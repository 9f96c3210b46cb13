//! The admin password rule the device enforces when a new password is set, stated once: the
//! numbers below, the check that applies them, and the words the device shows next to its
//! new-password form ([`policy_text`]), made from the same numbers.

pub const MIN_PASSWORD_CHARS: usize = 8;
pub const MAX_PASSWORD_CHARS: usize = 16;
/// Of the four kinds (digits, lowercase letters, uppercase letters, symbols), how many a
/// password must mix.
pub const MIN_PASSWORD_KINDS: usize = 2;

/// Which rule a password breaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PolicyError {
    #[error("the password must be {MIN_PASSWORD_CHARS} to {MAX_PASSWORD_CHARS} characters long")]
    Length,
    #[error("the password may only use letters, digits and keyboard symbols (no spaces)")]
    Character,
    #[error(
        "the password must mix at least {} of: digits, lowercase letters, uppercase letters, symbols",
        number_word(MIN_PASSWORD_KINDS)
    )]
    TooFewKinds,
    #[error("the password must not contain the user name")]
    ContainsUserName,
}

/// The rule in words, as the device shows it next to the new-password form: every part of
/// [`check_password`], in the order it checks them.
pub fn policy_text() -> String {
    format!(
        "{MIN_PASSWORD_CHARS} to {MAX_PASSWORD_CHARS} characters: letters, digits and keyboard \
         symbols, no spaces, mixing at least {} of digits, lowercase letters, uppercase letters \
         and symbols. It must not contain the user name.",
        number_word(MIN_PASSWORD_KINDS)
    )
}

fn number_word(n: usize) -> String {
    match n {
        1 => "one".into(),
        2 => "two".into(),
        3 => "three".into(),
        4 => "four".into(),
        other => other.to_string(),
    }
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
    if kinds.iter().filter(|present| **present).count() < MIN_PASSWORD_KINDS {
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

    /// The words the device shows are read the way a person would read them, and each thing
    /// they promise is what the check does: the lengths they name are the shortest and longest
    /// accepted, the number of kinds they name is the fewest accepted, and spaces and the user
    /// name, which they forbid, are refused.
    #[test]
    fn the_rule_the_device_shows_is_the_rule_it_checks() {
        let text = policy_text();
        let (range, rest) = text.split_once(" characters").unwrap();
        let (min, max) = range.split_once(" to ").unwrap();
        let (min, max): (usize, usize) = (min.parse().unwrap(), max.parse().unwrap());
        let of_length = |n: usize| format!("Aa1{}", "x".repeat(n - 3));
        assert_eq!(
            check_password("admin", &of_length(min - 1)),
            Err(PolicyError::Length)
        );
        assert_eq!(check_password("admin", &of_length(min)), Ok(()));
        assert_eq!(check_password("admin", &of_length(max)), Ok(()));
        assert_eq!(
            check_password("admin", &of_length(max + 1)),
            Err(PolicyError::Length)
        );

        let kinds_word = rest
            .split_once("mixing at least ")
            .and_then(|(_, after)| after.split(' ').next())
            .unwrap();
        let kinds = ["one", "two", "three", "four"]
            .iter()
            .position(|w| *w == kinds_word)
            .unwrap()
            + 1;
        // Passwords of min length using the first `n` kinds, for every n.
        let sample = |n: usize| -> String {
            let alphabet = ["1", "a", "B", "!"];
            (0..min).map(|i| alphabet[i % n]).collect()
        };
        for n in 1..=4 {
            let verdict = check_password("admin", &sample(n));
            assert_eq!(verdict.is_ok(), n >= kinds, "{n} kinds: {verdict:?}");
        }

        assert!(text.contains("no spaces"));
        assert_eq!(
            check_password("admin", "Camera 2024"),
            Err(PolicyError::Character)
        );
        assert!(text.contains("must not contain the user name"));
        assert_eq!(
            check_password("admin", "Admin2024"),
            Err(PolicyError::ContainsUserName)
        );
    }
}
