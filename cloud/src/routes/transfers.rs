//! Device transfer (DESIGN.md section 9): `POST /v1/transfers` by a person at the device,
//! `GET /v1/transfers`, and the owner's `POST /v1/transfers/{id}/approve` and `.../refuse`.
//!
//! A request needs a QR code whose tag verifies and whose nonce the cloud has never seen (no reset
//! code was asked with it, no other transfer), and the device's label code. One open request per
//! device; after a refusal the same account cannot ask again for that device for
//! [`TRANSFER_REFUSAL_COOLDOWN_SECS`]; requests are limited per account and per device. The owner
//! may approve (the device moves at once) or refuse until `completes_at`; after it the delivery
//! worker moves the device within a poll interval, and `GET /v1/transfers` completes what is due
//! before it answers. Every step is an event in both accounts' feeds.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use hc_protocol::api::{ErrorCode, TransferList, TransferRequest};
use hc_protocol::factory::LabelCode;
use hc_protocol::parse_qr;

use crate::auth::{Account, VerifiedAccount};
use crate::config::{
    TRANSFER_REFUSAL_COOLDOWN_SECS, TRANSFER_TRIES_PER_QR, TRANSFERS_PER_ACCOUNT,
    TRANSFERS_PER_DEVICE,
};
use crate::error::ApiError;
use crate::extract::ApiJson;
use crate::rate_limit;
use crate::routes::IdPath;
use crate::routes::reset_codes::verify;
use crate::state::{AppState, secs, unix_now};
use crate::storage::{NewTransfer, SettledTransfer, TransferDecision, TransferRefusal};

/// Requests listed at most.
const LIST_LIMIT: u32 = 200;

/// Ask for another account's device, at the device: a fresh QR code and the label code; the owner may refuse until completes_at
#[utoipa::path(
    post,
    path = "/v1/transfers",
    operation_id = "requestTransfer",
    request_body = TransferRequest,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "the open request", body = hc_protocol::api::Transfer),
        (status = 400, description = "invalid_qr"),
        (status = 403, description = "wrong_label_code, email_not_verified"),
        (status = 409, description = "device_not_bound, already_added, qr_already_used, transfer_pending, transfer_refused_recently"),
        (status = 429, description = "rate_limited"),
    ),
)]
pub async fn request(
    State(state): State<AppState>,
    VerifiedAccount(account): VerifiedAccount,
    ApiJson(request): ApiJson<TransferRequest>,
) -> Result<(StatusCode, Json<hc_protocol::api::Transfer>), ApiError> {
    let now = unix_now();
    let limits = &state.policy().rate_limits;
    // Counted first: label codes are only 26^6, and this is another door to guess them at.
    rate_limit::hit(
        &state,
        &format!("transfers:account:{account}"),
        TRANSFERS_PER_ACCOUNT,
        limits.window,
    )
    .await?;
    let invalid_qr = || {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            ErrorCode::InvalidQr,
            "this QR code was not made by a registered device",
        )
    };
    let unverified = parse_qr(&request.qr).map_err(|_| invalid_qr())?;
    let serial = unverified.challenge().serial.to_string();
    let row = state.storage().device(&serial).await?;
    let found = verify(&state, unverified, row.clone()).map_err(|_| invalid_qr())?;
    let nonce = found.verified.challenge().nonce.to_hex();
    let qr_used = || {
        ApiError::new(
            StatusCode::CONFLICT,
            ErrorCode::QrAlreadyUsed,
            "this QR code was used already: show a fresh one on the device",
        )
    };
    // Before the label code is looked at and before the device's budget: a QR used already says
    // nothing about the label and costs the device nothing.
    if state.storage().qr_nonce_used(&serial, &nonce).await? {
        return Err(qr_used());
    }
    let now_window = rate_limit::window_start(now, limits.window);
    let tries = state
        .storage()
        .count_hit(&format!("transfers:qr:{serial}:{nonce}"), now_window)
        .await?;
    if tries > u64::from(TRANSFER_TRIES_PER_QR) {
        return Err(qr_used());
    }
    // Only a QR the device showed spends the device's budget, and each QR once.
    if tries == 1 {
        rate_limit::hit(
            &state,
            &format!("transfers:device:{serial}"),
            TRANSFERS_PER_DEVICE,
            limits.window,
        )
        .await?;
    }
    let label_ok = match (
        LabelCode::parse(&request.label_code.trim().to_ascii_uppercase()),
        &row,
    ) {
        (Some(typed), Some(row)) => {
            state
                .master_key()
                .label_code_matches(&serial, &typed, &row.label_hash)
        }
        _ => false,
    };
    if !label_ok {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            ErrorCode::WrongLabelCode,
            "the serial number and label code do not match",
        ));
    }
    let owner = match found.owner {
        None => {
            return Err(ApiError::new(
                StatusCode::CONFLICT,
                ErrorCode::DeviceNotBound,
                "this device is in no account: add it instead",
            ));
        }
        Some(owner) if owner == account => {
            return Err(ApiError::new(
                StatusCode::CONFLICT,
                ErrorCode::AlreadyAdded,
                "this device is already yours",
            ));
        }
        Some(owner) => owner,
    };
    let completes_at = now.saturating_add(secs(state.policy().transfer_wait));
    let created = state
        .storage()
        .create_transfer(&NewTransfer {
            serial: serial.clone(),
            from_account_id: owner,
            to_account_id: account,
            nonce,
            now,
            completes_at,
            refused_since: now.saturating_sub(TRANSFER_REFUSAL_COOLDOWN_SECS),
        })
        .await?;
    let id = match created {
        Ok(id) => id,
        Err(TransferRefusal::NonceUsed) => {
            return Err(ApiError::new(
                StatusCode::CONFLICT,
                ErrorCode::QrAlreadyUsed,
                "this QR code was used already: show a fresh one on the device",
            ));
        }
        Err(TransferRefusal::Pending) => {
            return Err(ApiError::new(
                StatusCode::CONFLICT,
                ErrorCode::TransferPending,
                "this device has an open transfer request",
            ));
        }
        Err(TransferRefusal::RefusedRecently) => {
            return Err(ApiError::new(
                StatusCode::CONFLICT,
                ErrorCode::TransferRefusedRecently,
                "the owner refused your request for this device; ask again after 30 days",
            ));
        }
        // The owner removed or lost the device between the read and the write: try again.
        Err(TransferRefusal::OwnerChanged) => return Err(ApiError::unavailable()),
    };
    state.feed().written(owner);
    state.feed().written(account);
    tracing::info!(%serial, transfer = id, "transfer requested");
    let mine = state.storage().transfers_of(account, LIST_LIMIT).await?;
    let transfer = mine
        .into_iter()
        .find(|t| t.id == id)
        .ok_or_else(|| ApiError::internal("a transfer just written is not listed"))?;
    Ok((StatusCode::CREATED, Json(transfer)))
}

