//! `GET /healthz` (liveness: the process serves requests) and `GET /readyz` (readiness: it can
//! do its work, so its database answers). An orchestrator restarts an instance whose liveness
//! fails and takes one whose readiness fails out of the proxy's rotation; a database outage must
//! only do the second, or every instance would be restarted at once while the database is away.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use hc_protocol::api::ErrorCode;
use serde_json::{Value, json};

use crate::error::ApiError;
use crate::state::AppState;

pub async fn healthz() -> Json<Value> {
    Json(json!({ "status": "ok" }))
}

pub async fn readyz(State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
    match state.storage().ping().await {
        Ok(()) => Ok(Json(json!({ "status": "ok" }))),
        Err(error) => {
            tracing::warn!(%error, "readiness: database unreachable");
            Err(ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                ErrorCode::Unavailable,
                "database unreachable",
            ))
        }
    }
}
