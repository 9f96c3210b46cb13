//! `POST /v1/accounts`: registration, which mails a code to verify the address;
//! `GET /v1/accounts/me`; `POST /v1/accounts/verify` and `/verify/resend`.
//!
//! A new account may log in at once (so registration still says 409 `email_taken`: a sign-up
//! that hid it would be undone by the login after it), but adding devices, reset codes and
//! transfers wait until the address is proven (docs/security.md, "Account recovery and verified
//! e-mail").

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use hc_protocol::account_code::AccountCodePurpose;
use hc_protocol::api::{
    AccountCreated, AccountInfo, CodeSent, ErrorCode, NewAccount, VerifyEmailRequest,
};
use hc_protocol::password::check_account_password;

use crate::account_codes::{self, Tried, invalid_code};
use crate::auth::Account;
use crate::crypto::hash_password;
use crate::email::normalize_email;
use crate::error::ApiError;
use crate::extract::{ApiJson, ClientAddr};
use crate::rate_limit;
use crate::state::{AppState, unix_now};
use crate::storage::CodeOwner;

/// Register an account (argon2id password hash)
#[utoipa::path(
    post,
    path = "/v1/accounts",
    operation_id = "register",
    request_body = NewAccount,
    responses(
        (status = 201, description = "the account, its address as the cloud keeps it (not yet verified: a code is mailed to it)", body = AccountCreated),
        (status = 400, description = "invalid_email, weak_password"),
        (status = 409, description = "email_taken"),
        (status = 429, description = "rate_limited"),
    ),
)]
pub async fn register(
    State(state): State<AppState>,
    ClientAddr(client_addr): ClientAddr,
    ApiJson(credentials): ApiJson<NewAccount>,
) -> Result<(StatusCode, Json<AccountCreated>), ApiError> {
    // Throwaway accounts multiply the per-account limits: count every attempt from the address,
    // accepted or not, before any check and before the argon2 work; and every attempt on one
    // email, malformed or not.
    let limits = &state.policy().rate_limits;
    if let Some(addr) = &client_addr {
        rate_limit::hit(
            &state,
            &format!("register:{}", rate_limit::address_bucket(addr)),
            limits.registrations_per_client_addr,
            limits.window,
        )
        .await?;
    }
    rate_limit::hit(
        &state,
        &format!(
            "register:email:{}",
            rate_limit::email_bucket(&credentials.email)
        ),
        limits.registrations_per_email,
        limits.window,
    )
    .await?;
    let email = normalize_email(&credentials.email).ok_or_else(invalid_email)?;
    let password = credentials.password;
    check_password(&password, Some(&email))?;
    let password_hash = state
        .hashing()
        .run(client_addr.as_deref(), move || hash_password(&password))
        .await?
        .map_err(ApiError::internal)?;
    // The account, its code and the mail in one transaction: a refused or failed registration
    // mails nothing, and a crash after it loses no mail.
    let (code, row, mail) =
        account_codes::prepare(&state, AccountCodePurpose::VerifyEmail, &email)?;
    let key = state.master_key();
    let hasher =
        |id: i64| key.account_code_hash(AccountCodePurpose::VerifyEmail, id, code.as_str());
    match state
        .storage()
        .create_account(&email, &password_hash, &row, &hasher, mail.as_ref())
        .await?
    {
        Some(_) => {
            state.mail_written().notify_one();
            Ok((
                StatusCode::CREATED,
                Json(AccountCreated {
                    email,
                    email_verified: false,
                }),
            ))
        }
        None => Err(ApiError::new(
            StatusCode::CONFLICT,
            ErrorCode::EmailTaken,
            "an account with that email exists",
        )),
    }
}

/// The session's account: its address and whether it is verified
#[utoipa::path(
    get,
    path = "/v1/accounts/me",
    operation_id = "me",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "the account", body = AccountInfo),
    ),
)]
pub async fn me(
    State(state): State<AppState>,
    Account(account): Account,
) -> Result<Json<AccountInfo>, ApiError> {
    account_info(&state, account).await.map(Json)
}

async fn account_info(state: &AppState, account: i64) -> Result<AccountInfo, ApiError> {
    let (email, email_verified) = state
        .storage()
        .account_info(account)
        .await?
        .ok_or_else(ApiError::unauthorized)?;
    Ok(AccountInfo {
        email,
        email_verified,
    })
}

