//! The codes the cloud mails to prove an e-mail address: one rule for the cloud (which issues and
//! checks them), the app core (which checks what a person typed before sending it) and the
//! OpenAPI document.
//!
//! Two purposes share the rule ([`AccountCodePurpose`]): verifying the address at sign-up, and
//! setting a new password for an account whose password was forgotten. The design:
//!
//! - **Six digits, single use, [`ACCOUNT_CODE_VALID_SECS`] (15 minutes), [`ACCOUNT_CODE_TRIES`]
//!   (5) tries.** A wrong try spends one; the fifth wrong try ends the code. Asking for a new code
//!   ends the previous one of the same purpose, so only one is ever alive per account and purpose.
//! - **Stored as a keyed hash, never as the code.** The cloud keeps
//!   `HMAC-SHA256(k_account_codes, purpose || account id || code)` (the key derived from its
//!   master key), compared in constant time: a copy of the database alone does not give the codes
//!   (a plain hash of six digits would be undone by trying all 10^6).
//! - **Guessing is bounded per address, not only per code.** New codes are rate-limited per
//!   address and per client address, and so are wrong tries across codes, so requesting fresh
//!   codes does not buy fresh guesses without end (docs/security.md gives the figures).
//! - **Same answers for unknown addresses.** `POST /v1/auth/forgot` answers 202 whether or not an
//!   account has the address, after the same statements; `POST /v1/auth/reset` answers a wrong,
//!   expired or used code and an unknown address with the same `invalid_code`. Verification runs
//!   in a session (the account is known to its caller), so it names no address.
//! - **Mail carries the code and nothing that logs in.** No links with tokens: the person types
//!   the code into the app that asked for it.

/// Digits in an account code.
pub const ACCOUNT_CODE_DIGITS: usize = 6;
/// How long an account code may be used after it was mailed.
pub const ACCOUNT_CODE_VALID_SECS: u64 = 15 * 60;
/// Tries one account code allows, the right one included.
pub const ACCOUNT_CODE_TRIES: u32 = 5;

/// What an account code proves, and the domain separation of its stored hash.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AccountCodePurpose {
    /// The account's e-mail address reaches its owner (sign-up).
    VerifyEmail,
    /// The owner of the address sets a new account password.
    ResetPassword,
}

impl AccountCodePurpose {
    /// The stable name, as stored and as hashed.
    pub fn as_str(self) -> &'static str {
        match self {
            AccountCodePurpose::VerifyEmail => "verify_email",
            AccountCodePurpose::ResetPassword => "reset_password",
        }
    }
}

/// Whether `sent` is a code as the API carries it: exactly six ASCII digits (what
/// [`parse_account_code`] makes of what a person typed). The cloud takes nothing else.
pub fn is_account_code(sent: &str) -> bool {
    sent.len() == ACCOUNT_CODE_DIGITS && sent.bytes().all(|b| b.is_ascii_digit())
}

/// The code as the cloud compares it (the six ASCII digits), from what a person typed: spaces,
/// dashes and full-width digits (a phone keyboard in Chinese input mode) are allowed, anything
/// else is `None`.
pub fn parse_account_code(typed: &str) -> Option<String> {
    let mut digits = String::with_capacity(ACCOUNT_CODE_DIGITS);
    for c in typed.trim().chars() {
        match c {
            '0'..='9' => digits.push(c),
            '\u{FF10}'..='\u{FF19}' => {
                digits.push(char::from(b'0' + (c as u32 - 0xFF10) as u8));
            }
            ' ' | '-' | '\u{3000}' => {}
            _ => return None,
        }
        if digits.len() > ACCOUNT_CODE_DIGITS {
            return None;
        }
    }
    (digits.len() == ACCOUNT_CODE_DIGITS).then_some(digits)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_code_is_taken_as_people_type_it_and_nothing_else_is() {
        for typed in [
            "123456",
            " 123 456 ",
            "123-456",
            "１２３４５６",
            "１２３　４５６\n",
        ] {
            assert_eq!(
                parse_account_code(typed).as_deref(),
                Some("123456"),
                "{typed:?}"
            );
        }
        for typed in [
            "",
            "12345",
            "1234567",
            "12345a",
            "١٢٣٤٥٦",
            "123456\u{200B}",
            "+123456",
        ] {
            assert_eq!(parse_account_code(typed), None, "{typed:?}");
        }
    }

    #[test]
    fn the_api_carries_six_ascii_digits_only() {
        assert!(is_account_code("012345"));
        for sent in ["", "12345", "1234567", "123 456", "１２３４５６", "12345a"] {
            assert!(!is_account_code(sent), "{sent:?}");
        }
    }

    #[test]
    fn each_purpose_has_its_own_name() {
        assert_ne!(
            AccountCodePurpose::VerifyEmail.as_str(),
            AccountCodePurpose::ResetPassword.as_str()
        );
    }
}
