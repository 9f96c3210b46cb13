//! `GET /v1/events?after=ID&wait=SECS&limit=N`: the owner's security feed (DESIGN.md section 9),
//! oldest first, paged by id. With nothing after `after`, the request waits up to `wait` seconds
//! (at most [`EVENTS_MAX_WAIT_SECS`]; more is refused) for the account's next event: woken at
//! once by an event this instance writes, and re-reading every poll interval for those another
//! instance writes.

use std::time::Duration;

use axum::Json;
use axum::extract::State;
use hc_protocol::api::{EVENTS_DEFAULT_LIMIT, EVENTS_MAX_LIMIT, EVENTS_MAX_WAIT_SECS, FeedPage};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::auth::{AccessTokenHash, Account};
use crate::error::ApiError;
use crate::extract::ApiQuery;
use crate::state::{AppState, unix_now};

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct EventsQuery {
    /// Only events with a larger id: the previous page's `next_after` (default 0: from the start).
    #[param(schema_with = hc_protocol::openapi::event_cursor)]
    after: Option<i64>,
    /// Seconds to wait when there is nothing yet (default 0: answer at once).
    #[param(schema_with = hc_protocol::openapi::event_wait)]
    wait: Option<u64>,
    /// How many events (default 100).
    #[param(schema_with = hc_protocol::openapi::event_limit)]
    limit: Option<u32>,
}

/// The account's security feed, oldest first, paged by id; with nothing new, waits up to `wait` seconds for the next event
#[utoipa::path(
    get,
    path = "/v1/events",
    operation_id = "listEvents",
    params(EventsQuery),
    security(("bearer" = [])),
    responses((status = 200, description = "the events after `after`", body = FeedPage)),
)]
pub async fn list(
    State(state): State<AppState>,
    Account(account): Account,
    AccessTokenHash(token): AccessTokenHash,
    ApiQuery(query): ApiQuery<EventsQuery>,
) -> Result<Json<FeedPage>, ApiError> {
    // Out of range is refused, not clamped, as `GET /v1/audit` does.
    let limit = query.limit.unwrap_or(EVENTS_DEFAULT_LIMIT);
    if !(1..=EVENTS_MAX_LIMIT).contains(&limit) {
        return Err(ApiError::bad_request(format!(
            "limit is 1 to {EVENTS_MAX_LIMIT}"
        )));
    }
    let after = query.after.unwrap_or(0);
    if after < 0 {
        return Err(ApiError::bad_request("after is an event id (0 or more)"));
    }
    let wait = query.wait.unwrap_or(0);
    if wait > EVENTS_MAX_WAIT_SECS {
        return Err(ApiError::bad_request(format!(
            "wait is 0 to {EVENTS_MAX_WAIT_SECS} seconds"
        )));
    }
    let deadline = tokio::time::Instant::now() + Duration::from_secs(wait);
    let poll = state
        .policy()
        .push
        .poll_interval
        .max(Duration::from_millis(50));
    let waiter = state.feed().waiter(account);
    let mut waited = false;
    loop {
        // Armed before the read, so an event committed between the read and the wait wakes it.
        let woken = waiter.notified();
        tokio::pin!(woken);
        woken.as_mut().enable();
        let events = state.storage().feed_after(account, after, limit).await?;
        let now = tokio::time::Instant::now();
        if !events.is_empty() || now >= deadline {
            // The token was live when the wait began; a session ended meanwhile (logged out
            // everywhere, a lost phone) hears nothing that came after. An empty page tells
            // nothing, and its next call meets the token check anyway.
            if waited
                && !events.is_empty()
                && state
                    .storage()
                    .account_for_access_token(&token, unix_now())
                    .await?
                    != Some(account)
            {
                return Err(ApiError::unauthorized());
            }
            let next_after = events.last().map_or(after, |e| e.id);
            return Ok(Json(FeedPage { events, next_after }));
        }
        waited = true;
        tokio::select! {
            _ = woken => {}
            _ = tokio::time::sleep((deadline - now).min(poll)) => {}
        }
    }
}
