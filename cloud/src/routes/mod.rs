//! The router: every route is registered together with its OpenAPI description
//! ([`crate::openapi::Operation`]), so `/openapi.json` lists exactly the routes that exist. This
//! module imports the document builder; the builder knows nothing of the router.

use std::sync::Arc;

use axum::extract::{DefaultBodyLimit, State};
use axum::http::header::CONTENT_TYPE;
use axum::http::{HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, delete, get, post};
use axum::{Extension, Json, Router};
use hc_protocol::api::ErrorCode;
use tower_http::trace::{DefaultMakeSpan, DefaultOnResponse, TraceLayer};

use crate::error::ApiError;
use crate::openapi::{Operation, document};
use crate::state::AppState;

pub mod accounts;
pub mod audit;
pub mod device_sync;
pub mod devices;
pub mod events;
pub mod health;
pub mod push_endpoints;
pub mod reset_codes;
pub mod sessions;
pub mod transfers;

/// One route: where, what handles it, and how it is described.
pub struct Route {
    pub method: Method,
    pub path: &'static str,
    pub handler: MethodRouter<AppState>,
    pub doc: Operation,
}

use ErrorCode::*;

/// Every route of the service.
pub fn routes() -> Vec<Route> {
    let route = |method: Method, path, handler, doc| Route {
        method,
        path,
        handler,
        doc,
    };
    vec![
        route(
            Method::POST,
            "/v1/accounts",
            post(accounts::register),
            Operation::new("register", "Register an account (argon2id password hash)")
                .body("NewAccount")
                .responds(201, "AccountCreated")
                .errors(&[InvalidEmail, WeakPassword, EmailTaken, RateLimited]),
        ),
        route(
            Method::POST,
            "/v1/auth/login",
            post(sessions::login),
            Operation::new("login", "Log in: a short-lived access token and a refresh token")
                .body("Credentials")
                .responds(200, "Tokens")
                .errors(&[InvalidCredentials, RateLimited]),
        ),
        route(
            Method::POST,
            "/v1/auth/refresh",
            post(sessions::refresh),
            Operation::new(
                "refresh",
                "Trade a refresh token for new tokens; the old one dies, and using it again revokes the session",
            )
            .body("RefreshRequest")
            .responds(200, "Tokens")
            .errors(&[Unauthorized]),
        ),
        route(
            Method::POST,
            "/v1/auth/logout",
            post(sessions::logout),
            Operation::new("logout", "Revoke the session of a refresh token (idempotent)")
                .body("RefreshRequest")
                .responds_empty(204),
        ),
        route(
            Method::POST,
            "/v1/auth/password",
            post(sessions::change_password),
            Operation::new(
                "changePassword",
                "Change the account password; every other session ends, the caller's lives on",
            )
            .authenticated()
            .body("ChangePasswordRequest")
            .responds_empty(204)
            .errors(&[WeakPassword, RateLimited])
            .errors_at(403, &[InvalidCredentials]),
        ),
        route(
            Method::POST,
            "/v1/auth/logout-all",
            post(sessions::logout_all),
            Operation::new("logoutAll", "End every session of the account, the caller's too")
                .authenticated()
                .responds_empty(204),
        ),
        route(
            Method::GET,
            "/v1/devices",
            get(devices::list),
            Operation::new("listDevices", "The account's devices")
                .authenticated()
                .responds(200, "DeviceList"),
        ),
        route(
            Method::POST,
            "/v1/devices",
            post(devices::add),
            Operation::new("addDevice", "Add (bind) a device by serial and label code")
                .authenticated()
                .body("AddDeviceRequest")
                .responds(201, "Device")
                .errors(&[
                    InvalidSerial,
                    WrongLabelCode,
                    AlreadyAdded,
                    BoundToOtherAccount,
                    RateLimited,
                ]),
        ),
        route(
            Method::DELETE,
            "/v1/devices/{serial}",
            delete(devices::remove),
            Operation::new("removeDevice", "Remove a device from the account")
                .authenticated()
                .path_parameter("serial", "Serial")
                .responds_empty(204)
                .errors(&[InvalidSerial, NotFound]),
        ),
        route(
            Method::POST,
            "/v1/reset-codes",
            post(reset_codes::issue),
            Operation::new("issueResetCode", "The verification code for a reset QR code")
                .authenticated()
                .body("ResetCodeRequest")
                .responds(200, "ResetCodeResponse")
                .errors(&[InvalidQr, DeviceNotBound, BoundToOtherAccount, RateLimited]),
        ),
        route(
            Method::GET,
            "/v1/audit",
            get(audit::list),
            Operation::new(
                "listAudit",
                "The account's reset-code events and other accounts' on its devices, newest first, paged by key",
            )
                .authenticated()
                .query_parameter("limit", "AuditLimit")
                .query_parameter("before", "AuditCursor")
                .responds(200, "AuditList"),
        ),
        route(
            Method::GET,
            "/v1/events",
            get(events::list),
            Operation::new(
                "listEvents",
                "The account's security feed, oldest first, paged by id; with nothing new, waits up to `wait` seconds for the next event",
            )
            .authenticated()
            .query_parameter("after", "EventCursor")
            .query_parameter("wait", "EventWait")
            .query_parameter("limit", "EventLimit")
            .responds(200, "FeedPage"),
        ),
        route(
            Method::POST,
            "/v1/push-endpoints",
            post(push_endpoints::add),
            Operation::new(
                "addPushEndpoint",
                "Register a webhook for the security feed; the answer holds its signing secret, shown only here",
            )
            .authenticated()
            .body("NewPushEndpoint")
            .responds(201, "PushEndpointCreated")
            .errors(&[InvalidPushEndpoint, TooManyPushEndpoints]),
        ),
        route(
            Method::GET,
            "/v1/push-endpoints",
            get(push_endpoints::list),
            Operation::new("listPushEndpoints", "The account's push endpoints (no secrets)")
                .authenticated()
                .responds(200, "PushEndpointList"),
        ),
        route(
            Method::DELETE,
            "/v1/push-endpoints/{id}",
            delete(push_endpoints::remove),
            Operation::new("removePushEndpoint", "Remove a push endpoint; its undelivered events go with it")
                .authenticated()
                .path_parameter("id", "PushEndpointId")
                .responds_empty(204)
                .errors(&[NotFound]),
        ),
        route(
            Method::POST,
            "/v1/transfers",
            post(transfers::request),
            Operation::new(
                "requestTransfer",
                "Ask for another account's device, at the device: a fresh QR code and the label code; the owner may refuse until completes_at",
            )
            .authenticated()
            .body("TransferRequest")
            .responds(201, "Transfer")
            .errors(&[
                InvalidQr,
                WrongLabelCode,
                DeviceNotBound,
                AlreadyAdded,
                QrAlreadyUsed,
                TransferPending,
                TransferRefusedRecently,
                RateLimited,
            ]),
        ),
        route(
            Method::GET,
            "/v1/transfers",
            get(transfers::list),
            Operation::new(
                "listTransfers",
                "Transfer requests for the account's devices and the account's own, newest first",
            )
            .authenticated()
            .responds(200, "TransferList"),
        ),
        route(
            Method::POST,
            "/v1/transfers/{id}/approve",
            post(transfers::approve),
            Operation::new("approveTransfer", "The owner lets the device move now")
                .authenticated()
                .path_parameter("id", "TransferId")
                .responds_empty(204)
                .errors(&[NotFound]),
        ),
        route(
            Method::POST,
            "/v1/transfers/{id}/refuse",
            post(transfers::refuse),
            Operation::new(
                "refuseTransfer",
                "The owner keeps the device; the same account cannot ask again for it for 30 days",
            )
            .authenticated()
            .path_parameter("id", "TransferId")
            .responds_empty(204)
            .errors(&[NotFound]),
        ),
        route(
            Method::POST,
            "/v1/device/sync",
            post(device_sync::sync),
            Operation::new("deviceSync", "A device learns whether it is bound (device-key tag)")
                .body("DeviceSyncRequest")
                .responds(200, "DeviceSyncResponse")
                .errors(&[UnsupportedVersion, Unauthorized, RateLimited]),
        ),
        route(
            Method::GET,
            "/healthz",
            get(health::healthz),
            Operation::new(
                "health",
                "Liveness: the service answers (the database is not asked; see /readyz)",
            )
            .responds(200, "Health"),
        ),
        route(
            Method::GET,
            "/readyz",
            get(health::readyz),
            Operation::new(
                "ready",
                "Readiness: the service can work, its database answers (503 unavailable while it does not)",
            )
            .responds(200, "Health"),
        ),
        route(
            Method::GET,
            "/openapi.json",
            get(openapi_json),
            Operation::new("openapi", "This document").responds(200, "OpenApi"),
        ),
    ]
}

