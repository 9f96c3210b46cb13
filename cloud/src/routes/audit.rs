//! `GET /v1/audit`: the account's reset-code events, newest first.

use axum::Json;
use axum::extract::State;
use hc_protocol::api::AuditList;
use serde::Deserialize;

use crate::auth::Account;
use crate::error::ApiError;
use crate::extract::ApiQuery;
use crate::state::AppState;

pub const DEFAULT_LIMIT: u32 = 100;
pub const MAX_LIMIT: u32 = 1000;

#[derive(Deserialize)]
pub struct AuditQuery {
    /// How many events, 1..=1000 (default 100).
    limit: Option<u32>,
}

pub async fn list(
    State(state): State<AppState>,
    Account(account): Account,
    ApiQuery(query): ApiQuery<AuditQuery>,
) -> Result<Json<AuditList>, ApiError> {
    let limit = query.limit.unwrap_or(DEFAULT_LIMIT).clamp(1, MAX_LIMIT);
    Ok(Json(AuditList {
        events: state.storage().audit_of(account, limit).await?,
    }))
}
