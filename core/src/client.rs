//! `HcClient`: the account, its devices and reset codes. Plain async Rust; the FFI layer runs
//! every call on the core runtime.

use std::sync::{Arc, Mutex};

use hc_protocol::Serial;
use hc_protocol::api::{
    AccountCreated, AddDeviceRequest, AuditList, ChangePasswordRequest, Credentials, Device,
    DeviceList, ErrorCode, RefreshRequest, ResetCodeRequest, ResetCodeResponse,
};
use hc_protocol::factory::LabelCode;
use reqwest::Method;

use crate::account::{SessionState, check_new_password, check_password_rule};
use crate::config::ClientConfig;
use crate::devices::{AuditEventInfo, AuditPage, DeviceInfo, DeviceListSnapshot, ResetCodeInfo};
use crate::error::{HcError, Result};
use crate::http::{CloudHttp, Retry};
use crate::input;
use crate::scan::ResetQr;
use crate::session::Session;
use crate::store::{DEVICE_LIST_KEY, SecureStore, Store, StoredDeviceList};
use crate::unix_now;

/// The app's connection to its cloud account. Cheap to clone; clones share everything.
///
/// Built once at start-up from the cloud's URL and the platform's secure store; a session saved
/// there by an earlier launch is restored, so the user stays logged in.
///
/// ```
/// use std::sync::Arc;
///
/// use hc_core::{ClientConfig, HcClient, MemoryStore};
/// # use hc_core::fake_cloud::FakeCloud;
///
/// let store = Arc::new(MemoryStore::new());
/// # let cloud_url = hc_core::runtime::runtime().block_on(FakeCloud::start()).1;
/// let client = HcClient::new(ClientConfig::new(&cloud_url), store.clone())?;
/// assert!(!client.is_logged_in());
/// hc_core::runtime::runtime()
///     .block_on(client.login("owner@example.com".into(), "correct horse".into()))?;
///
/// // The next launch finds the session in the store.
/// let relaunched = HcClient::new(ClientConfig::new(&cloud_url), store)?;
/// assert!(relaunched.is_logged_in());
/// # Ok::<(), hc_core::HcError>(())
/// ```
#[derive(Clone)]
pub struct HcClient {
    inner: Arc<Inner>,
}

struct Inner {
    config: ClientConfig,
    http: CloudHttp,
    session: Session,
    store: Store,
    /// The last device list, also in the store so that it shows offline.
    devices: Mutex<Option<StoredDeviceList>>,
    /// When each reset QR (by its text) was first scanned: a QR scanned again keeps its deadline.
    first_scans: Mutex<std::collections::HashMap<String, i64>>,
}

/// How far a device's clock may be from the phone's for the issue time in its QR to be believed.
/// Past that the device's clock is wrong (a DVR that lost its time shows 1970 or 2000), and the
/// deadline counts from the first scan of that QR instead.
pub const MAX_CLOCK_SKEW_SECS: i64 = 10 * 60;

/// The deadline of a reset QR's code, one per QR: `valid_for_secs` (what the cloud says the
/// device allows) from the QR's issue time when that is plausible (no later than
/// [`MAX_CLOCK_SKEW_SECS`] ahead of the first scan, and not older than the code's life plus that
/// skew), else from the first scan of this QR.
///
/// ```
/// use hc_core::code_deadline;
///
/// // Shown 2 minutes before the scan: 28 minutes left, however often it is scanned.
/// assert_eq!(code_deadline(1_000_000 - 120, 1800, 1_000_000), 1_000_000 + 1680);
/// // A device clock in 1970: counted from the first scan.
/// assert_eq!(code_deadline(3_600, 1800, 1_000_000), 1_000_000 + 1800);
/// ```
pub fn code_deadline(issued_at: u32, valid_for_secs: u64, first_scanned_at: i64) -> i64 {
    let valid = i64::try_from(valid_for_secs).unwrap_or(i64::MAX / 4);
    let issued = i64::from(issued_at);
    let plausible = issued <= first_scanned_at.saturating_add(MAX_CLOCK_SKEW_SECS)
        && issued >= first_scanned_at.saturating_sub(valid.saturating_add(MAX_CLOCK_SKEW_SECS));
    let from = if plausible { issued } else { first_scanned_at };
    from.saturating_add(valid)
}

impl HcClient {
    /// Builds the client and restores the session and device list a previous launch saved.
    pub fn new(config: ClientConfig, store: Arc<dyn SecureStore>) -> Result<Self> {
        let http = CloudHttp::new(&config)?;
        let store = Store::new(store);
        let session = Session::restore(store.clone(), http.cloud().clone())?;
        let devices = if session.is_logged_in() {
            store.load::<StoredDeviceList>(DEVICE_LIST_KEY)?
        } else {
            None
        };
        Ok(HcClient {
            inner: Arc::new(Inner {
                config,
                http,
                session,
                store,
                devices: Mutex::new(devices),
                first_scans: Mutex::new(Default::default()),
            }),
        })
    }

    /// Creates an account and logs in to it, as the apps' registration screen does. The password
    /// is typed twice: both must agree and meet the account password rule
    /// ([`check_new_password`]), checked here before anything is sent. The e-mail address is taken
    /// without the whitespace around it.
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # use hc_core::{ClientConfig, HcClient, HcError, MemoryStore};
    /// # use hc_core::fake_cloud::FakeCloud;
    /// # hc_core::runtime::runtime().block_on(async {
    /// # let (cloud, cloud_url) = FakeCloud::start().await;
    /// # let client = HcClient::new(ClientConfig::new(cloud_url), Arc::new(MemoryStore::new()))?;
    /// let typo = client
    ///     .register("me@example.com".into(), "correct horse".into(), "correct hrose".into())
    ///     .await;
    /// assert_eq!(typo, Err(HcError::PasswordsDiffer));
    /// client
    ///     .register("me@example.com".into(), "correct horse".into(), "correct horse".into())
    ///     .await?;
    /// assert!(client.is_logged_in());
    /// # Ok::<(), HcError>(())
    /// # })?;
    /// # Ok::<(), HcError>(())
    /// ```
    pub async fn register(
        &self,
        email: String,
        password: String,
        password_again: String,
    ) -> Result<()> {
        let email = input::email(&email);
        check_new_password(&email, &password, &password_again)?;
        let credentials = Credentials {
            email: email.clone(),
            password: password.clone(),
        };
        let _: AccountCreated = self.post_to_hc_cloud("/v1/accounts", &credentials).await?;
        self.login(email, password).await
    }

