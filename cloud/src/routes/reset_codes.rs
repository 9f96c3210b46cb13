//! `POST /v1/reset-codes`: the heart of the reset. Check order of DESIGN.md section 3: parse;
//! unknown serial or bad tag -> `invalid_qr`; not bound -> `device_not_bound`; bound to someone
//! else -> `bound_to_other_account`; otherwise the code. Every answer is audited.
//!
//! The serial is printed on the device, so anybody can name it: only a QR whose tag verifies (one
//! the device showed) spends the device's budget. Forged and unverifiable ones are counted against
//! the requesting account and client address instead, so another account cannot lock the owner
//! out (issue 14).
//!
//! Two trips to the database (issue 18): one read (the token's account and the device row
//! together), then one transaction that counts the request against its limits and writes its
//! audit row, so a code never leaves without its row and a count never stands without its row.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use hc_protocol::api::{
    AuditOutcome, ErrorCode, FeedEventKind, ResetCodeRequest, ResetCodeResponse,
};
use hc_protocol::{CHALLENGE_LIFETIME_SECS, DeviceKey, UnverifiedQr, VerifiedQr, parse_qr};

use crate::auth::AccessTokenHash;
use crate::error::ApiError;
use crate::extract::{ApiJson, ClientAddr};
use crate::rate_limit;
use crate::routes::devices::bound_to_other_account;
use crate::state::{AppState, secs, unix_now};
use crate::storage::{DeviceRow, Limit, NewAuditEvent, NewFeedEvent};

