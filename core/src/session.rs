//! The account session: tokens in memory and in the secure store, restored at start, refreshed
//! when they expire or the cloud rejects them, one refresh at a time however many calls race.

use std::future::Future;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

use hc_protocol::api::{Credentials, RefreshRequest, Tokens};
use reqwest::Method;

use crate::error::{HcError, Result};
use crate::http::{CloudHttp, RequestError, Retry};
use crate::store::{SESSION_KEY, SessionCloud, Store, StoredSession};
use crate::unix_now;

/// Refresh this long before the cloud's stated expiry, so a request does not leave with a token
/// that dies on the way.
const EXPIRY_MARGIN_SECS: i64 = 30;

pub(crate) struct Session {
    /// The session of this client's cloud; never one another cloud issued.
    tokens: Mutex<Option<StoredSession>>,
    /// A saved session of another cloud than this client's: kept in the store (pointing the app
    /// back finds it) but never sent, and named in `SessionForOtherCloud`.
    other_cloud: Mutex<Option<String>>,
    cloud: SessionCloud,
    /// Held while a refresh is in flight: the others wait, then find the new tokens.
    refresh_lock: tokio::sync::Mutex<()>,
    store: Store,
    /// This client's address answered as an hc cloud does ([`Session::ensure_hc_cloud`]).
    answered_as_hc_cloud: AtomicBool,
}

impl Session {
    /// Restores the session saved by a previous launch, if `cloud` issued it. A session of another
    /// cloud (another origin, or the same one trusted through another certificate) stays unused.
    pub fn restore(store: Store, cloud: SessionCloud) -> Result<Self> {
        let saved = store.load::<StoredSession>(SESSION_KEY)?;
        let (tokens, other_cloud) = match saved {
            Some(session) if session.cloud == cloud => (Some(session), None),
            Some(session) => {
                tracing::info!(target: "hc_core::session", saved_for = %session.cloud.origin, cloud = %cloud.origin, "the saved session is another cloud's: not used");
                (None, Some(session.cloud.origin))
            }
            None => (None, None),
        };
        tracing::debug!(target: "hc_core::session", restored = tokens.is_some(), "session restored");
        Ok(Session {
            tokens: Mutex::new(tokens),
            other_cloud: Mutex::new(other_cloud),
            cloud,
            refresh_lock: tokio::sync::Mutex::new(()),
            store,
            answered_as_hc_cloud: AtomicBool::new(false),
        })
    }