    /// Logs in; the tokens go to the secure store. Wrong credentials are
    /// `Server { status: 401, code: ErrorCode::InvalidCredentials }`. The e-mail address is taken without
    /// the whitespace around it.
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # use hc_core::{ClientConfig, HcClient, HcError, MemoryStore};
    /// # use hc_core::fake_cloud::FakeCloud;
    /// # hc_core::runtime::runtime().block_on(async {
    /// # let (cloud, cloud_url) = FakeCloud::start().await;
    /// # let client = HcClient::new(ClientConfig::new(cloud_url), Arc::new(MemoryStore::new()))?;
    /// client.login(" owner@example.com\n".into(), "correct horse".into()).await?;
    /// assert!(client.is_logged_in());
    /// # assert_eq!(*cloud.login_emails.lock().unwrap(), ["owner@example.com"]);
    /// client.logout().await?;
    /// assert!(!client.is_logged_in());
    /// # Ok::<(), HcError>(())
    /// # })?;
    /// # Ok::<(), HcError>(())
    /// ```
    pub async fn login(&self, email: String, password: String) -> Result<()> {
        self.forget_devices();
        self.inner
            .session
            .login(&self.inner.http, input::email(&email), password)
            .await
    }

    /// Logs out here at once, and revokes the refresh token at the cloud when it can be reached.
    pub async fn logout(&self) -> Result<()> {
        self.forget_devices();
        let Some(refresh_token) = self.inner.session.end()? else {
            return Ok(());
        };
        let request = RefreshRequest { refresh_token };
        let revoked: Result<serde_json::Value, _> = self
            .inner
            .http
            .send(
                Method::POST,
                "/v1/auth/logout",
                Some(&request),
                None,
                Retry::Once,
            )
            .await;
        if let Err(error) = revoked {
            // Offline logout still logs out: the token is gone from the phone.
            tracing::info!(target: "hc_core::client", "could not revoke the session at the cloud: {:?}", error.into_hc_error(None));
        }
        Ok(())
    }

    /// Changes the account password. The cloud ends every other session of the account (a stolen
    /// phone is logged out); this one stays logged in. A wrong current password is
    /// `Server { code: ErrorCode::InvalidCredentials }`, a weak new one `WeakPassword`.
    pub async fn change_password(
        &self,
        current_password: String,
        new_password: String,
    ) -> Result<()> {
        check_password_rule("", &new_password)?;
        let request = ChangePasswordRequest {
            current_password,
            new_password,
        };
        // Not retried: a repeat after a lost answer would present a current password that is no
        // longer current.
        let _: serde_json::Value = self
            .send_authorized(
                None,
                Method::POST,
                "/v1/auth/password",
                Some(&request),
                Retry::Once,
            )
            .await?;
        tracing::info!(target: "hc_core::client", "password changed; other sessions ended");
        Ok(())
    }

    /// Ends every session of the account at the cloud, this one included, then here. When the
    /// cloud cannot be reached nothing ended anywhere: the error says so and this phone stays
    /// logged in, so the user can try again (a plain [`HcClient::logout`] only ends this one).
    pub async fn log_out_everywhere(&self) -> Result<()> {
        // Idempotent: ending sessions that are already ended changes nothing.
        let _: serde_json::Value = self
            .send_authorized(
                None,
                Method::POST,
                "/v1/auth/logout-all",
                None::<&()>,
                Retry::Idempotent,
            )
            .await?;
        self.forget_devices();
        self.inner.session.end()?;
        tracing::info!(target: "hc_core::client", "logged out everywhere");
        Ok(())
    }

    /// Logged in to this client's cloud: a saved session of another cloud does not count.
    pub fn is_logged_in(&self) -> bool {
        self.inner.session.is_logged_in()
    }

    /// The session as the account screen shows it: logged in here, logged out, or holding only a
    /// session of another cloud (which is never sent here: log in to this cloud).
    pub fn session_state(&self) -> SessionState {
        if self.is_logged_in() {
            SessionState::LoggedIn
        } else if let Some(session_cloud) = self.inner.session.other_cloud() {
            SessionState::OtherCloud { session_cloud }
        } else {
            SessionState::LoggedOut
        }
    }

    /// The account's devices. A list younger than `device_list_max_age_secs` is served from the
    /// cache unless `force_refresh`; when the cloud cannot be reached, the last list is served with
    /// its age instead of an error.
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # use hc_core::{ClientConfig, HcClient, HcError, MemoryStore};
    /// # use hc_core::fake_cloud::FakeCloud;
    /// # hc_core::runtime::runtime().block_on(async {
    /// # let (cloud, cloud_url) = FakeCloud::start().await;
    /// # let client = HcClient::new(ClientConfig::new(cloud_url), Arc::new(MemoryStore::new()))?;
    /// # client.login("owner@example.com".into(), "correct horse".into()).await?;
    /// # cloud.add_device("J12345678");
    /// let fresh = client.devices(true).await?;
    /// assert!(!fresh.from_cache);
    /// assert_eq!(fresh.devices[0].serial, "J12345678");
    /// // Asked again soon, the list comes from the cache, with the time it was fetched.
    /// let cached = client.devices(false).await?;
    /// assert!(cached.from_cache);
    /// assert_eq!(cached.fetched_at_unix, fresh.fetched_at_unix);
    /// # Ok::<(), HcError>(())
    /// # })?;
    /// # Ok::<(), HcError>(())
    /// ```
    pub async fn devices(&self, force_refresh: bool) -> Result<DeviceListSnapshot> {
        if !self.is_logged_in() {
            return Err(self.inner.session.missing_here(&self.inner.http).await);
        }
        if !force_refresh && let Some(cached) = self.fresh_devices() {
            return Ok(snapshot(cached, Some(false)));
        }
        match self.fetch_devices().await {
            Ok(list) => Ok(snapshot(list, None)),
            Err(error) if error.is_unreachable() => match self.cached_devices() {
                Some(cached) => {
                    tracing::info!(target: "hc_core::client", "cloud unreachable: showing the cached device list");
                    Ok(snapshot(cached, Some(true)))
                }
                None => Err(error),
            },
            Err(error) => Err(error),
        }
    }

