//! `POST /v1/push-endpoints`, `GET /v1/push-endpoints`, `DELETE /v1/push-endpoints/{id}`: where the
//! account's security feed is pushed. A webhook lets the cloud POST wherever its URL says, so the
//! URL rules of [`crate::push::check_url`] apply (https, a public host), at registration and again
//! at every send; the signing secret is shown once, in the registration's answer, and kept sealed
//! under the master key.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use hc_protocol::api::{
    ErrorCode, MAX_PUSH_ENDPOINTS, NewPushEndpoint, PushEndpointCreated, PushEndpointList,
};

use crate::auth::{Account, VerifiedAccount};
use crate::crypto::new_push_secret;
use crate::error::ApiError;
use crate::extract::ApiJson;
use crate::push::check_url;
use crate::routes::IdPath;
use crate::state::{AppState, unix_now};

/// Register a webhook for the security feed; the answer holds its signing secret, shown only here
#[utoipa::path(
    post,
    path = "/v1/push-endpoints",
    operation_id = "addPushEndpoint",
    request_body = NewPushEndpoint,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "the endpoint and its secret", body = PushEndpointCreated),
        (status = 400, description = "invalid_push_endpoint"),
        (status = 403, description = "email_not_verified"),
        (status = 409, description = "too_many_push_endpoints"),
    ),
)]
pub async fn add(
    State(state): State<AppState>,
    // An address nobody proved could be a squatter's: its webhook would hear the owner's feed
    // once the owner took the address back with a reset.
    VerifiedAccount(account): VerifiedAccount,
    ApiJson(request): ApiJson<NewPushEndpoint>,
) -> Result<(StatusCode, Json<PushEndpointCreated>), ApiError> {
    let invalid = |message: String| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            ErrorCode::InvalidPushEndpoint,
            message,
        )
    };
    if request.kind != "webhook" {
        return Err(invalid(
            "kind is \"webhook\" (FCM and APNs are a deployment's)".into(),
        ));
    }
    let url =
        check_url(&request.url, state.policy().push.allow_insecure_loopback).map_err(invalid)?;
    let secret = new_push_secret();
    let sealed = state
        .master_key()
        .seal_push_secret(account, secret.as_bytes());
    let Some(endpoint) = state
        .storage()
        .add_push_endpoint(
            account,
            "webhook",
            url.as_str(),
            &sealed,
            unix_now(),
            MAX_PUSH_ENDPOINTS,
        )
        .await?
    else {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            ErrorCode::TooManyPushEndpoints,
            format!("an account has at most {MAX_PUSH_ENDPOINTS} push endpoints"),
        ));
    };
    Ok((
        StatusCode::CREATED,
        Json(PushEndpointCreated {
            id: endpoint.id,
            kind: endpoint.kind,
            url: endpoint.url,
            created_at: endpoint.created_at,
            secret: secret.to_string(),
        }),
    ))
}

/// The account's push endpoints (no secrets)
#[utoipa::path(
    get,
    path = "/v1/push-endpoints",
    operation_id = "listPushEndpoints",
    security(("bearer" = [])),
    responses((status = 200, description = "the account's endpoints", body = PushEndpointList)),
)]
pub async fn list(
    State(state): State<AppState>,
    Account(account): Account,
) -> Result<Json<PushEndpointList>, ApiError> {
    Ok(Json(PushEndpointList {
        endpoints: state.storage().push_endpoints_of(account).await?,
    }))
}

/// Remove a push endpoint; its undelivered events go with it
#[utoipa::path(
    delete,
    path = "/v1/push-endpoints/{id}",
    operation_id = "removePushEndpoint",
    params(IdPath),
    security(("bearer" = [])),
    responses(
        (status = 204, description = "removed"),
        (status = 404, description = "not_found"),
    ),
)]
pub async fn remove(
    State(state): State<AppState>,
    Account(account): Account,
    Path(IdPath { id }): Path<IdPath>,
) -> Result<StatusCode, ApiError> {
    let Ok(id) = id.parse::<i64>() else {
        return Err(ApiError::not_found("no such push endpoint"));
    };
    if state.storage().delete_push_endpoint(account, id).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::not_found("no such push endpoint"))
    }
}