    fn current(&self) -> Option<StoredSession> {
        self.tokens
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    pub fn is_logged_in(&self) -> bool {
        self.current().is_some()
    }

    /// The origin of another cloud whose saved session this client will not use.
    pub fn other_cloud(&self) -> Option<String> {
        self.other_cloud
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Why there is no session to send: none at all, or only another cloud's.
    pub fn missing(&self) -> HcError {
        match self.other_cloud() {
            Some(session_cloud) => HcError::SessionForOtherCloud { session_cloud },
            None => HcError::NotLoggedIn,
        }
    }

    /// Why there is no session to send to this client's cloud, as the person can act on it. Holding
    /// only another cloud's session says "log in here" only when here is an hc cloud that answers:
    /// an address where nothing answers, or that is not an hc cloud (an NVR's page), says that
    /// instead, since logging in there could not help. The probe carries no token.
    pub async fn missing_here(&self, http: &CloudHttp) -> HcError {
        let missing = self.missing();
        if !matches!(missing, HcError::SessionForOtherCloud { .. }) {
            return missing;
        }
        match self.ensure_hc_cloud(http).await {
            Ok(()) => missing,
            Err(error) => error,
        }
    }

    /// Asks this client's address, without any token or credentials, whether it is an hc cloud:
    /// a request that needs a session must be refused with the API's error body. Done before the
    /// account password is sent anywhere (a mistyped address, the NVR's own page, must not get it)
    /// and remembered once it answered so.
    pub async fn ensure_hc_cloud(&self, http: &CloudHttp) -> Result<()> {
        if self.answered_as_hc_cloud.load(Ordering::Relaxed) {
            return Ok(());
        }
        let probe = http
            .send::<(), serde_json::Value>(Method::GET, "/v1/devices", None, None, Retry::Once)
            .await;
        match probe {
            Err(RequestError::Network(error) | RequestError::NotAnHcCloud(error)) => Err(error),
            // An hc cloud asks for a session; an answer without one is some other server's.
            Ok(_) => Err(HcError::NotAnHcCloud {
                cloud: http.cloud().origin.clone(),
                detail: "it answered a request that needs a session without one".into(),
            }),
            Err(RequestError::Cloud(_)) => {
                self.answered_as_hc_cloud.store(true, Ordering::Relaxed);
                Ok(())
            }
        }
    }

    /// Keeps new tokens, in memory and in the store.
    pub fn start(&self, tokens: Tokens) -> Result<()> {
        let expires_in = i64::try_from(tokens.expires_in_secs).unwrap_or(i64::MAX / 2);
        let session = StoredSession {
            cloud: self.cloud.clone(),
            access_token: tokens.access_token,
            refresh_token: tokens.refresh_token,
            access_expires_at: unix_now()
                .saturating_add(expires_in - EXPIRY_MARGIN_SECS.min(expires_in / 2)),
        };
        self.store.save(SESSION_KEY, &session)?;
        *self.tokens.lock().unwrap_or_else(|e| e.into_inner()) = Some(session);
        *self.other_cloud.lock().unwrap_or_else(|e| e.into_inner()) = None;
        Ok(())
    }

    /// Forgets this cloud's session here; returns the refresh token so the caller can revoke it.
    /// Another cloud's saved session is left alone: this client has no business with it.
    pub fn end(&self) -> Result<Option<String>> {
        let previous = self.tokens.lock().unwrap_or_else(|e| e.into_inner()).take();
        if previous.is_some() {
            self.store.delete(SESSION_KEY)?;
        }
        Ok(previous.map(|s| s.refresh_token))
    }

    pub async fn login(&self, http: &CloudHttp, email: String, password: String) -> Result<()> {
        self.ensure_hc_cloud(http).await?;
        let credentials = Credentials { email, password };
        let tokens: Tokens = http
            .send(
                Method::POST,
                "/v1/auth/login",
                Some(&credentials),
                None,
                Retry::Once,
            )
            .await
            .map_err(|e| e.into_hc_error(None))?;
        self.start(tokens)
    }

    /// Runs an authorized request: with a fresh access token, refreshed first when it has expired,
    /// and once more after a refresh when the cloud answers 401.
    pub async fn authorized<T, F, Fut>(
        &self,
        http: &CloudHttp,
        serial: Option<&str>,
        call: F,
    ) -> Result<T>
    where
        F: Fn(String) -> Fut,
        Fut: Future<Output = Result<T, RequestError>>,
    {
        let Some(session) = self.current() else {
            return Err(self.missing_here(http).await);
        };
        let token = if session.access_expires_at <= unix_now() {
            self.refresh(http, &session.access_token).await?
        } else {
            session.access_token
        };
        match call(token.clone()).await {
            Err(error) if error.is_unauthorized() => {
                let token = self.refresh(http, &token).await?;
                call(token).await.map_err(|error| {
                    if error.is_unauthorized() {
                        // Rejected with brand-new tokens: the account is gone or disabled.
                        HcError::SessionExpired
                    } else {
                        error.into_hc_error(serial)
                    }
                })
            }
            result => result.map_err(|e| e.into_hc_error(serial)),
        }
    }

    /// Exchanges the refresh token for new tokens, unless another call already did since `stale`
    /// was read. Returns the access token to use.
    async fn refresh(&self, http: &CloudHttp, stale_access_token: &str) -> Result<String> {
        let _one_at_a_time = self.refresh_lock.lock().await;
        let session = self.current().ok_or(HcError::SessionExpired)?;
        if session.access_token != stale_access_token && session.access_expires_at > unix_now() {
            return Ok(session.access_token);
        }
        tracing::debug!(target: "hc_core::session", "refreshing the session");
        let request = RefreshRequest {
            refresh_token: session.refresh_token,
        };
        // Not retried: refresh tokens rotate on use, so a repeated request would present a
        // token the cloud already spent.
        let answer: Result<Tokens, RequestError> = http
            .send(
                Method::POST,
                "/v1/auth/refresh",
                Some(&request),
                None,
                Retry::Once,
            )
            .await;
        match answer {
            Ok(tokens) => {
                let access = tokens.access_token.clone();
                self.start(tokens)?;
                Ok(access)
            }
            Err(RequestError::Network(error) | RequestError::NotAnHcCloud(error)) => Err(error),
            Err(RequestError::Cloud(error)) if error.status >= 500 => {
                Err(RequestError::Cloud(error).into_hc_error(None))
            }
            Err(RequestError::Cloud(_)) => {
                tracing::info!(target: "hc_core::session", "the cloud refused the refresh: session expired");
                self.end()?;
                Err(HcError::SessionExpired)
            }
        }
    }
}
