//! `POST /v1/device/sync` (v2, DESIGN.md section 3): a device, online for a moment, proves it holds
//! its key over a fresh nonce and learns whether it is bound, in an answer tagged over that nonce.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use hc_protocol::api::{DeviceSyncRequest, DeviceSyncResponse, ErrorCode};
use hc_protocol::{DeviceKey, Nonce, SYNC_VERSION, Serial, sync2_answer_tag, verify_sync2_request};

use crate::error::ApiError;
use crate::extract::ApiJson;
use crate::state::AppState;

pub async fn sync(
    State(state): State<AppState>,
    ApiJson(request): ApiJson<DeviceSyncRequest>,
) -> Result<Json<DeviceSyncResponse>, ApiError> {
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
    let key = row.as_ref().and_then(|row| {
        state
            .master_key()
            .open_device_key(&row.serial, &row.sealed_key)
    });
    // Same work for unknown serials: a key is always derived and the tag always checked.
    let unknown = DeviceKey::from_bytes([0; 32]);
    let authentic = verify_sync2_request(
        key.as_ref().unwrap_or(&unknown),
        &serial,
        &nonce,
        request.ts,
        &request.tag,
    ) && key.is_some();
    match (row, key) {
        (Some(row), Some(key)) if authentic => {
            let bound = row.owner_account_id.is_some();
            Ok(Json(DeviceSyncResponse {
                bound,
                tag: sync2_answer_tag(&key, &serial, &nonce, bound),
            }))
        }
        _ => Err(refused()),
    }
}