async fn openapi_json(
    Extension(doc): Extension<Arc<serde_json::Value>>,
) -> Json<serde_json::Value> {
    Json(doc.as_ref().clone())
}

/// The whole service as a router, for `oneshot` tests and for [`crate::launch`].
pub fn app(state: AppState) -> Router {
    let policy = state.policy().clone();
    let routes = routes();
    let doc = Arc::new(document(routes.iter().map(|r| (&r.method, r.path, &r.doc))));
    let mut router = Router::new();
    for route in routes {
        router = router.route(route.path, route.handler);
    }
    router
        .fallback(|| async { ApiError::for_status(StatusCode::NOT_FOUND) })
        .method_not_allowed_fallback(|| async {
            ApiError::for_status(StatusCode::METHOD_NOT_ALLOWED)
        })
        .with_state(state)
        .layer(Extension(doc))
        .layer(DefaultBodyLimit::max(policy.body_limit_bytes))
        // Inside the timeout, so a body that trickles in is bounded by it too.
        .layer(axum::middleware::from_fn_with_state(
            policy.body_limit_bytes,
            read_body_first,
        ))
        .layer(axum::middleware::from_fn_with_state(
            policy.request_timeout,
            deadline,
        ))
        // Outside the timeout, so the timeout's bare 503 gets the JSON body too.
        .layer(axum::middleware::map_response(errors_as_json))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(DefaultMakeSpan::new().level(tracing::Level::INFO))
                .on_response(DefaultOnResponse::new().level(tracing::Level::INFO)),
        )
}

