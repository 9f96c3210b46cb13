//! The JSON API under `/api/`, for tests and scripts. Errors are the cloud's error body
//! (`hc_protocol::api::ErrorBody`), with `attempts_left` and `retry_after_secs` (and a
//! `Retry-After` header) where they apply.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use hc_protocol::api::{ErrorBody, ErrorCode};
use serde::Deserialize;
use serde_json::json;

use crate::checkin::{CheckOutcome, FailKind};
use crate::client::{CodeAccepted, NvrStatus, ShownQr, SyncFailure};
use crate::nvr::{AgentGone, Nvr};
use crate::qr;
use hc_device::DeviceError;
use zeroize::Zeroizing;

pub(crate) fn routes() -> Router<Arc<Nvr>> {
    Router::new()
        .route("/status", get(status))
        .route("/login", post(login))
        .route("/forget-password", get(forget_password_methods))
        .route(
            "/forget-password/hik-connect",
            get(current_challenge).post(start_hik_connect),
        )
        .route("/forget-password/verify", post(verify_code))
        .route("/forget-password/new-password", post(new_password))
        .route("/qr.png", get(qr_png))
        .route("/qr.svg", get(qr_svg))
        .route("/sync", post(sync))
        .fallback(|| async {
            ApiError::new(
                StatusCode::NOT_FOUND,
                ErrorCode::NotFound,
                "no such API route",
            )
        })
}

// ---- errors --------------------------------------------------------------------------------

/// An error answer: status, error body, optional `Retry-After`.
#[derive(Debug)]
pub(crate) struct ApiError {
    status: StatusCode,
    body: ErrorBody,
}

impl ApiError {
    fn new(status: StatusCode, code: ErrorCode, message: impl Into<String>) -> Self {
        ApiError {
            status,
            body: ErrorBody::new(code, message),
        }
    }

    fn attempts_left(mut self, left: u32) -> Self {
        self.body.error.attempts_left = Some(left);
        self
    }

    fn retry_after(mut self, after: Duration) -> Self {
        self.body.error.retry_after_secs = Some(ceil_secs(after));
        self
    }
}

impl From<DeviceError> for ApiError {
    fn from(error: DeviceError) -> Self {
        let message = error.to_string();
        let (status, code) = match &error {
            DeviceError::WrongPassword => (StatusCode::UNAUTHORIZED, ErrorCode::WrongPassword),
            DeviceError::LoginLocked { .. } => {
                (StatusCode::TOO_MANY_REQUESTS, ErrorCode::CoolingDown)
            }
            DeviceError::LoginBusy => (StatusCode::SERVICE_UNAVAILABLE, ErrorCode::Unavailable),
            DeviceError::NotActivated => (StatusCode::SERVICE_UNAVAILABLE, ErrorCode::Unavailable),
            DeviceError::AlreadyActivated => (StatusCode::CONFLICT, ErrorCode::BadRequest),
            DeviceError::NotOffered => (StatusCode::FORBIDDEN, ErrorCode::NotOffered),
            DeviceError::CoolingDown { .. } => {
                (StatusCode::TOO_MANY_REQUESTS, ErrorCode::CoolingDown)
            }
            DeviceError::NoChallenge => (StatusCode::CONFLICT, ErrorCode::NoChallenge),
            DeviceError::ChallengeExpired => (StatusCode::GONE, ErrorCode::ChallengeExpired),
            DeviceError::MalformedCode => (StatusCode::BAD_REQUEST, ErrorCode::BadRequest),
            DeviceError::WrongCode { .. } | DeviceError::ChallengeBurned { .. } => {
                (StatusCode::FORBIDDEN, ErrorCode::WrongCode)
            }
            DeviceError::InvalidResetToken => {
                (StatusCode::UNAUTHORIZED, ErrorCode::InvalidResetToken)
            }
            DeviceError::PasswordPolicy(_) => {
                (StatusCode::UNPROCESSABLE_ENTITY, ErrorCode::PasswordPolicy)
            }
            DeviceError::Storage(_) | DeviceError::Random(_) | DeviceError::Challenge(_) => {
                tracing::error!("device failure: {error}");
                return ApiError::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    ErrorCode::Internal,
                    "the device failed; see its log",
                );
            }
        };
        let api = ApiError::new(status, code, message);
        match error {
            DeviceError::WrongCode { attempts_left } => api.attempts_left(attempts_left),
            DeviceError::ChallengeBurned { retry_after } => {
                api.attempts_left(0).retry_after(retry_after)
            }
            DeviceError::CoolingDown { retry_after } | DeviceError::LoginLocked { retry_after } => {
                api.retry_after(retry_after)
            }
            // Another login's check ends within a second.
            DeviceError::LoginBusy => api.retry_after(Duration::from_secs(1)),
            _ => api,
        }
    }
}