    /// Adds (binds) a device with the serial and the label code printed on it, as typed: spaces
    /// and dashes are dropped and letters put in upper case (" ds12 345-67 " is "DS1234567"); a
    /// blank name is no name. What is then not 9 of A-Z and 0-9 is `InvalidSerial`, not 6 letters
    /// `InvalidLabelCode`, and nothing is sent. Returns the device as the account now lists it. A
    /// device bound to another account is `DeviceAddedByOthers`.
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # use hc_core::{ClientConfig, HcClient, HcError, MemoryStore};
    /// # use hc_core::fake_cloud::FakeCloud;
    /// # hc_core::runtime::runtime().block_on(async {
    /// # let (cloud, cloud_url) = FakeCloud::start().await;
    /// # let client = HcClient::new(ClientConfig::new(cloud_url), Arc::new(MemoryStore::new()))?;
    /// # client.login("owner@example.com".into(), "correct horse".into()).await?;
    /// let added = client
    ///     .add_device(" ds12 345-67 ".into(), "abc-def".into(), Some("Shop NVR".into()))
    ///     .await?;
    /// assert_eq!((added.serial.as_str(), added.name.as_str()), ("DS1234567", "Shop NVR"));
    /// assert_eq!(client.devices(false).await?.devices, [added]);
    /// # Ok::<(), HcError>(())
    /// # })?;
    /// # Ok::<(), HcError>(())
    /// ```
    pub async fn add_device(
        &self,
        serial: String,
        label_code: String,
        name: Option<String>,
    ) -> Result<DeviceInfo> {
        let serial = input::label_text(&serial);
        let label_code = input::label_text(&label_code);
        // Checked as printed on the label before anything is sent: a typo is said at once.
        Serial::parse(&serial).map_err(|_| HcError::InvalidSerial)?;
        LabelCode::parse(&label_code).ok_or(HcError::InvalidLabelCode)?;
        let request = AddDeviceRequest {
            serial: serial.clone(),
            label_code,
            name: input::device_name(name),
        };
        let added: Device = self
            .send_authorized(
                Some(&serial),
                Method::POST,
                "/v1/devices",
                Some(&request),
                Retry::Once,
            )
            .await?;
        self.refresh_devices_after_change().await;
        Ok(DeviceInfo::from(added))
    }

    /// Removes a device from the account.
    pub async fn remove_device(&self, serial: String) -> Result<()> {
        // Read as printed, like `add_device`; only a well-formed serial goes into the URL path.
        let serial = input::label_text(&serial);
        let parsed = Serial::parse(&serial).map_err(|_| HcError::InvalidSerial)?;
        let path = format!("/v1/devices/{parsed}");
        let removed: Result<serde_json::Value> = self
            .send_authorized(
                Some(&serial),
                Method::DELETE,
                &path,
                None::<&()>,
                Retry::Idempotent,
            )
            .await;
        match removed {
            // Not in this account: the same note as a reset code for it.
            Err(HcError::Server {
                code: ErrorCode::NotFound,
                ..
            }) => return Err(HcError::DeviceNotAdded { serial }),
            other => other?,
        };
        self.refresh_devices_after_change().await;
        Ok(())
    }

    /// The account's audit, newest first, its first page: the reset-code requests it made and
    /// those other accounts made for its devices.
    pub async fn audit_events(&self) -> Result<Vec<AuditEventInfo>> {
        Ok(self.audit_page(None, None).await?.events)
    }

    /// One page of the account's audit, newest first: `limit` events (the cloud's default when
    /// `None`) older than `before` (a previous page's `next_before`; `None`: the newest).
    pub async fn audit_page(&self, before: Option<i64>, limit: Option<u32>) -> Result<AuditPage> {
        let mut query = Vec::new();
        if let Some(limit) = limit {
            query.push(format!("limit={limit}"));
        }
        if let Some(before) = before {
            query.push(format!("before={before}"));
        }
        let path = if query.is_empty() {
            "/v1/audit".to_owned()
        } else {
            format!("/v1/audit?{}", query.join("&"))
        };
        let list: AuditList = self
            .send_authorized(None, Method::GET, &path, None::<&()>, Retry::Idempotent)
            .await?;
        Ok(AuditPage {
            events: list.events.into_iter().map(AuditEventInfo::from).collect(),
            next_before: list.next_before,
        })
    }

    /// The verification code for a reset QR text scanned just now (read by other means than the
    /// core's scanner; [`ResetFlow`](crate::ResetFlow) is the screen's way). The code expires when
    /// the device's challenge does ([`code_deadline`]).
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # use hc_core::{ClientConfig, HcClient, HcError, MemoryStore};
    /// # use hc_core::fake_cloud::FakeCloud;
    /// # hc_core::runtime::runtime().block_on(async {
    /// # let (cloud, cloud_url) = FakeCloud::start().await;
    /// # let client = HcClient::new(ClientConfig::new(cloud_url), Arc::new(MemoryStore::new()))?;
    /// # client.login("owner@example.com".into(), "correct horse".into()).await?;
    /// # use hc_core::scan::testing::reset_text_for;
    /// client.add_device("J12345678".into(), "ABCDEF".into(), None).await?;
    /// let qr_text = reset_text_for("J12345678"); // "HCR1:AE..."
    /// let code = client.request_reset_code(qr_text).await?;
    /// assert_eq!(hc_core::group_code(&code.code), "0123 4567");
    /// assert!(code.expires_at_unix > 0);
    /// # Ok::<(), HcError>(())
    /// # })?;
    /// # Ok::<(), HcError>(())
    /// ```
    pub async fn request_reset_code(&self, qr_text: String) -> Result<ResetCodeInfo> {
        let qr = ResetQr::parse(qr_text)?;
        self.request_reset_code_scanned_at(&qr, unix_now()).await
    }

