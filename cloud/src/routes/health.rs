//! `GET /healthz`: the service is up and its database answers.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use hc_protocol::api::ErrorCode;
use serde_json::{Value, json};

use crate::error::ApiError;
use crate::state::AppState;

pub async fn healthz(State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
    match state.storage().ping().await {
        Ok(()) => Ok(Json(json!({ "status": "ok" }))),
        Err(error) => {
            tracing::error!(%error, "health check: database unreachable");
            Err(ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                ErrorCode::Unavailable,
                "database unreachable",
            ))
        }
    }
}
