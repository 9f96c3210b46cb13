//! `GET /healthz` (liveness: the process serves requests) and `GET /readyz` (readiness: it can
//! do its work, so its database answers). An orchestrator restarts an instance whose liveness
//! fails and takes one whose readiness fails out of the proxy's rotation; a database outage must
//! only do the second, or every instance would be restarted at once while the database is away.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use hc_protocol::api::ErrorCode;
use serde::Serialize;
use utoipa::ToSchema;

use crate::error::ApiError;
use crate::state::AppState;

/// Both answers' body: `{"status": "ok"}`.
#[derive(Serialize, ToSchema)]
pub struct Health {
    status: HealthStatus,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
enum HealthStatus {
    Ok,
}

const OK: Health = Health {
    status: HealthStatus::Ok,
};

/// Liveness: the service answers (the database is not asked; see /readyz)
#[utoipa::path(
    get,
    path = "/healthz",
    operation_id = "health",
    responses((status = 200, description = "the service answers", body = Health)),
)]
pub async fn healthz() -> Json<Health> {
    Json(OK)
}

/// Readiness: the service can work, its database answers (503 unavailable while it does not)
#[utoipa::path(
    get,
    path = "/readyz",
    operation_id = "ready",
    responses((status = 200, description = "the database answers", body = Health)),
)]
pub async fn readyz(State(state): State<AppState>) -> Result<Json<Health>, ApiError> {
    match state.storage().ping().await {
        Ok(()) => Ok(Json(OK)),
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
