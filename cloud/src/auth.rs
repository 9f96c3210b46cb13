//! Bearer-token authentication and token issuance.

use axum::extract::FromRequestParts;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use hc_protocol::api::Tokens;

use crate::crypto::{new_token, token_hash};
use crate::error::ApiError;
use crate::state::{AppState, secs, unix_now};
use crate::storage::TokenHashes;

/// Longest bearer token looked at; ours are 43 characters.
const MAX_TOKEN_LEN: usize = 256;

/// The account a live access token belongs to. A missing, malformed, expired or revoked token is
/// a 401.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Account(pub i64);

impl FromRequestParts<AppState> for Account {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let token = presented_token(parts)?;
        let account = state
            .storage()
            .account_for_access_token(&token_hash(token), unix_now())
            .await?;
        account.map(Account).ok_or_else(ApiError::unauthorized)
    }
}

/// The account of a live access token whose e-mail address is verified: what adding a device,
/// asking for a reset code and requesting a transfer need (issue 21). A token that is not live is
/// a 401; an unverified account a 403 `email_not_verified`, before the handler touches anything.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct VerifiedAccount(pub i64);

impl FromRequestParts<AppState> for VerifiedAccount {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let token = presented_token(parts)?;
        match state
            .storage()
            .verified_account_for_access_token(&token_hash(token), unix_now())
            .await?
        {
            None => Err(ApiError::unauthorized()),
            Some((_, false)) => Err(crate::account_codes::email_not_verified()),
            Some((account, true)) => Ok(VerifiedAccount(account)),
        }
    }
}

/// The hash of a well-formed bearer token, not yet looked up: for a handler that reads the
/// token's account in one statement with the rest of what it needs (a missing or malformed token
/// is a 401 here; one that is not live is the handler's 401).
pub struct AccessTokenHash(pub Vec<u8>);

impl FromRequestParts<AppState> for AccessTokenHash {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &AppState) -> Result<Self, ApiError> {
        Ok(AccessTokenHash(token_hash(presented_token(parts)?)))
    }
}

/// The bearer token of the request, or the 401 every missing or malformed one gets.
fn presented_token(parts: &Parts) -> Result<&str, ApiError> {
    parts
        .headers
        .get(AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(bearer_token)
        .ok_or_else(ApiError::unauthorized)
}

/// The account and the session (one login) of a live access token, for calls that treat the
/// caller's own session apart from the others'.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Session {
    pub account: i64,
    pub session: i64,
}

impl FromRequestParts<AppState> for Session {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let token = presented_token(parts)?;
        let found = state
            .storage()
            .session_for_access_token(&token_hash(token), unix_now())
            .await?;
        found
            .map(|(account, session)| Session { account, session })
            .ok_or_else(ApiError::unauthorized)
    }
}

fn bearer_token(header: &str) -> Option<&str> {
    let (scheme, token) = header.split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty() && token.len() <= MAX_TOKEN_LEN)
        .then_some(token)
}

/// A fresh access and refresh token pair: what the client gets, and what the database keeps.
pub fn new_token_pair(state: &AppState) -> (Tokens, TokenHashes) {
    let policy = state.policy();
    let now = unix_now();
    let access = new_token();
    let refresh = new_token();
    let hashes = TokenHashes {
        access_hash: token_hash(&access),
        access_expires_at: now.saturating_add(secs(policy.access_token_ttl)),
        refresh_hash: token_hash(&refresh),
        refresh_expires_at: now.saturating_add(secs(policy.refresh_token_ttl)),
    };
    let tokens = Tokens {
        access_token: access.to_string(),
        refresh_token: refresh.to_string(),
        expires_in_secs: policy.access_token_ttl.as_secs(),
    };
    (tokens, hashes)
}

#[cfg(test)]
mod tests {
    use super::bearer_token;

    #[test]
    fn only_well_formed_bearer_headers_yield_a_token() {
        assert_eq!(bearer_token("Bearer abc"), Some("abc"));
        assert_eq!(bearer_token("bearer abc"), Some("abc"));
        assert_eq!(bearer_token("Basic abc"), None);
        assert_eq!(bearer_token("Bearer "), None);
        assert_eq!(bearer_token("Bearer"), None);
        assert_eq!(bearer_token(&format!("Bearer {}", "a".repeat(300))), None);
    }
}
