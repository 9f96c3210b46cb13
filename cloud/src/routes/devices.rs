//! `GET/POST /v1/devices`, `DELETE /v1/devices/{serial}`: the account's devices and binding.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use hc_protocol::Serial;
use hc_protocol::api::{AddDeviceRequest, Device, DeviceList, ErrorCode, MAX_DEVICE_NAME_CHARS};
use hc_protocol::factory::LabelCode;

use serde::Deserialize;
use utoipa::IntoParams;

use crate::auth::{Account, VerifiedAccount};
use crate::error::ApiError;
use crate::extract::ApiJson;
use crate::rate_limit;
use crate::state::{AppState, unix_now};
use crate::storage::BindOutcome;

/// The account's devices
#[utoipa::path(
    get,
    path = "/v1/devices",
    operation_id = "listDevices",
    security(("bearer" = [])),
    responses((status = 200, description = "the account's devices", body = DeviceList)),
)]
pub async fn list(
    State(state): State<AppState>,
    Account(account): Account,
) -> Result<Json<DeviceList>, ApiError> {
    Ok(Json(DeviceList {
        devices: state.storage().devices_of(account).await?,
    }))
}

/// Add (bind) a device by serial and label code
#[utoipa::path(
    post,
    path = "/v1/devices",
    operation_id = "addDevice",
    request_body = AddDeviceRequest,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "the device, now the account's", body = Device),
        (status = 400, description = "invalid_serial"),
        (status = 403, description = "wrong_label_code, email_not_verified"),
        (status = 409, description = "already_added, bound_to_other_account"),
        (status = 429, description = "rate_limited"),
    ),
)]
pub async fn add(
    State(state): State<AppState>,
    VerifiedAccount(account): VerifiedAccount,
    ApiJson(request): ApiJson<AddDeviceRequest>,
) -> Result<(StatusCode, Json<Device>), ApiError> {
    let serial = parse_serial(&request.serial)?;
    let name = device_name(request.name.as_deref(), &serial)?;
    let limits = &state.policy().rate_limits;
    // Label codes are only 26^6: count every attempt so nobody can walk through them, per
    // account and per serial (many accounts guessing at one device, which answers "added by
    // another account" only to the right code), before the code is looked at.
    rate_limit::hit(
        &state,
        &format!("add-device:{account}"),
        limits.add_device_attempts_per_account,
        limits.window,
    )
    .await?;
    rate_limit::hit(
        &state,
        &format!("add-device:serial:{}", serial.as_str()),
        limits.add_device_attempts_per_account,
        limits.window,
    )
    .await?;

    let wrong_label = || {
        ApiError::new(
            StatusCode::FORBIDDEN,
            ErrorCode::WrongLabelCode,
            "the serial number and label code do not match",
        )
    };
    // People type what they read; the label is upper case.
    let typed = LabelCode::parse(&request.label_code.trim().to_ascii_uppercase());
    let row = state.storage().device(serial.as_str()).await?;
    // Unknown serials get the same answer as a wrong code, so the registry cannot be enumerated.
    let label_ok = match (&typed, &row) {
        (Some(typed), Some(row)) => {
            state
                .master_key()
                .label_code_matches(serial.as_str(), typed, &row.label_hash)
        }
        (Some(typed), None) => {
            // Same HMAC work as for a real serial, so timing does not reveal the registry.
            let _ = state.master_key().label_code_hash(serial.as_str(), typed);
            false
        }
        (None, _) => false,
    };
    if !label_ok {
        return Err(wrong_label());
    }

    match state
        .storage()
        .bind_device(serial.as_str(), account, &name, unix_now())
        .await?
    {
        BindOutcome::Bound(device) => Ok((StatusCode::CREATED, Json(device))),
        BindOutcome::AlreadyYours => Err(ApiError::new(
            StatusCode::CONFLICT,
            ErrorCode::AlreadyAdded,
            "this device is already in your account",
        )),
        BindOutcome::BoundToOtherAccount => Err(bound_to_other_account()),
        BindOutcome::UnknownDevice => Err(wrong_label()),
    }
}

/// The `{serial}` of `DELETE /v1/devices/{serial}`.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct SerialPath {
    #[param(schema_with = hc_protocol::openapi::serial)]
    serial: String,
}

/// Remove a device from the account
#[utoipa::path(
    delete,
    path = "/v1/devices/{serial}",
    operation_id = "removeDevice",
    params(SerialPath),
    security(("bearer" = [])),
    responses(
        (status = 204, description = "removed"),
        (status = 400, description = "invalid_serial"),
        (status = 404, description = "not_found"),
    ),
)]
pub async fn remove(
    State(state): State<AppState>,
    Account(account): Account,
    Path(SerialPath { serial }): Path<SerialPath>,
) -> Result<StatusCode, ApiError> {
    let serial = parse_serial(&serial)?;
    if state
        .storage()
        .unbind_device(serial.as_str(), account)
        .await?
    {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::not_found("this device is not in your account"))
    }
}

pub fn bound_to_other_account() -> ApiError {
    ApiError::new(
        StatusCode::CONFLICT,
        ErrorCode::BoundToOtherAccount,
        "this device has been added by another account",
    )
}

fn parse_serial(text: &str) -> Result<Serial, ApiError> {
    Serial::parse(text.trim()).map_err(|_| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            ErrorCode::InvalidSerial,
            "a serial number is nine of A-Z and 0-9",
        )
    })
}

fn device_name(requested: Option<&str>, serial: &Serial) -> Result<String, ApiError> {
    let name = requested.map(str::trim).unwrap_or_default();
    if name.is_empty() {
        return Ok(serial.to_string());
    }
    if name.chars().count() > MAX_DEVICE_NAME_CHARS || name.chars().any(char::is_control) {
        return Err(ApiError::bad_request(format!(
            "a device name has at most {MAX_DEVICE_NAME_CHARS} characters and no control characters"
        )));
    }
    Ok(name.to_owned())
}
