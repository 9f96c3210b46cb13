//! `GET /v1/audit`: the account's reset-code events, newest first, paged by key: the requests the
//! account made, and those other accounts made for its devices (issue 16).

use axum::Json;
use axum::extract::State;
use hc_protocol::api::{AUDIT_DEFAULT_LIMIT, AUDIT_MAX_LIMIT, AuditList};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::auth::Account;
use crate::error::ApiError;
use crate::extract::ApiQuery;
use crate::state::AppState;

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    /// How many events (default 100).
    #[param(schema_with = hc_protocol::openapi::audit_limit)]
    limit: Option<u32>,
    /// Only events older than this id: the previous page's `next_before`.
    #[param(schema_with = hc_protocol::openapi::event_id)]
    before: Option<i64>,
}

/// The account's reset-code events and other accounts' on its devices, newest first, paged by key
#[utoipa::path(
    get,
    path = "/v1/audit",
    operation_id = "listAudit",
    params(AuditQuery),
    security(("bearer" = [])),
    responses((status = 200, description = "one page of events", body = AuditList)),
)]
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
    if query.before.is_some_and(|before| before < 1) {
        return Err(ApiError::bad_request("before is an event id (1 or more)"));
    }
    // One more than asked tells whether an older page exists, so the last page says so itself.
    let mut events = state
        .storage()
        .audit_of(account, query.before, limit + 1)
        .await?;
    let more = events.len() > limit as usize;
    events.truncate(limit as usize);
    let next_before = more.then(|| events.last().map(|e| e.id)).flatten();
    Ok(Json(AuditList {
        events,
        next_before,
    }))
}