    /// Asks the cloud for the code of a reset QR the scanner or `request_reset_code` parsed. The
    /// code is good until [`code_deadline`]: the cloud's `valid_for_secs` from the QR's issue time
    /// when the device's clock is plausible, else from the first scan of this QR, so that scanning
    /// one QR twice shows one deadline.
    ///
    /// The binding: only the cloud can tell the vendor's two notes apart (the device is not in this
    /// account, or another account holds it), so the request goes out even for a serial that is
    /// missing from the device list, and the cloud's answer is final: it issues no code for a
    /// device that is not this account's. The device list speaks when the cloud cannot be reached:
    /// a device missing from the last list is then `DeviceNotAdded`, which the user can act on,
    /// rather than a network error.
    pub(crate) async fn request_reset_code_scanned_at(
        &self,
        qr: &ResetQr,
        scanned_at: i64,
    ) -> Result<ResetCodeInfo> {
        let serial = qr.serial();
        let answer = match self.ask_for_code(qr.text(), &serial).await {
            Ok(answer) => answer,
            Err(error) if error.is_unreachable() => {
                return Err(self.not_in_last_device_list(&serial).unwrap_or(error));
            }
            Err(error @ (HcError::DeviceNotAdded { .. } | HcError::DeviceAddedByOthers { .. })) => {
                // The cloud knows better than the cached list: bring the list up to date.
                self.refresh_devices_after_change().await;
                return Err(error);
            }
            Err(error) => return Err(error),
        };
        tracing::info!(target: "hc_core::client", serial = %answer.serial, "reset code issued");
        let first_scanned_at = self.first_scan(qr.text(), scanned_at, answer.valid_for_secs);
        Ok(ResetCodeInfo {
            serial: answer.serial,
            model: answer.model,
            code: answer.code,
            expires_at_unix: code_deadline(qr.issued_at(), answer.valid_for_secs, first_scanned_at),
        })
    }

    /// When this QR was first scanned (now, if never before). QRs whose codes have long expired
    /// are forgotten.
    fn first_scan(&self, qr_text: &str, scanned_at: i64, valid_for_secs: u64) -> i64 {
        let mut first_scans = self
            .inner
            .first_scans
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        let keep = i64::try_from(valid_for_secs)
            .unwrap_or(i64::MAX / 4)
            .saturating_add(MAX_CLOCK_SKEW_SECS);
        first_scans.retain(|_, first| scanned_at.saturating_sub(*first) <= keep);
        *first_scans
            .entry(qr_text.to_owned())
            .and_modify(|first| *first = (*first).min(scanned_at))
            .or_insert(scanned_at)
    }

    async fn ask_for_code(&self, qr_text: &str, serial: &str) -> Result<ResetCodeResponse> {
        let request = ResetCodeRequest {
            qr: qr_text.to_owned(),
        };
        // Idempotent: the code is a function of the challenge, so a retried request gets the same
        // code.
        self.send_authorized(
            Some(serial),
            Method::POST,
            "/v1/reset-codes",
            Some(&request),
            Retry::Idempotent,
        )
        .await
    }

    /// One POST without a session, sent only once the address answered as an hc cloud: it may
    /// carry a password or an e-mail address. Not retried (each of these spends a try or a mail).
    pub(crate) async fn post_to_hc_cloud<B, T>(&self, path: &str, body: &B) -> Result<T>
    where
        B: serde::Serialize + ?Sized + Sync,
        T: serde::de::DeserializeOwned + Send,
    {
        let inner = &self.inner;
        inner.session.ensure_hc_cloud(&inner.http).await?;
        inner
            .http
            .send(Method::POST, path, Some(body), None, Retry::Once)
            .await
            .map_err(|e| e.into_hc_error(None))
    }

    /// One cloud request with the session's access token, refreshed first when it has expired and
    /// once more when the cloud rejects it (`Session::authorized`). `serial` names the device a
    /// refusal is about.
    pub(crate) async fn send_authorized<B, T>(
        &self,
        serial: Option<&str>,
        method: Method,
        path: &str,
        body: Option<&B>,
        retry: Retry,
    ) -> Result<T>
    where
        B: serde::Serialize + ?Sized + Sync,
        T: serde::de::DeserializeOwned + Send,
    {
        self.send_authorized_waiting(serial, method, path, body, retry, std::time::Duration::ZERO)
            .await
    }

    /// [`HcClient::send_authorized`] for a request the cloud may hold for `wait` (a long poll).
    pub(crate) async fn send_authorized_waiting<B, T>(
        &self,
        serial: Option<&str>,
        method: Method,
        path: &str,
        body: Option<&B>,
        retry: Retry,
        wait: std::time::Duration,
    ) -> Result<T>
    where
        B: serde::Serialize + ?Sized + Sync,
        T: serde::de::DeserializeOwned + Send,
    {
        let inner = &self.inner;
        inner
            .session
            .authorized(&inner.http, serial, |token| {
                let method = method.clone();
                async move {
                    inner
                        .http
                        .send_waiting(method, path, body, Some(&token), retry, wait)
                        .await
                }
            })
            .await
    }

    /// Offline: `DeviceNotAdded` when the last device list (of any age) lacks the serial.
    fn not_in_last_device_list(&self, serial: &str) -> Option<HcError> {
        let list = self.cached_devices()?;
        let listed = list.devices.iter().any(|d| d.serial == serial);
        (!listed).then(|| {
            tracing::info!(target: "hc_core::client", serial, "offline, and the device is not in the last list");
            HcError::DeviceNotAdded {
                serial: serial.to_owned(),
            }
        })
    }