/// The verification code for a reset QR code
#[utoipa::path(
    post,
    path = "/v1/reset-codes",
    operation_id = "issueResetCode",
    request_body = ResetCodeRequest,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "the code to type on the device", body = ResetCodeResponse),
        (status = 400, description = "invalid_qr"),
        (status = 403, description = "email_not_verified"),
        (status = 409, description = "device_not_bound, bound_to_other_account"),
        (status = 429, description = "rate_limited"),
    ),
)]
pub async fn issue(
    State(state): State<AppState>,
    AccessTokenHash(access_hash): AccessTokenHash,
    ClientAddr(client_addr): ClientAddr,
    body: Result<ApiJson<ResetCodeRequest>, ApiError>,
) -> Result<Json<ResetCodeResponse>, ApiError> {
    let now = unix_now();
    let parsed = body.map(|ApiJson(request)| parse_qr(&request.qr));
    let serial = match &parsed {
        Ok(Ok(qr)) => Some(qr.challenge().serial.to_string()),
        _ => None,
    };
    let context = state
        .storage()
        .reset_code_context(&access_hash, serial.as_deref(), now)
        .await?;
    // A dead token is a 401 before anything about the body is said, as on every other route.
    let Some((account, verified, row)) = context else {
        return Err(ApiError::unauthorized());
    };
    // Before the body is judged or any budget spent (issue 21).
    if !verified {
        return Err(crate::account_codes::email_not_verified());
    }
    let parsed = parsed?;
    let challenge = parsed.as_ref().ok().map(|qr| qr.challenge().clone());
    let checked = match parsed {
        Err(error) => Err(error.to_string()),
        Ok(unverified) => verify(&state, unverified, row),
    };

    let limits = &state.policy().rate_limits;
    let window = limits.window;
    let window_start = rate_limit::window_start(now, window);
    let account_bucket = rate_limit::reset_codes_of_account(account);
    // Only the device could have made a QR that verifies: only then is the device's budget
    // spent. A forged or unverifiable one is counted against the address it came from (the
    // account is counted too), never against the device it names. Unknown serials and bad tags
    // take this same path, so the limit tells nothing about the registry either.
    let second_bucket = match &checked {
        Ok(found) => Some((
            rate_limit::reset_codes_of_device(found.verified.challenge().serial.as_str()),
            limits.reset_codes_per_device,
        )),
        Err(_) => client_addr.as_deref().map(|addr| {
            (
                rate_limit::unverified_reset_codes_from(addr),
                limits.unverified_reset_codes_per_client_addr,
            )
        }),
    };
    // Whose device the QR named, once its tag verified, when that is another account: the row
    // is then in that owner's audit too (issue 16).
    let device_owner_id = checked
        .as_ref()
        .ok()
        .and_then(|found| found.owner)
        .filter(|&owner| owner != account);
    let outcome = match &checked {
        Err(_) => AuditOutcome::InvalidQr,
        Ok(found) => match found.owner {
            None => AuditOutcome::DeviceNotBound,
            Some(owner) if owner != account => AuditOutcome::BoundToOtherAccount,
            Some(_) => AuditOutcome::Issued,
        },
    };
    let audit = |outcome: AuditOutcome, device_owner_id: Option<i64>| NewAuditEvent {
        account_id: account,
        at: now,
        serial: challenge.as_ref().map(|c| c.serial.to_string()),
        nonce: challenge.as_ref().map(|c| c.nonce.to_hex()),
        outcome,
        client_addr: client_addr.clone(),
        device_owner_id,
        // A rate-limited account's refusals are one row per window with a count: a flood of
        // them cannot grow the table. The refusals of a device's budget are kept apart per
        // owner, so each row is in the audit of the one owner its requests named.
        aggregate_key: (outcome == AuditOutcome::RateLimited).then(|| {
            let key = format!("rate_limited:{}:{window_start}", secs(window));
            match device_owner_id {
                Some(owner) => format!("{key}:owner:{owner}"),
                None => key,
            }
        }),
    };
    // Refused by the account's own limit, the request has not reached the device: the row is
    // the requester's alone.
    let refused_by_account = audit(AuditOutcome::RateLimited, None);
    let refused_by_second = audit(AuditOutcome::RateLimited, device_owner_id);
    let mut counted = vec![Limit {
        bucket: &account_bucket,
        allowed: limits.reset_codes_per_account,
        refusal: &refused_by_account,
    }];
    if let Some((bucket, allowed)) = &second_bucket {
        counted.push(Limit {
            bucket,
            allowed: *allowed,
            refusal: &refused_by_second,
        });
    }
    // The owner's feed: a code issued for their device, or another account refused one. Written
    // in the same transaction as the audit row, only when the request stayed within its limits.
    let feed_serial = checked
        .as_ref()
        .ok()
        .map(|found| found.verified.challenge().serial.to_string());
    let feed: Vec<NewFeedEvent> = match (outcome, feed_serial) {
        (AuditOutcome::Issued, Some(serial)) => vec![NewFeedEvent {
            serial: Some(serial),
            ..NewFeedEvent::new(account, now, FeedEventKind::ResetCodeIssued)
        }],
        (AuditOutcome::BoundToOtherAccount, Some(serial)) => device_owner_id
            .map(|owner| NewFeedEvent {
                serial: Some(serial),
                other_account_id: Some(account),
                outcome: Some(outcome.as_str().to_owned()),
                ..NewFeedEvent::new(owner, now, FeedEventKind::ResetAttemptRefused)
            })
            .into_iter()
            .collect(),
        _ => Vec::new(),
    };
    // Fail closed: no code leaves without its audit row, written with the counts.
    let within_limits = state
        .storage()
        .count_and_audit(
            window_start,
            &counted,
            &audit(outcome, device_owner_id),
            &feed,
        )
        .await?;
    if !within_limits {
        return Err(rate_limit::refusal(now, window));
    }
    for event in &feed {
        state.feed().written(event.account_id);
    }
    match (outcome, checked) {
        (AuditOutcome::Issued, Ok(found)) => {
            let challenge = found.verified.challenge();
            let code = challenge.reset_code(&found.key);
            tracing::info!(serial = %challenge.serial, "reset code issued");
            Ok(Json(ResetCodeResponse {
                serial: challenge.serial.to_string(),
                model: found.model,
                code: code.as_str().to_owned(),
                valid_for_secs: CHALLENGE_LIFETIME_SECS,
            }))
        }
        (_, Err(message)) => Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            ErrorCode::InvalidQr,
            message,
        )),
        (AuditOutcome::DeviceNotBound, _) => Err(ApiError::new(
            StatusCode::CONFLICT,
            ErrorCode::DeviceNotBound,
            "this device has not been added to your account",
        )),
        (_, Ok(_)) => Err(bound_to_other_account()),
    }
}

/// A QR whose tag verifies, with what the registry says of its device.
pub(crate) struct Found {
    pub(crate) verified: VerifiedQr,
    pub(crate) model: String,
    pub(crate) owner: Option<i64>,
    pub(crate) key: DeviceKey,
}

/// The tag check, with the same work for an unknown serial as for a known one (a dummy key is
/// opened and the tag checked against it). `Err` with the `invalid_qr` message when it does not
/// verify.
pub(crate) fn verify(
    state: &AppState,
    unverified: UnverifiedQr,
    row: Option<DeviceRow>,
) -> Result<Found, String> {
    let (key, known) = state.master_key().open_registered_key(
        row.as_ref()
            .map(|row| (row.serial.as_str(), row.sealed_key.as_slice())),
    );
    let verified = unverified.verify(&key);
    match (row, verified) {
        (Some(row), Ok(verified)) if known => Ok(Found {
            verified,
            model: row.model,
            owner: row.owner_account_id,
            key,
        }),
        _ => Err("this QR code was not made by a registered device".into()),
    }
}