/// Transfer requests for the account's devices and the account's own, newest first
#[utoipa::path(
    get,
    path = "/v1/transfers",
    operation_id = "listTransfers",
    security(("bearer" = [])),
    responses((status = 200, description = "the requests", body = TransferList)),
)]
pub async fn list(
    State(state): State<AppState>,
    Account(account): Account,
) -> Result<Json<TransferList>, ApiError> {
    complete_due(&state).await?;
    Ok(Json(TransferList {
        transfers: state.storage().transfers_of(account, LIST_LIMIT).await?,
    }))
}

/// The owner lets the device move now
#[utoipa::path(
    post,
    path = "/v1/transfers/{id}/approve",
    operation_id = "approveTransfer",
    params(IdPath),
    security(("bearer" = [])),
    responses(
        (status = 204, description = "the device has moved"),
        (status = 404, description = "not_found"),
    ),
)]
pub async fn approve(
    state: State<AppState>,
    account: Account,
    id: Path<IdPath>,
) -> Result<StatusCode, ApiError> {
    decide(state, account, id, TransferDecision::Approve).await
}

/// The owner keeps the device; the same account cannot ask again for it for 30 days
#[utoipa::path(
    post,
    path = "/v1/transfers/{id}/refuse",
    operation_id = "refuseTransfer",
    params(IdPath),
    security(("bearer" = [])),
    responses(
        (status = 204, description = "refused"),
        (status = 404, description = "not_found"),
    ),
)]
pub async fn refuse(
    state: State<AppState>,
    account: Account,
    id: Path<IdPath>,
) -> Result<StatusCode, ApiError> {
    decide(state, account, id, TransferDecision::Refuse).await
}

async fn decide(
    State(state): State<AppState>,
    Account(account): Account,
    Path(IdPath { id }): Path<IdPath>,
    decision: TransferDecision,
) -> Result<StatusCode, ApiError> {
    let not_found = || ApiError::not_found("no open transfer request for your devices has this id");
    let id: i64 = id.parse().map_err(|_| not_found())?;
    // A request whose waiting period is over has completed, whatever the owner says now.
    complete_due(&state).await?;
    let settled = state
        .storage()
        .decide_transfer(id, account, decision, unix_now())
        .await?
        .ok_or_else(not_found)?;
    notify(&state, &settled);
    Ok(StatusCode::NO_CONTENT)
}

/// Moves the devices whose waiting period is over (the worker does so every poll interval too).
pub async fn complete_due(state: &AppState) -> Result<(), ApiError> {
    for settled in state.storage().complete_due_transfers(unix_now()).await? {
        tracing::info!(transfer = settled.id, "transfer completed");
        notify(state, &settled);
    }
    Ok(())
}

fn notify(state: &AppState, settled: &SettledTransfer) {
    state.feed().written(settled.from_account_id);
    state.feed().written(settled.to_account_id);
}
