//! `POST /v1/accounts`: registration.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use hc_protocol::api::{
    AccountCreated, Credentials, ErrorCode, MAX_EMAIL_CHARS, MAX_PASSWORD_CHARS, MIN_PASSWORD_CHARS,
};

use crate::crypto::hash_password;
use crate::error::ApiError;
use crate::extract::{ApiJson, ClientAddr};
use crate::rate_limit;
use crate::state::{AppState, unix_now};

pub async fn register(
    State(state): State<AppState>,
    ClientAddr(client_addr): ClientAddr,
    ApiJson(credentials): ApiJson<Credentials>,
) -> Result<(StatusCode, Json<AccountCreated>), ApiError> {
    // Throwaway accounts multiply the per-account limits: count every attempt from the address,
    // accepted or not, before any check and before the argon2 work.
    if let Some(addr) = &client_addr {
        let limits = &state.policy().rate_limits;
        rate_limit::hit(
            &state,
            &format!("register:{}", rate_limit::address_bucket(addr)),
            limits.registrations_per_client_addr,
            limits.window,
        )
        .await?;
    }
    let email = normalize_email(&credentials.email).ok_or_else(|| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            ErrorCode::InvalidEmail,
            "that is not an email address",
        )
    })?;
    let password = credentials.password;
    if !(MIN_PASSWORD_CHARS..=MAX_PASSWORD_CHARS).contains(&password.chars().count()) {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            ErrorCode::WeakPassword,
            format!("a password has {MIN_PASSWORD_CHARS} to {MAX_PASSWORD_CHARS} characters"),
        ));
    }
    // argon2 takes tens of milliseconds of CPU: keep it off the async workers.
    let password_hash = tokio::task::spawn_blocking(move || hash_password(&password))
        .await
        .map_err(ApiError::internal)?
        .map_err(ApiError::internal)?;
    match state
        .storage()
        .create_account(&email, &password_hash, unix_now())
        .await?
    {
        Some(_) => Ok((StatusCode::CREATED, Json(AccountCreated { email }))),
        None => Err(ApiError::new(
            StatusCode::CONFLICT,
            ErrorCode::EmailTaken,
            "an account with that email exists",
        )),
    }
}

/// Lowercased and trimmed, or `None` when it cannot be an address.
pub fn normalize_email(raw: &str) -> Option<String> {
    let email = raw.trim().to_lowercase();
    let (local, domain) = email.split_once('@')?;
    let plausible = email.chars().count() <= MAX_EMAIL_CHARS
        && !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains('@')
        && !email.chars().any(|c| c.is_whitespace() || c.is_control());
    plausible.then_some(email)
}

#[cfg(test)]
mod tests {
    use super::normalize_email;

    #[test]
    fn emails_are_normalized_or_refused() {
        assert_eq!(
            normalize_email(" Ann@Example.COM ").as_deref(),
            Some("ann@example.com")
        );
        for bad in [
            "",
            "ann",
            "@example.com",
            "ann@",
            "ann@example",
            "a b@example.com",
            "a@b@c.d",
            "ann@.com",
        ] {
            assert_eq!(normalize_email(bad), None, "{bad}");
        }
    }
}
