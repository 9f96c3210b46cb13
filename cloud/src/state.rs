//! What every handler shares: the storage, the master key and the policy knobs. Nothing here is
//! state another instance would need: all of that lives in the database.

use std::sync::Arc;
use std::time::Duration;

use crate::config::{AccountCodeLimits, Config, MailSettings, PushSettings, RateLimits};
use crate::crypto::MasterKey;
use crate::feed::FeedHub;
use crate::hashing::PasswordHashing;
use crate::storage::Storage;

#[derive(Clone, Debug)]
pub struct AppState {
    inner: Arc<Shared>,
}

#[derive(Debug)]
struct Shared {
    storage: Arc<dyn Storage>,
    master_key: Arc<MasterKey>,
    policy: Policy,
    hashing: PasswordHashing,
    feed: FeedHub,
    /// Wakes the mail worker when a request wrote to the outbox.
    mail_written: tokio::sync::Notify,
}

/// The configurable rules handlers apply.
#[derive(Clone, Debug)]
pub struct Policy {
    pub access_token_ttl: Duration,
    pub refresh_token_ttl: Duration,
    pub rate_limits: RateLimits,
    pub body_limit_bytes: usize,
    pub request_timeout: Duration,
    pub password_hashing_threads: Option<usize>,
    pub password_hashing_queue: usize,
    pub audit_retention: Duration,
    pub push: PushSettings,
    pub transfer_wait: Duration,
    pub region: String,
    pub mail: MailSettings,
    pub account_codes: AccountCodeLimits,
}

impl Policy {
    pub fn from_config(config: &Config) -> Self {
        Policy {
            access_token_ttl: config.access_token_ttl,
            refresh_token_ttl: config.refresh_token_ttl,
            rate_limits: config.rate_limits.clone(),
            body_limit_bytes: config.body_limit_bytes,
            request_timeout: config.request_timeout,
            password_hashing_threads: config.password_hashing_threads,
            password_hashing_queue: config.password_hashing_queue,
            audit_retention: config.audit_retention,
            push: config.push.clone(),
            transfer_wait: config.transfer_wait,
            region: config.region.clone(),
            mail: config.mail.clone(),
            account_codes: config.account_codes.clone(),
        }
    }
}

impl AppState {
    pub fn new(storage: Arc<dyn Storage>, master_key: Arc<MasterKey>, policy: Policy) -> Self {
        let hashing = PasswordHashing::new(
            policy.password_hashing_threads,
            policy.password_hashing_queue,
        );
        AppState {
            inner: Arc::new(Shared {
                storage,
                master_key,
                policy,
                hashing,
                feed: FeedHub::default(),
                mail_written: tokio::sync::Notify::new(),
            }),
        }
    }

    pub fn storage(&self) -> &dyn Storage {
        self.inner.storage.as_ref()
    }

    pub fn master_key(&self) -> &MasterKey {
        &self.inner.master_key
    }

    pub fn policy(&self) -> &Policy {
        &self.inner.policy
    }

    /// The wake-ups of the feed's long-polls and the delivery worker.
    pub fn feed(&self) -> &FeedHub {
        &self.inner.feed
    }

    /// The mail worker's wake-up: `notify_one` after a commit that wrote mail.
    pub fn mail_written(&self) -> &tokio::sync::Notify {
        &self.inner.mail_written
    }

    /// Where every password hash runs (login, registration, password change).
    pub fn hashing(&self) -> &PasswordHashing {
        &self.inner.hashing
    }
}

/// Unix seconds now. The server clock is the only one trusted.
pub fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// A duration as whole seconds for storage arithmetic.
pub fn secs(duration: Duration) -> i64 {
    i64::try_from(duration.as_secs()).unwrap_or(i64::MAX)
}
