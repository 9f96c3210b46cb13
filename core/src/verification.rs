//! The account's e-mail address, proved with codes the cloud mails to it (hc-protocol's
//! `account_code` rule): verifying it after sign-up, and setting a new password when the account
//! password was forgotten. A code is six digits, valid for 15 minutes and 5 tries; what a person
//! typed is checked here before anything is sent (spaces, dashes and full-width digits are fine).

use hc_protocol::account_code::parse_account_code;
use hc_protocol::api::{
    AccountInfo, CodeSent, ForgotPasswordRequest, ResetPasswordRequest, VerifyEmailRequest,
};
use reqwest::Method;

use crate::account::check_new_password;
use crate::client::HcClient;
use crate::error::{HcError, Result};
use crate::http::Retry;
use crate::input;
use crate::messages::{MessageId, UiMessage};

/// The logged-in account, as the account screen shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountStatus {
    pub email: String,
    /// False until the code mailed at sign-up is entered: until then the account cannot add
    /// devices or get reset codes ([`HcError::EmailNotVerified`]).
    pub email_verified: bool,
}

impl From<AccountInfo> for AccountStatus {
    fn from(info: AccountInfo) -> Self {
        AccountStatus {
            email: info.email,
            email_verified: info.email_verified,
        }
    }
}

/// What the screen says once a code is in the mail: for a verification, where it went; after
/// "forgot password", the same words whether or not an account has the address.
pub fn code_sent_message(
    email: &str,
    for_forgotten_password: bool,
    valid_for_secs: u64,
) -> UiMessage {
    let minutes = valid_for_secs.div_ceil(60).max(1);
    let id = if for_forgotten_password {
        MessageId::ForgotPasswordSent
    } else {
        MessageId::VerifyEmailSent
    };
    UiMessage::with(id, [email.trim().to_owned(), minutes.to_string()])
}

/// "Your address … is verified": what the screen says once the code was taken.
pub fn email_verified_message(status: &AccountStatus) -> UiMessage {
    UiMessage::with(MessageId::EmailVerified, [&status.email])
}

fn mailed_code(typed: &str) -> Result<String> {
    parse_account_code(typed).ok_or(HcError::InvalidMailedCode)
}

/// Checks a mailed code as typed, before anything is sent: `InvalidMailedCode` unless it is six
/// digits (spaces, dashes and full-width digits are fine), so a screen can say so at once.
pub fn check_mailed_code(typed: &str) -> Result<()> {
    mailed_code(typed).map(|_| ())
}

impl HcClient {
    /// The logged-in account and whether its address is verified (`GET /v1/accounts/me`).
    pub async fn account_status(&self) -> Result<AccountStatus> {
        let info: AccountInfo = self
            .send_authorized(
                None,
                Method::GET,
                "/v1/accounts/me",
                None::<&()>,
                Retry::Idempotent,
            )
            .await?;
        Ok(info.into())
    }

    /// Verifies the account's address with the code mailed at sign-up (or by the last
    /// [`HcClient::resend_verification`]). A wrong code is `MailedCodeRefused { attempts_left }`;
    /// entering a code again once the address is verified changes nothing.
    pub async fn verify_email(&self, code: String) -> Result<AccountStatus> {
        let request = VerifyEmailRequest {
            code: mailed_code(&code)?,
        };
        // Not retried: a repeat after a lost answer would spend a second try of the code.
        let info: AccountInfo = self
            .send_authorized(
                None,
                Method::POST,
                "/v1/accounts/verify",
                Some(&request),
                Retry::Once,
            )
            .await?;
        tracing::info!(target: "hc_core::client", "e-mail address verified");
        Ok(info.into())
    }

    /// Mails a new verification code (the previous one stops working); the seconds it is
    /// valid. Rate-limited by the cloud (`RateLimited`); a verified address is
    /// `Server { code: AlreadyVerified }`.
    pub async fn resend_verification(&self) -> Result<u64> {
        let sent: CodeSent = self
            .send_authorized(
                None,
                Method::POST,
                "/v1/accounts/verify/resend",
                None::<&()>,
                Retry::Once,
            )
            .await?;
        Ok(sent.valid_for_secs)
    }

    /// "Forgot password": asks the cloud to mail a code to `email`; the seconds it is valid. The
    /// answer is the same whether or not an account has the address, so the screen says "if an
    /// account uses this address, a code is on its way" ([`code_sent_message`]). No login needed.
    pub async fn forgot_password(&self, email: String) -> Result<u64> {
        let email = input::email(&email);
        let sent: CodeSent = self
            .post_to_hc_cloud("/v1/auth/forgot", &ForgotPasswordRequest { email })
            .await?;
        Ok(sent.valid_for_secs)
    }

