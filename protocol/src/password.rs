//! The account password rule, stated once for the cloud (which enforces it) and the app core (which
//! checks it before sending, and gives the front ends its text as a message id).
//!
//! The rule follows NIST SP 800-63B (section 5.1.1.2, memorized secrets): length is what makes a
//! password strong, so the rule asks for length and nothing else a person has to puzzle over.
//!
//! - at least [`MIN_PASSWORD_CHARS`] characters (and at most [`MAX_PASSWORD_CHARS`], which also
//!   bounds the cloud's argon2 input); any characters, spaces included (`correct horse battery
//!   staple` is a good password);
//! - no composition rules (no "a digit and a letter"): they make passwords harder to remember and
//!   no harder to guess;
//! - not one of the passwords every attacker tries first ([`COMMON_PASSWORDS`], a short list of the
//!   most used ones, and one character repeated), and not the account's e-mail address or the part
//!   before its `@`.
//!
//! Lengths count characters (Unicode scalar values), as JSON Schema's `maxLength` does.

pub use crate::api::{MAX_PASSWORD_CHARS, MIN_PASSWORD_CHARS};

/// The passwords attackers try first, each at least [`MIN_PASSWORD_CHARS`] long (shorter ones fail
/// the length rule anyway); compared without regard to case.
pub const COMMON_PASSWORDS: &[&str] = &[
    "password",
    "password1",
    "password12",
    "password123",
    "passw0rd",
    "p@ssw0rd",
    "12345678",
    "123456789",
    "1234567890",
    "0123456789",
    "87654321",
    "qwertyui",
    "qwertyuiop",
    "qwerty123",
    "1q2w3e4r",
    "1qaz2wsx",
    "zaq12wsx",
    "asdfghjkl",
    "iloveyou",
    "sunshine",
    "princess",
    "football",
    "baseball",
    "welcome1",
    "admin123",
    "administrator",
    "abc12345",
    "abcd1234",
    "letmein1",
    "trustno1",
    "superman",
    "12341234",
    "11223344",
    "hikvision",
    "hik12345",
];

/// Why a password does not meet the rule.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PasswordProblem {
    /// Fewer than [`MIN_PASSWORD_CHARS`] characters.
    TooShort,
    /// More than [`MAX_PASSWORD_CHARS`] characters.
    TooLong,
    /// One of [`COMMON_PASSWORDS`], or one character repeated.
    Common,
    /// The account's e-mail address, or the part of it before the `@`.
    IsTheEmail,
}

impl std::fmt::Display for PasswordProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            PasswordProblem::TooShort => "a password has at least 8 characters",
            PasswordProblem::TooLong => "a password has at most 1024 characters",
            PasswordProblem::Common => "that password is one of the most common ones",
            PasswordProblem::IsTheEmail => "a password is not the account's e-mail address",
        })
    }
}

/// Checks an account password against the rule; `email` is the account's address when known (at
/// registration), so that the address itself is refused as the password.
///
/// ```
/// use hc_protocol::password::{PasswordProblem, check_account_password};
///
/// assert_eq!(check_account_password("correct horse battery staple", None), Ok(()));
/// assert_eq!(check_account_password("short", None), Err(PasswordProblem::TooShort));
/// assert_eq!(check_account_password("Password1", None), Err(PasswordProblem::Common));
/// assert_eq!(
///     check_account_password("owner@example.com", Some("owner@example.com")),
///     Err(PasswordProblem::IsTheEmail)
/// );
/// ```
pub fn check_account_password(password: &str, email: Option<&str>) -> Result<(), PasswordProblem> {
    let chars = password.chars().count();
    if chars < MIN_PASSWORD_CHARS {
        return Err(PasswordProblem::TooShort);
    }
    if chars > MAX_PASSWORD_CHARS {
        return Err(PasswordProblem::TooLong);
    }
    let folded = password.to_lowercase();
    let mut letters = folded.chars();
    let first = letters.next();
    if letters.all(|c| Some(c) == first) || COMMON_PASSWORDS.contains(&folded.as_str()) {
        return Err(PasswordProblem::Common);
    }
    if let Some(email) = email
        .map(|e| e.trim().to_lowercase())
        .filter(|e| !e.is_empty())
    {
        let local = email.split('@').next().unwrap_or_default();
        if folded == email || folded == local {
            return Err(PasswordProblem::IsTheEmail);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_long_passphrase_of_plain_words_is_a_good_password() {
        for good in [
            "correct horse battery staple",
            "correct horse",
            "Reset-2026!",
            "密码很长很长很长的",
        ] {
            assert_eq!(
                check_account_password(good, Some("owner@example.com")),
                Ok(())
            );
        }
    }

    #[test]
    fn length_counts_characters_not_bytes() {
        assert_eq!(
            check_account_password("密码密码密码密", None),
            Err(PasswordProblem::TooShort)
        );
        assert_eq!(check_account_password("密码密码密码密码", None), Ok(()));
        let longest = "ab".repeat(MAX_PASSWORD_CHARS / 2);
        assert_eq!(check_account_password(&longest, None), Ok(()));
        assert_eq!(
            check_account_password(&format!("{longest}c"), None),
            Err(PasswordProblem::TooLong)
        );
    }

    #[test]
    fn the_passwords_attackers_try_first_are_refused_in_any_case() {
        for common in [
            "password",
            "PASSWORD1",
            "12345678",
            "QwertyUiop",
            "aaaaaaaaaa",
        ] {
            assert_eq!(
                check_account_password(common, None),
                Err(PasswordProblem::Common)
            );
        }
        for listed in COMMON_PASSWORDS {
            assert!(listed.chars().count() >= MIN_PASSWORD_CHARS, "{listed}");
        }
    }

    #[test]
    fn the_email_address_is_not_a_password() {
        let email = Some(" Owner.Name@Example.com ");
        assert_eq!(
            check_account_password("owner.name@example.com", email),
            Err(PasswordProblem::IsTheEmail)
        );
        assert_eq!(
            check_account_password("OWNER.NAME", email),
            Err(PasswordProblem::IsTheEmail)
        );
        assert_eq!(check_account_password("owner.name", None), Ok(()));
    }
}
