//! `POST /v1/reset-codes`: the heart of the reset. Check order of DESIGN.md section 3: parse;
//! unknown serial or bad tag -> `invalid_qr`; not bound -> `device_not_bound`; bound to someone
//! else -> `bound_to_other_account`; otherwise the code. Every answer is audited.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use hc_protocol::api::{AuditOutcome, ErrorCode, ResetCodeRequest, ResetCodeResponse};
use hc_protocol::{CHALLENGE_LIFETIME_SECS, DeviceKey, QrError, VerifiedQr, parse_qr};

use crate::auth::Account;
use crate::error::ApiError;
use crate::extract::{ApiJson, ClientAddr};
use crate::rate_limit;
use crate::routes::devices::bound_to_other_account;
use crate::state::{AppState, unix_now};
use crate::storage::NewAuditEvent;

pub async fn issue(
    State(state): State<AppState>,
    Account(account): Account,
    ClientAddr(client_addr): ClientAddr,
    ApiJson(request): ApiJson<ResetCodeRequest>,
) -> Result<Json<ResetCodeResponse>, ApiError> {
    let parsed = parse_qr(&request.qr);
    let challenge = parsed.as_ref().ok().map(|qr| qr.challenge().clone());
    let audit = |outcome: AuditOutcome| NewAuditEvent {
        account_id: account,
        at: unix_now(),
        serial: challenge.as_ref().map(|c| c.serial.to_string()),
        nonce: challenge.as_ref().map(|c| c.nonce.to_hex()),
        outcome,
        client_addr: client_addr.clone(),
    };
    let result = decide(&state, account, parsed).await;
    let outcome = match &result {
        Ok(_) => AuditOutcome::Issued,
        Err(Refusal::RateLimited(_)) => AuditOutcome::RateLimited,
        Err(Refusal::InvalidQr(_)) => AuditOutcome::InvalidQr,
        Err(Refusal::NotBound) => AuditOutcome::DeviceNotBound,
        Err(Refusal::BoundToOther) => AuditOutcome::BoundToOtherAccount,
        // Nothing was decided: nothing to audit; the cause is logged where it happened.
        Err(Refusal::Internal(error)) => return Err(error.clone()),
    };
    // Fail closed: no code leaves without its audit row.
    state.storage().record_audit(&audit(outcome)).await?;
    match result {
        Ok((verified, model, key)) => {
            let challenge = verified.challenge();
            let code = challenge.reset_code(&key);
            tracing::info!(serial = %challenge.serial, "reset code issued");
            Ok(Json(ResetCodeResponse {
                serial: challenge.serial.to_string(),
                model,
                code: code.as_str().to_owned(),
                valid_for_secs: CHALLENGE_LIFETIME_SECS,
            }))
        }
        Err(refusal) => Err(refusal.into_api_error()),
    }
}

enum Refusal {
    RateLimited(ApiError),
    InvalidQr(String),
    NotBound,
    BoundToOther,
    Internal(ApiError),
}

impl Refusal {
    fn into_api_error(self) -> ApiError {
        match self {
            Refusal::RateLimited(error) | Refusal::Internal(error) => error,
            Refusal::InvalidQr(message) => {
                ApiError::new(StatusCode::BAD_REQUEST, ErrorCode::InvalidQr, message)
            }
            Refusal::NotBound => ApiError::new(
                StatusCode::CONFLICT,
                ErrorCode::DeviceNotBound,
                "this device has not been added to your account",
            ),
            Refusal::BoundToOther => bound_to_other_account(),
        }
    }
}

fn limited(error: ApiError) -> Refusal {
    if error.code == ErrorCode::RateLimited {
        Refusal::RateLimited(error)
    } else {
        Refusal::Internal(error)
    }
}

/// Everything but the audit. Returns the verified challenge, the registry's model, and the key.
async fn decide(
    state: &AppState,
    account: i64,
    parsed: Result<hc_protocol::UnverifiedQr, QrError>,
) -> Result<(VerifiedQr, String, DeviceKey), Refusal> {
    let limits = &state.policy().rate_limits;
    rate_limit::hit(
        state,
        &format!("reset-codes:account:{account}"),
        limits.reset_codes_per_account,
        limits.window,
    )
    .await
    .map_err(limited)?;
    let unverified = parsed.map_err(|error| Refusal::InvalidQr(error.to_string()))?;
    let serial = unverified.challenge().serial.to_string();
    // Counted before the registry lookup, for known and unknown serials alike: the limit itself
    // must not tell which serials exist.
    rate_limit::hit(
        state,
        &format!("reset-codes:device:{serial}"),
        limits.reset_codes_per_device,
        limits.window,
    )
    .await
    .map_err(limited)?;

    let row = state
        .storage()
        .device(&serial)
        .await
        .map_err(|e| Refusal::Internal(e.into()))?;
    let key = row.as_ref().and_then(|row| {
        state
            .master_key()
            .open_device_key(&row.serial, &row.sealed_key)
    });
    let not_ours = || Refusal::InvalidQr("this QR code was not made by a registered device".into());
    let (row, key) = match (row, key) {
        (Some(row), Some(key)) => (row, key),
        (row, _) => {
            if row.is_some() {
                tracing::error!(%serial, "a device key does not open under the master key");
            }
            // Spend the same HMAC work as a real check, so timing does not reveal the registry.
            let _ = unverified.verify(&DeviceKey::from_bytes([0; 32]));
            return Err(not_ours());
        }
    };
    let verified = unverified.verify(&key).map_err(|_| not_ours())?;
    match row.owner_account_id {
        None => Err(Refusal::NotBound),
        Some(owner) if owner != account => Err(Refusal::BoundToOther),
        Some(_) => Ok((verified, row.model, key)),
    }
}
