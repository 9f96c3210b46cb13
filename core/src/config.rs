//! How the app reaches its cloud.

/// Client settings. `ClientConfig::new(url)` fills in the defaults.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientConfig {
    /// The cloud's base URL, e.g. `https://cloud.example.com` (no trailing `/v1`).
    pub cloud_url: String,
    /// A PEM certificate (or several) trusted as roots besides the built-in web roots: a private
    /// deployment's CA, or the test CA.
    pub extra_root_ca_pem: Option<String>,
    /// Upper bound for one HTTP request, connection included.
    pub request_timeout_ms: u64,
    /// A device list younger than this is fresh: the device list is shown without a round trip.
    pub device_list_max_age_secs: u64,
}

/// The defaults as literals, written once, for declarations that take only literals (the uniffi
/// record in hc-ffi, whose Kotlin and Swift default arguments must be these very numbers):
/// `with_config_defaults!(then)` expands to `then!(<request_timeout_ms>, <device_list_max_age_secs>)`.
#[macro_export]
macro_rules! with_config_defaults {
    ($then:ident) => {
        $then!(15000, 300);
    };
}

macro_rules! default_constants {
    ($request_timeout_ms:literal, $device_list_max_age_secs:literal) => {
        pub const DEFAULT_REQUEST_TIMEOUT_MS: u64 = $request_timeout_ms;
        pub const DEFAULT_DEVICE_LIST_MAX_AGE_SECS: u64 = $device_list_max_age_secs;
    };
}

with_config_defaults!(default_constants);

impl ClientConfig {
    pub fn new(cloud_url: impl Into<String>) -> Self {
        ClientConfig {
            cloud_url: cloud_url.into(),
            extra_root_ca_pem: None,
            request_timeout_ms: DEFAULT_REQUEST_TIMEOUT_MS,
            device_list_max_age_secs: DEFAULT_DEVICE_LIST_MAX_AGE_SECS,
        }
    }
}