impl From<AgentGone> for ApiError {
    fn from(_: AgentGone) -> Self {
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            ErrorCode::Internal,
            "the device agent is unavailable",
        )
    }
}

impl From<JsonRejection> for ApiError {
    fn from(rejection: JsonRejection) -> Self {
        let code = match rejection.status() {
            StatusCode::UNSUPPORTED_MEDIA_TYPE => ErrorCode::UnsupportedMediaType,
            StatusCode::PAYLOAD_TOO_LARGE => ErrorCode::PayloadTooLarge,
            _ => ErrorCode::BadRequest,
        };
        ApiError::new(rejection.status(), code, rejection.body_text())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let retry_after = self.body.error.retry_after_secs;
        let mut response = (self.status, Json(self.body)).into_response();
        if let Some(secs) = retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        response
    }
}

/// `Json<T>` whose rejections are API errors, so a bad body gets the same error shape.
pub(crate) struct ApiJson<T>(T);

impl<T, S> FromRequest<S> for ApiJson<T>
where
    Json<T>: FromRequest<S, Rejection = JsonRejection>,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let Json(value) = Json::<T>::from_request(request, state).await?;
        Ok(ApiJson(value))
    }
}

fn ceil_secs(d: Duration) -> u64 {
    d.as_secs() + u64::from(d.subsec_nanos() > 0)
}

type ApiResult<T> = Result<T, ApiError>;

// ---- bodies (the answers' types are the client's, `client.rs`) ----------------------------

#[derive(Deserialize)]
struct LoginBody {
    user: String,
    password: String,
}

#[derive(Deserialize)]
struct VerifyBody {
    code: String,
}

#[derive(Deserialize)]
struct NewPasswordBody {
    reset_token: String,
    password: String,
}

// ---- handlers ------------------------------------------------------------------------------

async fn status(State(nvr): State<Arc<Nvr>>) -> ApiResult<Json<NvrStatus>> {
    let status = nvr.with_agent(|agent| agent.status()).await?;
    let (last_sync_failure, next_sync_unix) = {
        let contact = nvr.checkin.contact();
        let failure = contact
            .last_failure
            .as_ref()
            .map(|(at_unix, reason)| SyncFailure {
                at_unix: *at_unix,
                reason: reason.clone(),
            });
        (failure, contact.next_check_unix)
    };
    Ok(Json(NvrStatus {
        serial: status.serial,
        model: status.model,
        firmware: status.firmware,
        bound: status.bound,
        admin_password_set: status.admin_password_set,
        attempts_left: status.attempts_left,
        cooldown_secs: status.cooldown_remaining.map(ceil_secs),
        challenge_expires_in_secs: status.challenge_expires_in.map(ceil_secs),
        last_sync_unix: status.last_sync_unix,
        cloud_configured: nvr.cloud.is_some(),
        last_sync_failure,
        next_sync_unix,
        login_attempts_left: status.login_attempts_left,
        login_locked_secs: status.login_locked_for.map(ceil_secs),
    }))
}

async fn login(
    State(nvr): State<Arc<Nvr>>,
    ApiJson(body): ApiJson<LoginBody>,
) -> ApiResult<Json<serde_json::Value>> {
    let user = body.user.clone();
    nvr.login(body.user, Zeroizing::new(body.password))
        .await??;
    Ok(Json(json!({ "user": user })))
}

async fn forget_password_methods(
    State(nvr): State<Arc<Nvr>>,
) -> ApiResult<Json<serde_json::Value>> {
    let methods = nvr
        .with_agent(|agent| agent.forget_password_methods())
        .await?;
    let names: Vec<&str> = methods.iter().map(|m| m.as_str()).collect();
    Ok(Json(json!({ "methods": names })))
}

