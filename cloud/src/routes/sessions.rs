//! `POST /v1/auth/login`, `/refresh`, `/logout`.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use hc_protocol::api::{Credentials, ErrorCode, MAX_PASSWORD_CHARS, RefreshRequest, Tokens};

use crate::auth::new_token_pair;
use crate::crypto::{token_hash, verify_password};
use crate::error::ApiError;
use crate::extract::ApiJson;
use crate::rate_limit;
use crate::routes::accounts::normalize_email;
use crate::state::{AppState, unix_now};
use crate::storage::RefreshOutcome;

pub async fn login(
    State(state): State<AppState>,
    ApiJson(credentials): ApiJson<Credentials>,
) -> Result<Json<Tokens>, ApiError> {
    let refused = || {
        ApiError::new(
            StatusCode::UNAUTHORIZED,
            ErrorCode::InvalidCredentials,
            "wrong email or password",
        )
    };
    if credentials.password.chars().count() > MAX_PASSWORD_CHARS {
        return Err(refused());
    }
    let email = normalize_email(&credentials.email);
    if let Some(email) = &email {
        // Password guessing: count every attempt on this email, known account or not (the limit
        // must not tell which emails exist), before the argon2 work. A locked-out owner keeps
        // the sessions they have: refresh is not counted.
        let limits = &state.policy().rate_limits;
        rate_limit::hit(
            &state,
            &format!("login:{email}"),
            limits.logins_per_email,
            limits.window,
        )
        .await?;
    }
    let account = match email {
        Some(email) => state.storage().account_by_email(&email).await?,
        None => None,
    };
    let stored_hash = account.as_ref().map(|(_, hash)| hash.clone());
    let password = credentials.password;
    // Unknown accounts are verified against a dummy hash too: same time, same answer.
    let password_ok =
        tokio::task::spawn_blocking(move || verify_password(&password, stored_hash.as_deref()))
            .await
            .map_err(ApiError::internal)?;
    let Some((account_id, _)) = account.filter(|_| password_ok) else {
        return Err(refused());
    };
    let (tokens, hashes) = new_token_pair(&state);
    state
        .storage()
        .start_session(account_id, &hashes, unix_now())
        .await?;
    Ok(Json(tokens))
}

pub async fn refresh(
    State(state): State<AppState>,
    ApiJson(request): ApiJson<RefreshRequest>,
) -> Result<Json<Tokens>, ApiError> {
    let (tokens, hashes) = new_token_pair(&state);
    match state
        .storage()
        .rotate_refresh_token(&token_hash(&request.refresh_token), &hashes, unix_now())
        .await?
    {
        RefreshOutcome::Rotated { .. } => Ok(Json(tokens)),
        RefreshOutcome::ReusedSessionRevoked => {
            tracing::warn!("a used refresh token came back; its session is revoked");
            Err(ApiError::unauthorized())
        }
        RefreshOutcome::Invalid => Err(ApiError::unauthorized()),
    }
}

/// Revokes the session the refresh token belongs to: its access and refresh tokens die at once.
/// Idempotent: an unknown or already revoked token is also answered 204.
pub async fn logout(
    State(state): State<AppState>,
    ApiJson(request): ApiJson<RefreshRequest>,
) -> Result<StatusCode, ApiError> {
    state
        .storage()
        .revoke_session(&token_hash(&request.refresh_token), unix_now())
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
