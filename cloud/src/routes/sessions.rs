//! `POST /v1/auth/login`, `/refresh`, `/logout`, `/password`, `/logout-all`.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use hc_protocol::api::{
    ChangePasswordRequest, Credentials, ErrorCode, FeedEventKind, MAX_PASSWORD_CHARS,
    RefreshRequest, Tokens,
};

use crate::auth::{Session, new_token_pair};
use crate::crypto::{hash_password, token_hash, verify_password};
use crate::email::normalize_email;
use crate::error::ApiError;
use crate::extract::{ApiJson, ClientAddr};
use crate::feed::mask_client;
use crate::rate_limit;
use crate::routes::accounts::check_password_rule;
use crate::state::{AppState, unix_now};
use crate::storage::{NewFeedEvent, RefreshOutcome};

pub async fn login(
    State(state): State<AppState>,
    ClientAddr(client_addr): ClientAddr,
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
    // Password guessing: count every attempt from the address (random emails would each get a
    // fresh bucket) and on this email, known account or not (the limit must not tell which
    // emails exist), malformed or not, all before the argon2 work. A locked-out owner keeps the
    // sessions they have: refresh is not counted.
    login_limits(
        &state,
        client_addr.as_deref(),
        &rate_limit::email_bucket(&credentials.email),
    )
    .await?;
    // A malformed email is no account: nothing to hash, nothing to find.
    let Some(email) = normalize_email(&credentials.email) else {
        return Err(refused());
    };
    let account = state.storage().account_by_email(&email).await?;
    let stored_hash = account.as_ref().map(|(_, hash)| hash.clone());
    let password = credentials.password;
    // Unknown accounts are verified against a dummy hash too: same time, same answer.
    let password_ok = state
        .hashing()
        .run(client_addr.as_deref(), move || {
            verify_password(&password, stored_hash.as_deref())
        })
        .await?;
    let Some((account_id, _)) = account.filter(|_| password_ok) else {
        return Err(refused());
    };
    let (tokens, hashes) = new_token_pair(&state);
    let now = unix_now();
    let login = NewFeedEvent {
        client: client_addr.as_deref().and_then(mask_client),
        ..NewFeedEvent::new(account_id, now, FeedEventKind::NewLogin)
    };
    state
        .storage()
        .start_session(account_id, &hashes, now, Some(&login))
        .await?;
    state.feed().written(account_id);
    Ok(Json(tokens))
}

/// The limits every password check meets: per client address, then per `who` (an email bucket
/// or an account).
async fn login_limits(
    state: &AppState,
    client_addr: Option<&str>,
    who: &str,
) -> Result<(), ApiError> {
    let limits = &state.policy().rate_limits;
    if let Some(addr) = client_addr {
        rate_limit::hit(
            state,
            &format!("login:addr:{}", rate_limit::address_bucket(addr)),
            limits.logins_per_client_addr,
            limits.window,
        )
        .await?;
    }
    rate_limit::hit(
        state,
        &format!("login:{who}"),
        limits.logins_per_email,
        limits.window,
    )
    .await
}

/// Changes the account password after checking the current one (limited like a login), and ends
/// every other session of the account: a stolen phone's tokens die, the caller's live on.
pub async fn change_password(
    State(state): State<AppState>,
    session: Session,
    ClientAddr(client_addr): ClientAddr,
    ApiJson(request): ApiJson<ChangePasswordRequest>,
) -> Result<StatusCode, ApiError> {
    let wrong = || {
        ApiError::new(
            StatusCode::FORBIDDEN,
            ErrorCode::InvalidCredentials,
            "the current password is wrong",
        )
    };
    if request.current_password.chars().count() > MAX_PASSWORD_CHARS {
        return Err(wrong());
    }
    login_limits(
        &state,
        client_addr.as_deref(),
        &format!("account:{}", session.account),
    )
    .await?;
    check_password_rule(&request.new_password)?;
    let stored = state.storage().password_hash_of(session.account).await?;
    let ChangePasswordRequest {
        current_password,
        new_password,
    } = request;
    let new_hash = state
        .hashing()
        .run(client_addr.as_deref(), move || {
            verify_password(&current_password, stored.as_deref())
                .then(|| hash_password(&new_password))
        })
        .await?
        .ok_or_else(wrong)?
        .map_err(ApiError::internal)?;
    state
        .storage()
        .change_password(session.account, &new_hash, session.session, unix_now())
        .await?;
    tracing::info!(
        account = session.account,
        "password changed; other sessions ended"
    );
    Ok(StatusCode::NO_CONTENT)
}

/// Ends every session of the account, the caller's too.
pub async fn logout_all(
    State(state): State<AppState>,
    session: Session,
) -> Result<StatusCode, ApiError> {
    state
        .storage()
        .revoke_all_sessions(session.account, unix_now())
        .await?;
    Ok(StatusCode::NO_CONTENT)
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
