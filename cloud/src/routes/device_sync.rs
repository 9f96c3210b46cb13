//! `POST /v1/device/sync` (v2, DESIGN.md section 3): a device, online for a moment, proves it holds
//! its key over a fresh nonce and learns whether it is bound, in an answer tagged over that nonce.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use hc_protocol::api::{DeviceSyncRequest, DeviceSyncResponse, ErrorCode};
use hc_protocol::{Nonce, SYNC_VERSION, Serial, sync2_answer_tag, verify_sync2_request};

use crate::error::ApiError;
use crate::extract::{ApiJson, ClientAddr};
use crate::rate_limit;
use crate::state::AppState;

/// A device learns whether it is bound (device-key tag)
#[utoipa::path(
    post,
    path = "/v1/device/sync",
    operation_id = "deviceSync",
    request_body = DeviceSyncRequest,
    responses(
        (status = 200, description = "the bound flag, tagged over the request's nonce", body = DeviceSyncResponse),
        (status = 400, description = "unsupported_version"),
        (status = 401, description = "unauthorized"),
        (status = 429, description = "rate_limited"),
    ),
)]
pub async fn sync(
    State(state): State<AppState>,
    ClientAddr(client_addr): ClientAddr,
    ApiJson(request): ApiJson<DeviceSyncRequest>,
) -> Result<Json<DeviceSyncResponse>, ApiError> {
    let limits = &state.policy().rate_limits;
    // Every request from the address counts, before any work: a flood of made-up syncs stops
    // here.
    if let Some(addr) = &client_addr {
        rate_limit::hit(
            &state,
            &format!("sync:addr:{}", rate_limit::address_bucket(addr)),
            limits.syncs_per_client_addr,
            limits.window,
        )
        .await?;
    }
    if request.v != SYNC_VERSION {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            ErrorCode::UnsupportedVersion,
            "device sync v1 is retired: send v2 (a fresh nonce, an answer tagged over it)",
        ));
    }
    let refused = || {
        ApiError::new(
            StatusCode::UNAUTHORIZED,
            ErrorCode::Unauthorized,
            "device authentication failed",
        )
    };
    let serial = Serial::parse(&request.serial).map_err(|_| refused())?;
    let nonce = Nonce::from_hex(&request.nonce).ok_or_else(refused)?;
    let row = state.storage().device(serial.as_str()).await?;
    // Same work for unknown serials: a (dummy) key is always opened and the tag always checked.
    let (key, known) = state.master_key().open_registered_key(
        row.as_ref()
            .map(|row| (row.serial.as_str(), row.sealed_key.as_slice())),
    );
    let authentic = verify_sync2_request(&key, &serial, &nonce, request.ts, &request.tag);
    let Some(row) = row.filter(|_| authentic && known) else {
        return Err(refused());
    };
    // Per serial, only requests that verify count: nobody without the key can spend a device's
    // budget, and a replayed request (which verifies) is stopped here. The limit answers only
    // those who already hold a genuine request, so it tells nothing about the registry.
    rate_limit::hit(
        &state,
        &format!("sync:device:{serial}"),
        limits.syncs_per_device,
        limits.window,
    )
    .await?;
    let bound = row.owner_account_id.is_some();
    Ok(Json(DeviceSyncResponse {
        bound,
        tag: sync2_answer_tag(&key, &serial, &nonce, bound),
    }))
}