async fn start_hik_connect(State(nvr): State<Arc<Nvr>>) -> ApiResult<Json<ShownQr>> {
    let view = nvr.with_agent(|agent| agent.start_hik_connect()).await??;
    Ok(Json(ShownQr {
        qr: view.qr_text,
        expires_in_secs: ceil_secs(view.expires_in),
        attempts_left: view.attempts_left,
    }))
}

async fn current_challenge(State(nvr): State<Arc<Nvr>>) -> ApiResult<Json<ShownQr>> {
    let view = nvr
        .with_agent(|agent| agent.current_challenge())
        .await?
        .ok_or(DeviceError::NoChallenge)?;
    Ok(Json(ShownQr {
        qr: view.qr_text,
        expires_in_secs: ceil_secs(view.expires_in),
        attempts_left: view.attempts_left,
    }))
}

async fn verify_code(
    State(nvr): State<Arc<Nvr>>,
    ApiJson(body): ApiJson<VerifyBody>,
) -> ApiResult<Json<CodeAccepted>> {
    let accepted = nvr
        .with_agent(move |agent| agent.submit_code(&body.code))
        .await??;
    Ok(Json(CodeAccepted {
        reset_token: accepted.reset_token.as_str().to_owned(),
        expires_in_secs: accepted.expires_in.as_secs(),
    }))
}

async fn new_password(
    State(nvr): State<Arc<Nvr>>,
    ApiJson(body): ApiJson<NewPasswordBody>,
) -> ApiResult<StatusCode> {
    nvr.with_agent(move |agent| agent.set_new_password(&body.reset_token, &body.password))
        .await??;
    Ok(StatusCode::NO_CONTENT)
}

pub(crate) async fn qr_png(State(nvr): State<Arc<Nvr>>) -> ApiResult<Response> {
    let text = current_qr_text(&nvr).await?;
    let png = qr::png(&text, 8).map_err(internal)?;
    Ok((
        [
            (header::CONTENT_TYPE, "image/png"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        png,
    )
        .into_response())
}

async fn qr_svg(State(nvr): State<Arc<Nvr>>) -> ApiResult<Response> {
    let text = current_qr_text(&nvr).await?;
    let svg = qr::svg(&text).map_err(internal)?;
    Ok((
        [
            (header::CONTENT_TYPE, "image/svg+xml"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        svg,
    )
        .into_response())
}

pub(crate) async fn current_qr_text(nvr: &Arc<Nvr>) -> ApiResult<String> {
    Ok(nvr
        .with_agent(|agent| agent.current_challenge())
        .await?
        .ok_or(DeviceError::NoChallenge)?
        .qr_text)
}

fn internal(error: impl std::fmt::Display) -> ApiError {
    tracing::error!("{error}");
    ApiError::new(
        StatusCode::INTERNAL_SERVER_ERROR,
        ErrorCode::Internal,
        "cannot render the QR code",
    )
}

/// "Check again", for scripts: the answer of a check that started after the request.
async fn sync(State(nvr): State<Arc<Nvr>>) -> ApiResult<Json<serde_json::Value>> {
    match nvr.check_in(true).await {
        CheckOutcome::Checked(Ok(bound)) => Ok(Json(json!({ "bound": bound }))),
        CheckOutcome::NoCloud => Err(ApiError::new(
            StatusCode::CONFLICT,
            ErrorCode::Unavailable,
            "no cloud configured: start nvr-sim with --cloud",
        )),
        CheckOutcome::Wait { secs } => Err(ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            ErrorCode::RateLimited,
            "the cloud asked the NVR to wait before it checks again",
        )
        .retry_after(Duration::from_secs(secs))),
        CheckOutcome::Checked(Err(failed)) => Err(match failed.kind {
            FailKind::Rejected => ApiError::new(
                StatusCode::BAD_GATEWAY,
                ErrorCode::Unauthorized,
                failed.detail,
            ),
            FailKind::Cloud => ApiError::new(
                StatusCode::BAD_GATEWAY,
                ErrorCode::Unavailable,
                failed.detail,
            ),
            FailKind::Device => {
                tracing::error!("device failure: {}", failed.detail);
                ApiError::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    ErrorCode::Internal,
                    "the device failed; see its log",
                )
            }
        }),
    }
}