    async fn fetch_devices(&self) -> Result<StoredDeviceList> {
        let inner = &self.inner;
        let list: DeviceList = self
            .send_authorized(
                None,
                Method::GET,
                "/v1/devices",
                None::<&()>,
                Retry::Idempotent,
            )
            .await?;
        let stored = StoredDeviceList {
            fetched_at: unix_now(),
            devices: list.devices,
        };
        if let Err(error) = inner.store.save(DEVICE_LIST_KEY, &stored) {
            // The list is still good to show; it just will not be there offline.
            tracing::warn!(target: "hc_core::client", "could not cache the device list: {error}");
        }
        *inner.devices.lock().unwrap_or_else(|e| e.into_inner()) = Some(stored.clone());
        Ok(stored)
    }

    /// After an add or a remove the cached list is wrong: fetch it again, or mark it stale so the
    /// next look at the list does.
    pub(crate) async fn refresh_devices_after_change(&self) {
        if self.fetch_devices().await.is_err()
            && let Some(list) = self
                .inner
                .devices
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .as_mut()
        {
            list.fetched_at = i64::MIN / 2;
        }
    }

    fn cached_devices(&self) -> Option<StoredDeviceList> {
        self.inner
            .devices
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    fn fresh_devices(&self) -> Option<StoredDeviceList> {
        let max_age = i64::try_from(self.inner.config.device_list_max_age_secs).unwrap_or(i64::MAX);
        self.cached_devices()
            .filter(|list| unix_now().saturating_sub(list.fetched_at) < max_age)
    }

    fn forget_devices(&self) {
        *self.inner.devices.lock().unwrap_or_else(|e| e.into_inner()) = None;
        if let Err(error) = self.inner.store.delete(DEVICE_LIST_KEY) {
            tracing::warn!(target: "hc_core::client", "could not drop the cached device list: {error}");
        }
    }
}

/// The list as shown: fetched just now (`cached: None`), or the cached one, because the cloud
/// could not be reached (`Some(true)`) or was not asked (`Some(false)`).
fn snapshot(list: StoredDeviceList, cached: Option<bool>) -> DeviceListSnapshot {
    DeviceListSnapshot {
        devices: list.devices.into_iter().map(DeviceInfo::from).collect(),
        fetched_at_unix: list.fetched_at,
        from_cache: cached.is_some(),
        cloud_unreachable: cached == Some(true),
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::Ordering;

    use super::*;
    use axum::http::StatusCode;

    use crate::fake_cloud::{FakeCloud, HeaderRecorder, PASSWORD};
    use crate::store::{MemoryStore, SESSION_KEY};

    async fn logged_in(url: &str, store: Arc<MemoryStore>) -> HcClient {
        let client = HcClient::new(ClientConfig::new(url), store).unwrap();
        client
            .login("owner@example.com".into(), PASSWORD.into())
            .await
            .unwrap();
        client
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_saved_session_is_restored_at_the_next_launch() {
        let (_cloud, url) = FakeCloud::start().await;
        let store = Arc::new(MemoryStore::new());
        assert!(
            !HcClient::new(ClientConfig::new(&url), store.clone())
                .unwrap()
                .is_logged_in()
        );
        logged_in(&url, store.clone()).await;
        assert!(store.keys().contains(&SESSION_KEY.to_owned()));
        let relaunched = HcClient::new(ClientConfig::new(&url), store.clone()).unwrap();
        assert!(relaunched.is_logged_in());
        relaunched.logout().await.unwrap();
        assert!(!relaunched.is_logged_in());
        assert!(store.keys().is_empty(), "logout leaves nothing behind");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_login_during_a_flood_on_the_cloud_gets_through_after_one_busy_answer() {
        let (cloud, url) = FakeCloud::start().await;
        *cloud.login_errors.lock().unwrap() = vec![(
            axum::http::StatusCode::SERVICE_UNAVAILABLE,
            hc_protocol::api::ErrorCode::Unavailable,
        )];
        let client = logged_in(&url, Arc::new(MemoryStore::new())).await;
        assert!(client.is_logged_in());
        assert_eq!(
            cloud.login_emails.lock().unwrap().len(),
            2,
            "tried once more"
        );
        // Twice busy: the user is told, not kept waiting.
        *cloud.login_errors.lock().unwrap() = vec![
            (
                axum::http::StatusCode::SERVICE_UNAVAILABLE,
                hc_protocol::api::ErrorCode::Unavailable,
            );
            2
        ];
        let error = client
            .login("owner@example.com".into(), PASSWORD.into())
            .await
            .unwrap_err();
        assert!(
            matches!(error, HcError::Server { status: 503, .. }),
            "{error:?}"
        );
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn many_calls_racing_an_expired_token_make_one_refresh() {
        let (cloud, url) = FakeCloud::start().await;
        *cloud.access_ttl_secs.lock().unwrap() = 0;
        let client = logged_in(&url, Arc::new(MemoryStore::new())).await;
        *cloud.access_ttl_secs.lock().unwrap() = 3600;
        let calls: Vec<_> = (0..16)
            .map(|_| {
                let client = client.clone();
                tokio::spawn(async move { client.devices(true).await })
            })
            .collect();
        for call in calls {
            call.await.unwrap().unwrap();
        }
        assert_eq!(cloud.refreshes.load(Ordering::SeqCst), 1);
        assert_eq!(cloud.device_lists.load(Ordering::SeqCst), 16);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_token_the_cloud_rejects_is_refreshed_and_the_call_repeated() {
        let (cloud, url) = FakeCloud::start().await;
        let client = logged_in(&url, Arc::new(MemoryStore::new())).await;
        cloud.revoke_access();
        let calls: Vec<_> = (0..8)
            .map(|_| {
                let client = client.clone();
                tokio::spawn(async move { client.devices(true).await })
            })
            .collect();
        for call in calls {
            call.await.unwrap().unwrap();
        }
        assert_eq!(cloud.refreshes.load(Ordering::SeqCst), 1);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_refused_refresh_ends_the_session() {
        let (cloud, url) = FakeCloud::start().await;
        let store = Arc::new(MemoryStore::new());
        let client = logged_in(&url, store.clone()).await;
        cloud.revoke_access();
        *cloud.refuse_refresh.lock().unwrap() = true;
        assert_eq!(client.devices(true).await, Err(HcError::SessionExpired));
        assert!(!client.is_logged_in());
        assert!(!store.keys().contains(&SESSION_KEY.to_owned()));
        assert_eq!(client.devices(true).await, Err(HcError::NotLoggedIn));
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_device_list_shows_offline_with_its_age() {
        let (cloud, url) = FakeCloud::start().await;
        cloud.add_device("J12345678");
        let store = Arc::new(MemoryStore::new());
        let client = logged_in(&url, store.clone()).await;
        let online = client.devices(false).await.unwrap();
        assert!(!online.from_cache);
        assert_eq!(online.devices[0].serial, "J12345678");
        // Within its max age the list is served without a round trip.
        assert!(client.devices(false).await.unwrap().from_cache);
        assert_eq!(cloud.device_lists.load(Ordering::SeqCst), 1);

        // The app restarts with no network: nothing listens at the cloud's address any more.
        cloud.go_offline().await;
        let offline = HcClient::new(ClientConfig::new(&url), store).unwrap();
        let shown = offline.devices(true).await.unwrap();
        assert!(shown.from_cache && shown.cloud_unreachable);
        assert_eq!(shown.fetched_at_unix, online.fetched_at_unix);
        assert_eq!(shown.devices, online.devices);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn device_not_added_the_cloud_says_so_and_no_code_is_given() {
        let (cloud, url) = FakeCloud::start().await;
        let client = logged_in(&url, Arc::new(MemoryStore::new())).await;
        let qr = crate::scan::testing::sample_reset_text();
        assert_eq!(
            client.request_reset_code(qr.clone()).await,
            Err(HcError::DeviceNotAdded {
                serial: "J12345678".into()
            })
        );
        assert_eq!(cloud.code_requests.load(Ordering::SeqCst), 1);

        cloud.add_device("J12345678");
        let code = client.request_reset_code(qr).await.unwrap();
        assert_eq!(code.code, "01234567");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn offline_a_device_missing_from_the_last_list_is_not_added_not_a_network_error() {
        let (cloud, url) = FakeCloud::start().await;
        let store = Arc::new(MemoryStore::new());
        let client = logged_in(&url, store.clone()).await;
        assert!(client.devices(true).await.unwrap().devices.is_empty());

        cloud.go_offline().await;
        let offline = HcClient::new(ClientConfig::new(&url), store).unwrap();
        assert_eq!(
            offline
                .request_reset_code(crate::scan::testing::sample_reset_text())
                .await,
            Err(HcError::DeviceNotAdded {
                serial: "J12345678".into()
            })
        );
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_serial_typed_with_spaces_and_dashes_is_added_as_printed_on_the_label() {
        let (cloud, url) = FakeCloud::start().await;
        let client = logged_in(&url, Arc::new(MemoryStore::new())).await;
        let added = client
            .add_device(" j1234-5678 ".into(), "abc def\n".into(), None)
            .await
            .unwrap();
        assert_eq!(added.serial, "J12345678");
        let request = cloud.add_requests.lock().unwrap()[0].clone();
        assert_eq!(request.serial, "J12345678");
        assert_eq!(request.label_code, "ABCDEF");
        assert_eq!(request.name, None);
        // The list shows it at once, under the serial as printed.
        let list = client.devices(false).await.unwrap();
        assert_eq!(list.devices, vec![added]);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_device_name_is_sent_trimmed_and_a_blank_one_not_at_all() {
        let (cloud, url) = FakeCloud::start().await;
        let client = logged_in(&url, Arc::new(MemoryStore::new())).await;
        let named = client
            .add_device(
                "J12345678".into(),
                "ABCDEF".into(),
                Some("  Shop NVR ".into()),
            )
            .await
            .unwrap();
        assert_eq!(named.name, "Shop NVR");
        client
            .add_device("J12345679".into(), "ABCDEF".into(), Some("  ".into()))
            .await
            .unwrap();
        let requests = cloud.add_requests.lock().unwrap().clone();
        assert_eq!(requests[0].name.as_deref(), Some("Shop NVR"));
        assert_eq!(requests[1].name, None);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn an_email_typed_with_spaces_around_it_registers_and_logs_in_as_the_address() {
        let (cloud, url) = FakeCloud::start().await;
        let client = HcClient::new(ClientConfig::new(&url), Arc::new(MemoryStore::new())).unwrap();
        client
            .register(
                " Owner@Example.com\n".into(),
                "correct horse".into(),
                "correct horse".into(),
            )
            .await
            .unwrap();
        client.logout().await.unwrap();
        client
            .login("\tOwner@Example.com ".into(), "correct horse".into())
            .await
            .unwrap();
        assert!(client.is_logged_in());
        assert_eq!(
            *cloud.registered_emails.lock().unwrap(),
            vec!["Owner@Example.com".to_owned()]
        );
        assert_eq!(
            *cloud.login_emails.lock().unwrap(),
            vec![
                "Owner@Example.com".to_owned(),
                "Owner@Example.com".to_owned()
            ]
        );
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn changing_the_password_keeps_this_phone_logged_in() {
        let (cloud, url) = FakeCloud::start().await;
        let store = Arc::new(MemoryStore::new());
        let client = logged_in(&url, store.clone()).await;
        client
            .change_password(PASSWORD.into(), "battery staple 42".into())
            .await
            .unwrap();
        assert!(client.is_logged_in());
        assert_eq!(
            *cloud.password_changes.lock().unwrap(),
            vec![(PASSWORD.to_owned(), "battery staple 42".to_owned())]
        );
        // This phone's session works on.
        client.devices(true).await.unwrap();
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_wrong_current_password_changes_nothing_and_says_so() {
        let (cloud, url) = FakeCloud::start().await;
        let client = logged_in(&url, Arc::new(MemoryStore::new())).await;
        let error = client
            .change_password("wrong guess".into(), "battery staple 42".into())
            .await
            .unwrap_err();
        assert_eq!(
            error,
            HcError::Server {
                status: 403,
                code: hc_protocol::api::ErrorCode::InvalidCredentials,
                detail: "invalid_credentials".into(),
            }
        );
        assert_eq!(error.action(), crate::ErrorAction::CorrectInput);
        assert!(client.is_logged_in());
        assert_eq!(
            cloud.refreshes.load(Ordering::SeqCst),
            0,
            "a 403 is no reason to refresh"
        );
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn logging_out_everywhere_ends_the_session_at_the_cloud_and_here() {
        let (cloud, url) = FakeCloud::start().await;
        cloud.add_device("J12345678");
        let store = Arc::new(MemoryStore::new());
        let client = logged_in(&url, store.clone()).await;
        client.devices(true).await.unwrap();
        client.log_out_everywhere().await.unwrap();
        assert_eq!(cloud.logouts_everywhere.load(Ordering::SeqCst), 1);
        assert!(!client.is_logged_in());
        assert!(
            store.keys().is_empty(),
            "no tokens or device list left behind"
        );
        assert_eq!(client.devices(false).await, Err(HcError::NotLoggedIn));
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn offline_logging_out_everywhere_says_so_and_keeps_this_session() {
        let (cloud, url) = FakeCloud::start().await;
        let store = Arc::new(MemoryStore::new());
        logged_in(&url, store.clone()).await;
        cloud.go_offline().await;
        let offline = HcClient::new(ClientConfig::new(&url), store).unwrap();
        assert!(matches!(
            offline.log_out_everywhere().await,
            Err(HcError::Network { .. })
        ));
        assert!(offline.is_logged_in(), "the user can try again once online");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn not_logged_in_no_code_is_requested() {
        let (cloud, url) = FakeCloud::start().await;
        let client = HcClient::new(ClientConfig::new(&url), Arc::new(MemoryStore::new())).unwrap();
        let qr = crate::scan::testing::sample_reset_text();
        assert_eq!(
            client.request_reset_code(qr).await,
            Err(HcError::NotLoggedIn)
        );
        assert_eq!(cloud.code_requests.load(Ordering::SeqCst), 0);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn registering_logs_in_as_the_apps_do_and_a_mistyped_confirmation_sends_nothing() {
        let (cloud, url) = FakeCloud::start().await;
        let client = HcClient::new(ClientConfig::new(&url), Arc::new(MemoryStore::new())).unwrap();
        let typo = client
            .register(
                "new@example.com".into(),
                "correct horse".into(),
                "correct hrose".into(),
            )
            .await;
        assert_eq!(typo, Err(HcError::PasswordsDiffer));
        let weak = client
            .register(
                "new@example.com".into(),
                "password1".into(),
                "password1".into(),
            )
            .await;
        assert!(
            matches!(weak, Err(HcError::WeakPassword { .. })),
            "{weak:?}"
        );
        assert!(
            cloud.registered_emails.lock().unwrap().is_empty(),
            "nothing sent"
        );

        client
            .register(
                "new@example.com".into(),
                "correct horse battery staple".into(),
                "correct horse battery staple".into(),
            )
            .await
            .unwrap();
        assert!(client.is_logged_in());
        assert_eq!(client.session_state(), SessionState::LoggedIn);
        client.devices(true).await.unwrap();
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn pointing_the_app_at_another_cloud_never_sends_the_saved_token_there() {
        let (_cloud, url) = FakeCloud::start().await;
        let store = Arc::new(MemoryStore::new());
        logged_in(&url, store.clone()).await;

        // The same phone, now configured for another hc cloud: log in there.
        let (_other, other_url) = FakeCloud::start().await;
        let client = HcClient::new(ClientConfig::new(&other_url), store.clone()).unwrap();
        assert!(!client.is_logged_in());
        let saved_for = url.clone();
        assert_eq!(
            client.session_state(),
            SessionState::OtherCloud {
                session_cloud: saved_for.clone()
            }
        );
        let other_cloud = HcError::SessionForOtherCloud {
            session_cloud: saved_for,
        };
        assert_eq!(client.devices(true).await, Err(other_cloud.clone()));
        assert_eq!(client.audit_events().await, Err(other_cloud.clone()));
        assert_eq!(
            client
                .request_reset_code(crate::scan::testing::sample_reset_text())
                .await,
            Err(other_cloud.clone())
        );
        assert_eq!(other_cloud.action(), crate::ErrorAction::LogIn);

        // Configured for an NVR's page: "not an hc cloud", not "log in here", and the token stays home.
        let elsewhere = HeaderRecorder::start(200).await;
        let client = HcClient::new(ClientConfig::new(&elsewhere.url), store.clone()).unwrap();
        for error in [
            client.devices(true).await.unwrap_err(),
            client.audit_events().await.unwrap_err(),
        ] {
            assert!(matches!(error, HcError::NotAnHcCloud { .. }), "{error:?}");
        }
        client.logout().await.unwrap();
        assert!(!elsewhere.heads().is_empty(), "the address was asked");
        assert!(!elsewhere.saw_authorization());

        // Configured for an address where nothing answers: "cannot reach", not "log in here".
        let dead = {
            let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            format!("http://{}", listener.local_addr().unwrap())
        };
        let client = HcClient::new(ClientConfig::new(&dead), store.clone()).unwrap();
        let error = client.devices(true).await.unwrap_err();
        assert!(error.is_unreachable(), "{error:?}");

        // Back at the cloud that issued it, the session is still there.
        let back = HcClient::new(ClientConfig::new(&url), store.clone()).unwrap();
        assert!(back.is_logged_in());
        back.devices(true).await.unwrap();
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn an_address_that_is_not_an_hc_cloud_says_so_and_never_gets_the_password() {
        for status in [404, 200, 401, 302] {
            let nvr = HeaderRecorder::start(status).await;
            let client =
                HcClient::new(ClientConfig::new(&nvr.url), Arc::new(MemoryStore::new())).unwrap();
            let logging_in = client
                .login("owner@example.com".into(), PASSWORD.into())
                .await
                .unwrap_err();
            let registering = client
                .register("owner@example.com".into(), PASSWORD.into(), PASSWORD.into())
                .await
                .unwrap_err();
            for error in [logging_in, registering] {
                assert!(
                    matches!(&error, HcError::NotAnHcCloud { cloud, .. } if *cloud == nvr.url),
                    "{status}: {error:?}"
                );
                assert_eq!(error.ui_message().id, crate::MessageId::ErrorNotAnHcCloud);
            }
            // Each was asked once, without credentials, and nothing was posted to it.
            let heads = nvr.heads();
            assert_eq!(heads.len(), 2, "{status}: {heads:?}");
            assert!(
                heads
                    .iter()
                    .all(|head| head.starts_with("GET /v1/devices ")),
                "{status}: {heads:?}"
            );
        }
        // The right host with a wrong path: the cloud's own "no such route".
        let (_cloud, url) = FakeCloud::start().await;
        let client = HcClient::new(
            ClientConfig::new(format!("{url}/wrong/prefix")),
            Arc::new(MemoryStore::new()),
        )
        .unwrap();
        let error = client
            .login("owner@example.com".into(), PASSWORD.into())
            .await
            .unwrap_err();
        assert!(matches!(error, HcError::NotAnHcCloud { .. }), "{error:?}");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_cloud_answering_503_shows_the_cached_device_list_like_offline() {
        let (cloud, url) = FakeCloud::start().await;
        cloud.add_device("J12345678");
        let client = logged_in(&url, Arc::new(MemoryStore::new())).await;
        let online = client.devices(true).await.unwrap();
        *cloud.device_list_status.lock().unwrap() = Some(StatusCode::SERVICE_UNAVAILABLE);
        let shown = client.devices(true).await.unwrap();
        assert!(shown.from_cache && shown.cloud_unreachable);
        assert_eq!(shown.devices, online.devices);
        // Fresh and not asked: from the cache too, but the cloud was not even asked.
        *cloud.device_list_status.lock().unwrap() = None;
        client.devices(true).await.unwrap();
        let fresh = client.devices(false).await.unwrap();
        assert!(fresh.from_cache && !fresh.cloud_unreachable);
    }

    fn qr_issued_at(serial: &str, issued_at: u32) -> String {
        use hc_protocol::{Challenge, DeviceKey, Nonce};
        Challenge::new(
            Serial::parse(serial).unwrap(),
            true,
            issued_at,
            Nonce::from_bytes([9; 16]),
            "DS-7608NI-K2",
            "V4.61.005",
        )
        .unwrap()
        .to_qr_text(&DeviceKey::from_bytes([42; 32]))
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn two_scans_of_one_qr_show_one_deadline_the_devices() {
        let (cloud, url) = FakeCloud::start().await;
        cloud.add_device("J12345678");
        let client = logged_in(&url, Arc::new(MemoryStore::new())).await;
        let now = unix_now();
        // The device showed the QR two minutes ago by its (right) clock.
        let shown_at = u32::try_from(now - 120).unwrap();
        let qr = ResetQr::parse(qr_issued_at("J12345678", shown_at)).unwrap();
        let first = client
            .request_reset_code_scanned_at(&qr, now)
            .await
            .unwrap();
        let again = client
            .request_reset_code_scanned_at(&qr, now + 300)
            .await
            .unwrap();
        let device_deadline = i64::from(shown_at) + hc_protocol::CHALLENGE_LIFETIME_SECS as i64;
        assert_eq!(first.expires_at_unix, device_deadline);
        assert_eq!(again.expires_at_unix, device_deadline);

        // A device whose clock is lost (1970): counted from the first scan, still one deadline.
        let lost = ResetQr::parse(qr_issued_at("J12345678", 86_400)).unwrap();
        let first = client
            .request_reset_code_scanned_at(&lost, now)
            .await
            .unwrap();
        let again = client
            .request_reset_code_scanned_at(&lost, now + 300)
            .await
            .unwrap();
        assert_eq!(first.expires_at_unix, now + 1800);
        assert_eq!(again.expires_at_unix, first.expires_at_unix);
    }

    #[test]
    fn a_deadline_trusts_the_device_clock_only_within_the_skew_bound() {
        let scan = 1_000_000;
        // Up to MAX_CLOCK_SKEW_SECS ahead of the phone is believed.
        assert_eq!(code_deadline(scan as u32 + 600, 1800, scan), scan + 2400);
        assert_eq!(code_deadline(scan as u32 + 601, 1800, scan), scan + 1800);
        // Older than the code's life plus the skew is not.
        assert_eq!(code_deadline((scan - 2400) as u32, 1800, scan), scan - 600);
        assert_eq!(code_deadline((scan - 2401) as u32, 1800, scan), scan + 1800);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_label_code_or_serial_of_the_wrong_shape_is_refused_before_sending() {
        let (cloud, url) = FakeCloud::start().await;
        let client = logged_in(&url, Arc::new(MemoryStore::new())).await;
        for (serial, label, expected) in [
            ("J12345678", "ABCDE", HcError::InvalidLabelCode),
            ("J12345678", "ABC1EF", HcError::InvalidLabelCode),
            ("J1234567", "ABCDEF", HcError::InvalidSerial),
            ("J1234567_", "ABCDEF", HcError::InvalidSerial),
        ] {
            assert_eq!(
                client
                    .add_device(serial.into(), label.into(), None)
                    .await
                    .unwrap_err(),
                expected
            );
        }
        assert!(cloud.add_requests.lock().unwrap().is_empty());
        assert_eq!(
            HcError::InvalidLabelCode.ui_message().id,
            crate::MessageId::ErrorInvalidLabelCode
        );
    }
}
