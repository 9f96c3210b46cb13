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

/// Log in: a short-lived access token and a refresh token
#[utoipa::path(
    post,
    path = "/v1/auth/login",
    operation_id = "login",
    request_body = Credentials,
    responses(
        (status = 200, description = "a new session's tokens", body = Tokens),
        (status = 401, description = "invalid_credentials"),
        (status = 429, description = "rate_limited"),
    ),
)]
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

/// Change the account password; every other session ends, the caller's lives on
///
/// The current password is checked (limited like a login); a wrong one is 403, not 401, which
/// would tell the app that its session has ended. A stolen phone's tokens die.
#[utoipa::path(
    post,
    path = "/v1/auth/password",
    operation_id = "changePassword",
    request_body = ChangePasswordRequest,
    security(("bearer" = [])),
    responses(
        (status = 204, description = "changed"),
        (status = 400, description = "weak_password"),
        (status = 403, description = "invalid_credentials"),
        (status = 429, description = "rate_limited"),
    ),
)]
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

/// End every session of the account, the caller's too
#[utoipa::path(
    post,
    path = "/v1/auth/logout-all",
    operation_id = "logoutAll",
    security(("bearer" = [])),
    responses((status = 204, description = "every session ended")),
)]
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

/// Trade a refresh token for new tokens; the old one dies, and using it again revokes the session
#[utoipa::path(
    post,
    path = "/v1/auth/refresh",
    operation_id = "refresh",
    request_body = RefreshRequest,
    responses(
        (status = 200, description = "the session's new tokens", body = Tokens),
        (status = 401, description = "unauthorized"),
    ),
)]
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

/// Revoke the session of a refresh token (idempotent)
///
/// The session's access and refresh tokens die at once. An unknown or already revoked token is
/// also answered 204.
#[utoipa::path(
    post,
    path = "/v1/auth/logout",
    operation_id = "logout",
    request_body = RefreshRequest,
    responses((status = 204, description = "the session has ended")),
)]
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
