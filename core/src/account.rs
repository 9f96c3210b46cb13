//! The account rules a screen checks as the user types, before anything is sent: the password rule
//! (`hc_protocol::password`, the one the cloud enforces) and its confirmation, and the state of
//! the saved session.

use hc_protocol::password::check_account_password;

use crate::error::HcError;
use crate::messages::{MessageId, UiMessage};

/// The account password rule as the registration and password screens state it, beside the
/// field: one message id, worded by each front end from the same rule.
pub fn password_rule_message() -> UiMessage {
    UiMessage::plain(MessageId::PasswordRule)
}

/// Checks a new account password and its confirmation as typed: `PasswordsDiffer` when they
/// differ, `WeakPassword` when the password breaks the rule ([`password_rule_message`]). `email`
/// is the account's address, which is no password; pass `""` when it is not known.
///
/// ```
/// use hc_core::{HcError, check_new_password};
///
/// assert_eq!(check_new_password("me@example.com", "correct horse battery staple", "correct horse battery staple"), Ok(()));
/// assert_eq!(check_new_password("me@example.com", "Reset-2026!", "Reset-2O26!"), Err(HcError::PasswordsDiffer));
/// assert!(matches!(check_new_password("", "short", "short"), Err(HcError::WeakPassword { .. })));
/// ```
pub fn check_new_password(
    email: &str,
    password: &str,
    password_again: &str,
) -> Result<(), HcError> {
    check_password_rule(email, password)?;
    if password != password_again {
        return Err(HcError::PasswordsDiffer);
    }
    Ok(())
}

/// The rule alone, for a password change whose confirmation the screen already compared.
pub(crate) fn check_password_rule(email: &str, password: &str) -> Result<(), HcError> {
    let email = Some(email.trim()).filter(|e| !e.is_empty());
    check_account_password(password, email).map_err(|problem| HcError::WeakPassword { problem })
}

/// The saved session, as the account screen shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SessionState {
    LoggedOut,
    LoggedIn,
    /// A session of another cloud (`session_cloud`, its origin) is saved: it is never sent to
    /// this one. Logging in here replaces it.
    OtherCloud {
        session_cloud: String,
    },
}

#[cfg(test)]
mod tests {
    use hc_protocol::password::PasswordProblem;

    use super::*;

    #[test]
    fn a_long_passphrase_of_words_is_accepted_as_the_cloud_accepts_it() {
        assert_eq!(
            check_new_password(
                "owner@example.com",
                "correct horse battery staple",
                "correct horse battery staple"
            ),
            Ok(())
        );
    }

    #[test]
    fn a_typo_in_the_confirmation_is_caught_before_anything_is_sent() {
        assert_eq!(
            check_new_password("owner@example.com", "correct horse", "correct hose"),
            Err(HcError::PasswordsDiffer)
        );
    }

    #[test]
    fn a_short_common_or_email_password_says_which_part_of_the_rule_it_breaks() {
        let too_long = "a b".repeat(400);
        for (weak, problem, id) in [
            (
                "short",
                PasswordProblem::TooShort,
                MessageId::ErrorPasswordTooShort,
            ),
            (
                too_long.as_str(),
                PasswordProblem::TooLong,
                MessageId::ErrorPasswordTooLong,
            ),
            (
                "password1",
                PasswordProblem::Common,
                MessageId::ErrorPasswordCommon,
            ),
            (
                "aaaaaaaaaa",
                PasswordProblem::Common,
                MessageId::ErrorPasswordCommon,
            ),
            (
                "owner@example.com",
                PasswordProblem::IsTheEmail,
                MessageId::ErrorPasswordIsTheEmail,
            ),
            (
                "Owner",
                PasswordProblem::TooShort,
                MessageId::ErrorPasswordTooShort,
            ),
        ] {
            let error = check_new_password("owner@example.com", weak, weak).unwrap_err();
            assert_eq!(error, HcError::WeakPassword { problem }, "{weak}");
            assert_eq!(error.ui_message(), UiMessage::plain(id), "{weak}");
        }
        assert_eq!(password_rule_message().id, MessageId::PasswordRule);
    }
}
