//! Mailed account codes on the cloud's side (the rule is `hc_protocol::account_code`): making one
//! with the mail that carries it, and checking a typed one. The routes (`accounts`, `recovery`)
//! decide who may ask and what a right code does.

use axum::http::StatusCode;
use hc_protocol::account_code::{ACCOUNT_CODE_TRIES, AccountCodePurpose, is_account_code};
use hc_protocol::api::ErrorCode;
use zeroize::Zeroizing;

use crate::crypto::new_account_code;
use crate::error::ApiError;
use crate::mail::templates::{CodeMail, render};
use crate::push::unix_now_ms;
use crate::state::{AppState, secs, unix_now};
use crate::storage::{CodeOwner, NewCode, NewMail, TakenTry};

/// A fresh code for `email`, what the database keeps of it (but the hash, which needs the
/// account id) and its mail (`None` for an address mail cannot carry). The code itself lives on only in the mail's message.
pub fn prepare(
    state: &AppState,
    purpose: AccountCodePurpose,
    email: &str,
) -> Result<(Zeroizing<String>, NewCode, Option<NewMail>), ApiError> {
    let policy = state.policy();
    let now = unix_now();
    let valid_for = policy.account_codes.valid_for;
    let code = new_account_code();
    let rendered = render(
        &policy.mail.from,
        &CodeMail {
            purpose,
            to: email,
            code: &code,
            region: &policy.region,
            asked_at: now,
            valid_for_secs: valid_for.as_secs(),
        },
    );
    let row = NewCode {
        purpose,
        now,
        expires_at: now.saturating_add(secs(valid_for)),
        tries: ACCOUNT_CODE_TRIES,
    };
    // An address the API takes but mail cannot carry (non-ASCII beyond what lettre takes, or
    // longer than SMTP allows) still gets its account; it gets no mail, and says so in the log.
    let mail = match rendered {
        Ok(message) => Some(NewMail {
            recipient: email.to_owned(),
            kind: purpose.as_str(),
            message,
            now_ms: unix_now_ms(),
        }),
        Err(error) => {
            tracing::warn!(%error, purpose = purpose.as_str(), "no mail can be sent to this address");
            None
        }
    };
    Ok((code, row, mail))
}

/// How a try at a code ended.
pub enum Tried {
    /// The right code: its hash, to use it with.
    Right { account_id: i64, code_hash: Vec<u8> },
    /// A wrong code; tries the code has left.
    Wrong { tries_left: u32 },
    /// No live code (none asked, expired, used, replaced or spent), or an unknown address.
    NoCode,
}

/// The code as sent (six ASCII digits: the app normalizes what was typed), or the `invalid_code`
/// a malformed one gets (it spends no try).
pub fn parse(sent: &str) -> Result<Zeroizing<String>, ApiError> {
    if is_account_code(sent) {
        Ok(Zeroizing::new(sent.to_owned()))
    } else {
        Err(invalid_code("that is not a six-digit code", None))
    }
}

/// Takes one try at the live code of `purpose` of `owner` and compares `code` with it in
/// constant time. An owner without a live code is hashed against all the same (a dummy account
/// id), so the answer takes as long either way.
pub async fn attempt(
    state: &AppState,
    owner: CodeOwner<'_>,
    purpose: AccountCodePurpose,
    code: &str,
) -> Result<Tried, ApiError> {
    let taken = state
        .storage()
        .take_code_try(owner, purpose, unix_now())
        .await?;
    let key = state.master_key();
    Ok(match taken {
        None => {
            let _ = key.account_code_matches(purpose, 0, code, &[0; 32]);
            Tried::NoCode
        }
        Some(TakenTry {
            account_id,
            code_hash,
            tries_left,
        }) => {
            if key.account_code_matches(purpose, account_id, code, &code_hash) {
                Tried::Right {
                    account_id,
                    code_hash,
                }
            } else {
                Tried::Wrong { tries_left }
            }
        }
    })
}

/// 400 `invalid_code`, with the tries left when the caller may know them.
pub fn invalid_code(message: &str, attempts_left: Option<u32>) -> ApiError {
    ApiError {
        attempts_left,
        ..ApiError::new(StatusCode::BAD_REQUEST, ErrorCode::InvalidCode, message)
    }
}

/// 403 `email_not_verified`: adding devices, reset codes and transfers wait for a proven address.
pub fn email_not_verified() -> ApiError {
    ApiError::new(
        StatusCode::FORBIDDEN,
        ErrorCode::EmailNotVerified,
        "verify your e-mail address first: type the code we mailed you (or ask for a new one)",
    )
}