/// Verify the account's e-mail address with the code mailed to it
///
/// Each try, right or wrong, spends one of the code's 5; a wrong one says how many are left, and
/// the fifth wrong one ends the code. A code that is not six digits spends none. Idempotent: a
/// verified account gets its info back whatever the code.
#[utoipa::path(
    post,
    path = "/v1/accounts/verify",
    operation_id = "verifyEmail",
    request_body = VerifyEmailRequest,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "the account, now verified", body = AccountInfo),
        (status = 400, description = "invalid_code"),
        (status = 429, description = "rate_limited"),
    ),
)]
pub async fn verify(
    State(state): State<AppState>,
    Account(account): Account,
    ApiJson(request): ApiJson<VerifyEmailRequest>,
) -> Result<Json<AccountInfo>, ApiError> {
    // The form first, so that a malformed code is refused alike before and after verification.
    let code = account_codes::parse(&request.code)?;
    let info = account_info(&state, account).await?;
    if info.email_verified {
        return Ok(Json(info));
    }
    // Each code has 5 tries and resends are limited, but tries across codes are bounded too.
    let limits = &state.policy().account_codes;
    rate_limit::hit(
        &state,
        &rate_limit::code_tries_of_account(account),
        limits.tries_per_account,
        limits.tries_window,
    )
    .await?;
    match account_codes::attempt(
        &state,
        CodeOwner::Account(account),
        AccountCodePurpose::VerifyEmail,
        &code,
    )
    .await?
    {
        Tried::Right { code_hash, .. } => {
            if !state
                .storage()
                .verify_email(account, &code_hash, unix_now())
                .await?
            {
                return Err(spent());
            }
            tracing::info!(account, "e-mail address verified");
            Ok(Json(AccountInfo {
                email_verified: true,
                ..info
            }))
        }
        Tried::Wrong { tries_left: 0 } => Err(spent()),
        Tried::Wrong { tries_left } => Err(invalid_code(
            "that is not the code we mailed",
            Some(tries_left),
        )),
        Tried::NoCode => Err(spent()),
    }
}

fn spent() -> ApiError {
    invalid_code(
        "that code no longer works (expired, used or too many tries): ask for a new one",
        Some(0),
    )
}

/// Mail a new verification code; the previous one stops working
#[utoipa::path(
    post,
    path = "/v1/accounts/verify/resend",
    operation_id = "resendVerification",
    security(("bearer" = [])),
    responses(
        (status = 202, description = "a new code is on its way", body = CodeSent),
        (status = 409, description = "already_verified"),
        (status = 429, description = "rate_limited"),
    ),
)]
pub async fn resend(
    State(state): State<AppState>,
    Account(account): Account,
) -> Result<(StatusCode, Json<CodeSent>), ApiError> {
    let info = account_info(&state, account).await?;
    if info.email_verified {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            ErrorCode::AlreadyVerified,
            "this account's e-mail address is verified already",
        ));
    }
    let limits = &state.policy().account_codes;
    // A new code while the account's tries are used up could not be tried until the window
    // ends: say so now instead of mailing a code that cannot work.
    rate_limit::spent(
        &state,
        &rate_limit::code_tries_of_account(account),
        limits.tries_per_account,
        limits.tries_window,
    )
    .await?;
    rate_limit::hit(
        &state,
        &format!("code-mails:account:{account}"),
        limits.resends_per_account,
        limits.mail_window,
    )
    .await?;
    let purpose = AccountCodePurpose::VerifyEmail;
    let (code, row, mail) = account_codes::prepare(&state, purpose, &info.email)?;
    let hash = state
        .master_key()
        .account_code_hash(purpose, account, code.as_str());
    state
        .storage()
        .issue_code(account, &info.email, &row, &hash, mail.as_ref())
        .await?;
    state.mail_written().notify_one();
    Ok((
        StatusCode::ACCEPTED,
        Json(CodeSent {
            valid_for_secs: limits.valid_for.as_secs(),
        }),
    ))
}

pub(crate) fn invalid_email() -> ApiError {
    ApiError::new(
        StatusCode::BAD_REQUEST,
        ErrorCode::InvalidEmail,
        "that is not an email address",
    )
}

/// The account password rule (`hc_protocol::password`, the one the apps check and state too),
/// for a password change, where the route has no e-mail address at hand.
pub fn check_password_rule(password: &str) -> Result<(), ApiError> {
    check_password(password, None)
}

pub(crate) fn check_password(password: &str, email: Option<&str>) -> Result<(), ApiError> {
    check_account_password(password, email).map_err(|problem| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            ErrorCode::WeakPassword,
            problem.to_string(),
        )
    })
}
