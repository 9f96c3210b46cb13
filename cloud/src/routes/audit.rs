//! `GET /v1/audit`: the account's reset-code events, newest first.

use axum::Json;
use axum::extract::State;
use hc_protocol::api::{AUDIT_DEFAULT_LIMIT, AUDIT_MAX_LIMIT, AuditList};
use serde::Deserialize;

use crate::auth::Account;
use crate::error::ApiError;
use crate::extract::ApiQuery;
use crate::state::AppState;

#[derive(Deserialize)]
pub struct AuditQuery {
    /// How many events, 1..=[`AUDIT_MAX_LIMIT`] (default [`AUDIT_DEFAULT_LIMIT`]).
    limit: Option<u32>,
}

pub async fn list(
    State(state): State<AppState>,
    Account(account): Account,
    ApiQuery(query): ApiQuery<AuditQuery>,
) -> Result<Json<AuditList>, ApiError> {
    // Out of range is refused rather than clamped: the client learns its mistake, and the
    // document's range is the server's.
    let limit = query.limit.unwrap_or(AUDIT_DEFAULT_LIMIT);
    if !(1..=AUDIT_MAX_LIMIT).contains(&limit) {
        return Err(ApiError::bad_request(format!(
            "limit is 1 to {AUDIT_MAX_LIMIT}"
        )));
    }
    Ok(Json(AuditList {
        events: state.storage().audit_of(account, limit).await?,
    }))
}