/// The whole-request deadline: 503 `unavailable` past it. The feed's long-poll gets its longest
/// wait on top, so a 30-second poll is not cut by a 15-second deadline.
async fn deadline(
    State(timeout): State<std::time::Duration>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let timeout = if request.uri().path() == "/v1/events" {
        timeout + std::time::Duration::from_secs(hc_protocol::api::EVENTS_MAX_WAIT_SECS)
    } else {
        timeout
    };
    match tokio::time::timeout(timeout, next.run(request)).await {
        Ok(response) => response,
        Err(_) => ApiError::for_status(StatusCode::SERVICE_UNAVAILABLE).into_response(),
    }
}

/// Reads the whole request body (within the body limit) before any handler or extractor runs.
/// Without it, a request refused by its `Authorization` header is answered while its body is still
/// arriving, and hyper then drops the keep-alive connection under the client's feet (a bad token
/// sent by a client that writes the body separately saw broken pipes). API bodies are small, so
/// holding one in memory costs nothing the JSON extractor would not spend anyway.
async fn read_body_first(
    State(limit): State<usize>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let (parts, body) = request.into_parts();
    match axum::body::to_bytes(body, limit).await {
        Ok(bytes) => {
            next.run(axum::extract::Request::from_parts(
                parts,
                axum::body::Body::from(bytes),
            ))
            .await
        }
        Err(error) => {
            let too_large = std::error::Error::source(&error)
                .is_some_and(|e| e.is::<http_body_util::LengthLimitError>());
            ApiError::for_status(if too_large {
                StatusCode::PAYLOAD_TOO_LARGE
            } else {
                StatusCode::BAD_REQUEST
            })
            .into_response()
        }
    }
}

/// The safety net: any error answer that is not already JSON (from a layer or axum itself) is
/// replaced by the API's error body for its status. Headers such as `Allow` are kept.
async fn errors_as_json(response: Response) -> Response {
    let status = response.status();
    let is_json = response
        .headers()
        .get(CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/json"));
    if !(status.is_client_error() || status.is_server_error()) || is_json {
        return response;
    }
    let (mut parts, _) = response.into_parts();
    let replacement = ApiError::for_status(status).into_response();
    let (new_parts, body) = replacement.into_parts();
    parts.headers.remove(axum::http::header::CONTENT_LENGTH);
    for (name, value) in &new_parts.headers {
        parts.headers.insert(name, value.clone());
    }
    parts
        .headers
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    Response::from_parts(parts, body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_route_and_every_referenced_schema_is_in_the_document() {
        let routes = routes();
        let doc = document(routes.iter().map(|r| (&r.method, r.path, &r.doc)));
        for route in &routes {
            let method = route.method.as_str().to_lowercase();
            assert!(
                doc["paths"][route.path][&method].is_object(),
                "{method} {} missing",
                route.path
            );
        }
        let text = doc.to_string();
        for reference in text.split("#/components/schemas/").skip(1) {
            let name: String = reference
                .chars()
                .take_while(|c| c.is_alphanumeric())
                .collect();
            assert!(
                doc["components"]["schemas"][&name].is_object(),
                "{name} missing"
            );
        }
    }

    #[test]
    fn every_error_code_a_route_names_has_a_status_in_the_document() {
        for route in routes() {
            for code in route.doc.own_errors() {
                assert!(
                    route.doc.status_for(*code).is_some(),
                    "{} {}: {code} has no cloud status",
                    route.method,
                    route.path
                );
            }
        }
    }
}
