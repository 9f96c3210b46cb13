//! Fixed-window rate limits counted in the database, so every instance sees the same counts.

use std::time::Duration;

use crate::error::ApiError;
use crate::state::{AppState, secs, unix_now};

/// Counts one hit in `bucket` and refuses with 429 once `limit` hits were made in this window.
pub async fn hit(
    state: &AppState,
    bucket: &str,
    limit: u32,
    window: Duration,
) -> Result<(), ApiError> {
    let now = unix_now();
    let window = secs(window).max(1);
    let window_start = now - now.rem_euclid(window);
    let hits = state.storage().count_hit(bucket, window_start).await?;
    if hits > u64::from(limit) {
        let retry_after = u64::try_from(window_start + window - now).unwrap_or(1);
        return Err(ApiError::rate_limited(retry_after));
    }
    Ok(())
}
