//! `POST /v1/accounts`: registration.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use hc_protocol::api::{AccountCreated, ErrorCode, NewAccount};
use hc_protocol::password::check_account_password;

use crate::crypto::hash_password;
use crate::email::normalize_email;
use crate::error::ApiError;
use crate::extract::{ApiJson, ClientAddr};
use crate::rate_limit;
use crate::state::{AppState, unix_now};

/// Register an account (argon2id password hash)
#[utoipa::path(
    post,
    path = "/v1/accounts",
    operation_id = "register",
    request_body = NewAccount,
    responses(
        (status = 201, description = "the account, its address as the cloud keeps it", body = AccountCreated),
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
    match state
        .storage()
        .create_account(&email, &password_hash, unix_now())
        .await?
    {
        Some(_) => Ok((
            StatusCode::CREATED,
            Json(AccountCreated {
                email,
                email_verified: false,
            }),
        )),
        None => Err(ApiError::new(
            StatusCode::CONFLICT,
            ErrorCode::EmailTaken,
            "an account with that email exists",
        )),
    }
}

fn invalid_email() -> ApiError {
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

fn check_password(password: &str, email: Option<&str>) -> Result<(), ApiError> {
    check_account_password(password, email).map_err(|problem| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            ErrorCode::WeakPassword,
            problem.to_string(),
        )
    })
}