    /// Sets a new account password with the code mailed by [`HcClient::forgot_password`], then
    /// logs in with it. The password rule and its confirmation are checked first and nothing is
    /// sent when they fail. The cloud ends every session of the account, other phones' too.
    pub async fn reset_password(
        &self,
        email: String,
        code: String,
        new_password: String,
        new_password_again: String,
    ) -> Result<()> {
        let email = input::email(&email);
        check_new_password(&email, &new_password, &new_password_again)?;
        let code = mailed_code(&code)?;
        let request = ResetPasswordRequest {
            email: email.clone(),
            code,
            new_password: new_password.clone(),
        };
        // Not retried: the code is single use, a repeat would be refused and hide the success.
        let _: serde_json::Value = self.post_to_hc_cloud("/v1/auth/reset", &request).await?;
        tracing::info!(target: "hc_core::client", "account password set anew with a mailed code");
        self.login(email, new_password).await
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::config::ClientConfig;
    use crate::fake_cloud::{FakeCloud, MAILED_CODE, PASSWORD};
    use crate::store::MemoryStore;

    fn phone(url: &str) -> HcClient {
        HcClient::new(ClientConfig::new(url), Arc::new(MemoryStore::new())).unwrap()
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_new_account_verifies_its_address_with_the_mailed_code() {
        let (cloud, url) = FakeCloud::start().await;
        let client = phone(&url);
        client
            .register("me@example.com".into(), PASSWORD.into(), PASSWORD.into())
            .await
            .unwrap();
        assert!(!client.account_status().await.unwrap().email_verified);
        assert_eq!(
            client.verify_email("654321".into()).await,
            Err(HcError::MailedCodeRefused {
                attempts_left: Some(4)
            })
        );
        // Typed as the mail shows it, with a space; sent as six digits.
        let status = client.verify_email("123 456".into()).await.unwrap();
        assert!(status.email_verified);
        assert_eq!(*cloud.mailed_codes.lock().unwrap(), ["654321", MAILED_CODE]);
        assert!(matches!(
            client.resend_verification().await,
            Err(HcError::Server {
                code: hc_protocol::api::ErrorCode::AlreadyVerified,
                ..
            })
        ));
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_forgotten_password_is_set_anew_with_the_mailed_code_and_the_phone_logs_in() {
        let (cloud, url) = FakeCloud::start().await;
        let client = phone(&url);
        assert_eq!(
            client.forgot_password(" me@example.com ".into()).await,
            Ok(hc_protocol::account_code::ACCOUNT_CODE_VALID_SECS)
        );
        assert_eq!(*cloud.forgot_emails.lock().unwrap(), ["me@example.com"]);
        // A typo in the confirmation, or a code that is not six digits: nothing is sent.
        let new = "battery staple 42";
        assert_eq!(
            client
                .reset_password(
                    "me@example.com".into(),
                    MAILED_CODE.into(),
                    new.into(),
                    "battery stapel 42".into()
                )
                .await,
            Err(HcError::PasswordsDiffer)
        );
        assert_eq!(
            client
                .reset_password(
                    "me@example.com".into(),
                    "12345".into(),
                    new.into(),
                    new.into()
                )
                .await,
            Err(HcError::InvalidMailedCode)
        );
        assert!(cloud.mailed_codes.lock().unwrap().is_empty());
        assert_eq!(
            client
                .reset_password(
                    "me@example.com".into(),
                    "999999".into(),
                    new.into(),
                    new.into()
                )
                .await,
            Err(HcError::MailedCodeRefused {
                attempts_left: None
            })
        );
        client
            .reset_password(
                "me@example.com".into(),
                MAILED_CODE.into(),
                new.into(),
                new.into(),
            )
            .await
            .unwrap();
        assert!(client.is_logged_in());
    }

    #[test]
    fn a_code_that_is_not_six_digits_is_refused_before_anything_is_sent() {
        assert_eq!(mailed_code("12345"), Err(HcError::InvalidMailedCode));
        assert_eq!(mailed_code("abcdef"), Err(HcError::InvalidMailedCode));
        assert_eq!(mailed_code(" 123 456 ").as_deref(), Ok("123456"));
    }

    #[test]
    fn the_forgot_password_words_do_not_say_whether_the_account_exists() {
        let message = code_sent_message(" someone@example.com ", true, 900);
        assert_eq!(message.id, MessageId::ForgotPasswordSent);
        assert_eq!(message.args, ["someone@example.com", "15"]);
        assert_eq!(code_sent_message("a@b.cn", false, 61).args, ["a@b.cn", "2"]);
    }
}
