//! `POST /v1/reset-codes`: the heart of the reset. Check order of DESIGN.md section 3: parse;
//! unknown serial or bad tag -> `invalid_qr`; not bound -> `device_not_bound`; bound to someone
//! else -> `bound_to_other_account`; otherwise the code. Every answer is audited.
//!
//! The serial is printed on the device, so anybody can name it: only a QR whose tag verifies (one
//! the device showed) spends the device's budget. Forged and unverifiable ones are counted against
//! the requesting account and client address instead, so another account cannot lock the owner
//! out (issue 14).

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
use crate::state::secs;
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
    let window = state.policy().rate_limits.window;
    let audit = |outcome: AuditOutcome, device_owner_id: Option<i64>| {
        let at = unix_now();
        NewAuditEvent {
            account_id: account,
            at,
            serial: challenge.as_ref().map(|c| c.serial.to_string()),
            nonce: challenge.as_ref().map(|c| c.nonce.to_hex()),
            outcome,
            client_addr: client_addr.clone(),
            device_owner_id,
            // A rate-limited account's refusals are one row per window with a count: a flood
            // of them cannot grow the table.
            // The refusals of a device's budget are kept apart per owner, so each row is in the
            // audit of the one owner its requests named.
            aggregate_key: (outcome == AuditOutcome::RateLimited).then(|| {
                let key = format!(
                    "rate_limited:{}:{}",
                    secs(window),
                    rate_limit::window_start(at, window)
                );
                match device_owner_id {
                    Some(owner) => format!("{key}:owner:{owner}"),
                    None => key,
                }
            }),
        }
    };
    // Whose device the QR named, once its tag verified, when that is another account.
    let mut device_owner_id = None;
    let result = decide(
        &state,
        account,
        client_addr.as_deref(),
        parsed,
        &mut device_owner_id,
    )
    .await;
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
    state
        .storage()
        .record_audit(&audit(outcome, device_owner_id))
        .await?;
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
    client_addr: Option<&str>,
    parsed: Result<hc_protocol::UnverifiedQr, QrError>,
    device_owner_id: &mut Option<i64>,
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
    let checked = match parsed {
        Err(error) => Err(Refusal::InvalidQr(error.to_string())),
        Ok(unverified) => verify(state, unverified).await?,
    };
    let (verified, row_model, owner, key) = match checked {
        Ok(checked) => checked,
        Err(refusal) => {
            // Forged or unverifiable: counted against the address it came from (the account
            // was counted above), never against the device it names. Unknown serials and bad
            // tags take this same path, so the limit tells nothing about the registry either.
            if let Some(addr) = client_addr {
                rate_limit::hit(
                    state,
                    &format!(
                        "reset-codes:unverified:{}",
                        rate_limit::address_bucket(addr)
                    ),
                    limits.unverified_reset_codes_per_client_addr,
                    limits.window,
                )
                .await
                .map_err(limited)?;
            }
            return Err(refusal);
        }
    };
    // Only the device could have made this QR: it names the device, so the attempt belongs in
    // its owner's audit whatever comes next; and now the device's budget is spent.
    *device_owner_id = owner.filter(|&owner| owner != account);
    rate_limit::hit(
        state,
        &format!("reset-codes:device:{}", verified.challenge().serial),
        limits.reset_codes_per_device,
        limits.window,
    )
    .await
    .map_err(limited)?;
    match owner {
        None => Err(Refusal::NotBound),
        Some(owner) if owner != account => Err(Refusal::BoundToOther),
        Some(_) => Ok((verified, row_model, key)),
    }
}

type Checked = (VerifiedQr, String, Option<i64>, DeviceKey);

/// The registry lookup and the tag check, with the same work for an unknown serial as for a
/// known one (a dummy key is opened and the tag checked against it). `Err` only for a database
/// failure; a QR that does not verify is `Ok(Err(invalid_qr))`.
async fn verify(
    state: &AppState,
    unverified: hc_protocol::UnverifiedQr,
) -> Result<Result<Checked, Refusal>, Refusal> {
    let serial = unverified.challenge().serial.to_string();
    let row = state
        .storage()
        .device(&serial)
        .await
        .map_err(|e| Refusal::Internal(e.into()))?;
    let (key, known) = state.master_key().open_registered_key(
        row.as_ref()
            .map(|row| (row.serial.as_str(), row.sealed_key.as_slice())),
    );
    let verified = unverified.verify(&key);
    Ok(match (row, verified) {
        (Some(row), Ok(verified)) if known => Ok((verified, row.model, row.owner_account_id, key)),
        _ => Err(Refusal::InvalidQr(
            "this QR code was not made by a registered device".into(),
        )),
    })
}
