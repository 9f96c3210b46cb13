//! `POST /v1/auth/forgot` and `/reset`: a new account password through a code mailed to the
//! account's address. Neither tells a known address from an unknown one: `forgot` answers 202
//! after the same statements (the code and the mail are inserted from a `SELECT` on the address,
//! zero rows or one), `reset` answers every wrong, expired or used code and every unknown address
//! with the same `invalid_code`, without `attempts_left` (a count would tell).

use std::time::Duration;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use hc_protocol::account_code::AccountCodePurpose;
use hc_protocol::api::{CodeSent, FeedEventKind, ForgotPasswordRequest, ResetPasswordRequest};

use crate::account_codes::{self, Tried, invalid_code};
use crate::crypto::hash_password;
use crate::email::normalize_email;
use crate::error::ApiError;
use crate::extract::{ApiJson, ClientAddr};
use crate::feed::mask_client;
use crate::rate_limit;
use crate::routes::accounts::{check_password, invalid_email};
use crate::state::{AppState, unix_now};
use crate::storage::{CodeOwner, NewFeedEvent};

/// Mail a code to set a new account password
///
/// The same 202 whether or not an account has the address; only a known one gets mail. The new
/// code replaces the previous reset code of the account.
#[utoipa::path(
    post,
    path = "/v1/auth/forgot",
    operation_id = "forgotPassword",
    request_body = ForgotPasswordRequest,
    responses(
        (status = 202, description = "if an account has the address, a code is on its way", body = CodeSent),
        (status = 400, description = "invalid_email"),
        (status = 429, description = "rate_limited"),
    ),
)]
pub async fn forgot(
    State(state): State<AppState>,
    ClientAddr(client_addr): ClientAddr,
    ApiJson(request): ApiJson<ForgotPasswordRequest>,
) -> Result<(StatusCode, Json<CodeSent>), ApiError> {
    let limits = &state.policy().account_codes;
    // Mail bombing and code farming: per address that asks, per address asked for (known or
    // not, malformed or not), before anything else.
    if let Some(addr) = &client_addr {
        rate_limit::hit(
            &state,
            &format!("code-mails:addr:{}", rate_limit::address_bucket(addr)),
            limits.forgot_per_client_addr,
            limits.mail_window,
        )
        .await?;
    }
    rate_limit::hit(
        &state,
        &format!(
            "code-mails:email:{}",
            rate_limit::email_bucket(&request.email)
        ),
        limits.forgot_per_email,
        limits.mail_window,
    )
    .await?;
    let email = normalize_email(&request.email).ok_or_else(invalid_email)?;
    let purpose = AccountCodePurpose::ResetPassword;
    // The same work either way: a lookup, a code, a mail rendered, a keyed hash (for account 0,
    // which no account has, when the address is unknown), and the two inserts that select the
    // account by id and address.
    let account = state.storage().account_by_email(&email).await?;
    let account_id = account.map_or(0, |(id, _)| id);
    let (code, row, mail) = account_codes::prepare(&state, purpose, &email)?;
    let hash = state
        .master_key()
        .account_code_hash(purpose, account_id, code.as_str());
    state
        .storage()
        .issue_code(account_id, &email, &row, &hash, mail.as_ref())
        .await?;
    // The worker's sending (known addresses only) must not line up with this answer, or the
    // requests right after it would feel the work and tell known from unknown: it is woken after
    // a random delay, either way, and the answer goes now.
    let wake_in = Duration::from_millis(rand::random_range(200..=1500));
    let woken = state.clone();
    tokio::spawn(async move {
        tokio::time::sleep(wake_in).await;
        woken.mail_written().notify_one();
    });
    Ok((
        StatusCode::ACCEPTED,
        Json(CodeSent {
            valid_for_secs: limits.valid_for.as_secs(),
        }),
    ))
}

/// Set a new account password with the mailed code; every session of the account ends
///
/// The password rule is checked first, then the code. A wrong, expired or used code and an
/// unknown address get the same `invalid_code`. Success also counts the address as verified
/// (the code reached it) and writes a `password_reset` event to the account's feed.
#[utoipa::path(
    post,
    path = "/v1/auth/reset",
    operation_id = "resetPassword",
    request_body = ResetPasswordRequest,
    responses(
        (status = 204, description = "the new password is set; every session has ended"),
        (status = 400, description = "invalid_email, weak_password, invalid_code"),
        (status = 429, description = "rate_limited"),
    ),
)]
pub async fn reset(
    State(state): State<AppState>,
    ClientAddr(client_addr): ClientAddr,
    ApiJson(request): ApiJson<ResetPasswordRequest>,
) -> Result<StatusCode, ApiError> {
    let ResetPasswordRequest {
        email,
        code,
        new_password,
    } = request;
    let email = normalize_email(&email).ok_or_else(invalid_email)?;
    check_password(&new_password, Some(&email))?;
    let code = account_codes::parse(&code)?;
    // Guessing: 5 tries per code, and tries per address and per client across codes, so asking
    // for fresh codes buys no fresh guesses. Counted for unknown addresses too.
    let limits = &state.policy().account_codes;
    if let Some(addr) = &client_addr {
        rate_limit::hit(
            &state,
            &format!("code-tries:addr:{}", rate_limit::address_bucket(addr)),
            limits.tries_per_client_addr,
            limits.tries_window,
        )
        .await?;
    }
    let refused = || {
        invalid_code(
            "wrong, expired or used code: check it, or ask for a new one",
            None,
        )
    };
    let tried = account_codes::attempt(
        &state,
        CodeOwner::Email(&email),
        AccountCodePurpose::ResetPassword,
        &code,
    )
    .await?;
    // The address's tries across codes count only tries at a live code: tries at an address
    // without one (no account, or no code asked) could otherwise use up an owner's recovery for
    // the day without a single mail reaching them. A live code means a mail did.
    if !matches!(tried, Tried::NoCode) {
        rate_limit::hit(
            &state,
            &format!("code-tries:email:{email}"),
            limits.tries_per_account,
            limits.tries_window,
        )
        .await?;
    }
    let Tried::Right {
        account_id,
        code_hash,
    } = tried
    else {
        return Err(refused());
    };
    let password_hash = state
        .hashing()
        .run(client_addr.as_deref(), move || hash_password(&new_password))
        .await?
        .map_err(ApiError::internal)?;
    let event = NewFeedEvent {
        client: client_addr.as_deref().and_then(mask_client),
        ..NewFeedEvent::new(account_id, unix_now(), FeedEventKind::PasswordReset)
    };
    if !state
        .storage()
        .reset_password(account_id, &code_hash, &password_hash, &event)
        .await?
    {
        // Used by a racing request meanwhile.
        return Err(refused());
    }
    state.feed().written(account_id);
    tracing::info!(
        account = account_id,
        "password reset with a mailed code; every session ended"
    );
    Ok(StatusCode::NO_CONTENT)
}
