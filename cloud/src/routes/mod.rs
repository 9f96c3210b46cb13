//! The router. Every route is registered through `utoipa_axum::routes!`, which routes a handler
//! by its own `#[utoipa::path]` (method and path) and adds that description to the OpenAPI
//! document, so `/openapi.json` ([`crate::openapi`]) lists exactly the routes that exist, with
//! their methods. Nothing is routed any other way: the fallbacks answer everything else.

use std::sync::Arc;

use axum::extract::{DefaultBodyLimit, State};
use axum::http::header::CONTENT_TYPE;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json, Router};
use serde::Deserialize;
use tower_http::trace::{DefaultMakeSpan, DefaultOnResponse, TraceLayer};
use utoipa::{IntoParams, OpenApi};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::ApiError;
use crate::openapi::ApiDoc;
use crate::state::AppState;

pub mod accounts;
pub mod audit;
pub mod device_sync;
pub mod devices;
pub mod events;
pub mod health;
pub mod push_endpoints;
pub mod recovery;
pub mod reset_codes;
pub mod sessions;
pub mod transfers;

/// Every route of the service, with its part of the OpenAPI document.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(accounts::register))
        .routes(routes!(accounts::me))
        .routes(routes!(accounts::verify))
        .routes(routes!(accounts::resend))
        .routes(routes!(recovery::forgot))
        .routes(routes!(recovery::reset))
        .routes(routes!(sessions::login))
        .routes(routes!(sessions::refresh))
        .routes(routes!(sessions::logout))
        .routes(routes!(sessions::change_password))
        .routes(routes!(sessions::logout_all))
        .routes(routes!(devices::list, devices::add))
        .routes(routes!(devices::remove))
        .routes(routes!(reset_codes::issue))
        .routes(routes!(audit::list))
        .routes(routes!(events::list))
        .routes(routes!(push_endpoints::add, push_endpoints::list))
        .routes(routes!(push_endpoints::remove))
        .routes(routes!(transfers::request, transfers::list))
        .routes(routes!(transfers::approve))
        .routes(routes!(transfers::refuse))
        .routes(routes!(device_sync::sync))
        .routes(routes!(health::healthz))
        .routes(routes!(health::readyz))
        .routes(routes!(openapi_json))
}

/// The document `/openapi.json` serves.
pub fn document() -> serde_json::Value {
    crate::openapi::document(router().into_openapi())
}

/// The `{id}` of a path: a push endpoint's or a transfer request's. Read as text, so that an id
/// that is not a number is a 404 like an unknown one.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct IdPath {
    #[param(schema_with = hc_protocol::openapi::row_id)]
    pub id: String,
}

/// This document
#[utoipa::path(
    get,
    path = "/openapi.json",
    operation_id = "openapi",
    responses((status = 200, description = "the OpenAPI 3.1 document", body = Object)),
)]
async fn openapi_json(
    Extension(doc): Extension<Arc<serde_json::Value>>,
) -> Json<serde_json::Value> {
    Json(doc.as_ref().clone())
}

/// The whole service as a router, for `oneshot` tests and for [`crate::launch`].
pub fn app(state: AppState) -> Router {
    let policy = state.policy().clone();
    let (router, api) = router().split_for_parts();
    let doc = Arc::new(crate::openapi::document(api));
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
    fn every_referenced_schema_is_in_the_document() {
        let doc = document();
        let text = doc.to_string();
        let mut seen = 0;
        for reference in text.split("#/components/schemas/").skip(1) {
            let name: String = reference
                .chars()
                .take_while(|c| c.is_alphanumeric())
                .collect();
            assert!(
                doc["components"]["schemas"][&name].is_object(),
                "{name} missing"
            );
            seen += 1;
        }
        assert!(seen > 20, "the bodies are references: {seen}");
    }
}
