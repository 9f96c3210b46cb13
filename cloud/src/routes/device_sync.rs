//! `POST /v1/device/sync`: a device, online for a moment, proves it holds its key and learns
//! whether it is bound.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use hc_protocol::api::{DeviceSyncRequest, DeviceSyncResponse, ErrorCode};
use hc_protocol::{DeviceKey, Serial, verify_sync_tag};

use crate::error::ApiError;
use crate::extract::ApiJson;
use crate::state::AppState;

pub async fn sync(
    State(state): State<AppState>,
    ApiJson(request): ApiJson<DeviceSyncRequest>,
) -> Result<Json<DeviceSyncResponse>, ApiError> {
    let refused = || {
        ApiError::new(
            StatusCode::UNAUTHORIZED,
            ErrorCode::Unauthorized,
            "device authentication failed",
        )
    };
    let serial = Serial::parse(&request.serial).map_err(|_| refused())?;
    let row = state.storage().device(serial.as_str()).await?;
    let key = row.as_ref().and_then(|row| {
        state
            .master_key()
            .open_device_key(&row.serial, &row.sealed_key)
    });
    let authentic = match &key {
        Some(key) => verify_sync_tag(key, &serial, request.ts, &request.tag),
        None => {
            // Same work for unknown serials, same answer.
            let _ = verify_sync_tag(
                &DeviceKey::from_bytes([0; 32]),
                &serial,
                request.ts,
                &request.tag,
            );
            false
        }
    };
    match row.filter(|_| authentic) {
        Some(row) => Ok(Json(DeviceSyncResponse {
            bound: row.owner_account_id.is_some(),
        })),
        None => Err(refused()),
    }
}
