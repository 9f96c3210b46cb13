//! What the app keeps between launches, in the platform's secure storage (Keychain, Keystore),
//! which the app hands in through [`SecureStore`].
//!
//! Two entries, each a small JSON document under a versioned key: the session tokens and the last
//! device list. An entry that no longer parses (an older app, a corrupted write) is dropped: the
//! user logs in again rather than the app failing to start.

use std::sync::Arc;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::error::HcError;
pub(crate) use crate::http::SessionCloud;

/// The platform's secure key-value storage. Calls are synchronous, like Keychain and Keystore.
pub trait SecureStore: Send + Sync {
    fn get(&self, key: String) -> Result<Option<String>, StoreError>;
    fn set(&self, key: String, value: String) -> Result<(), StoreError>;
    fn delete(&self, key: String) -> Result<(), StoreError>;
}

/// A failure of the platform's storage, as the platform describes it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    #[error("secure storage failed: {detail}")]
    Failed { detail: String },
}

impl From<StoreError> for HcError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::Failed { detail } => HcError::Storage { detail },
        }
    }
}

pub(crate) const SESSION_KEY: &str = "hc.session.v1";
pub(crate) const DEVICE_LIST_KEY: &str = "hc.devices.v1";

/// The tokens of a logged-in session, with the cloud that issued them. Never printed. An entry of
/// an older app, without `cloud`, no longer parses and is dropped: the user logs in once more.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct StoredSession {
    /// The cloud the tokens belong to and are only ever sent to.
    pub cloud: SessionCloud,
    pub access_token: String,
    pub refresh_token: String,
    /// Unix seconds after which the access token is treated as dead.
    pub access_expires_at: i64,
}

impl std::fmt::Debug for StoredSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoredSession")
            .field("cloud", &self.cloud)
            .field("access_expires_at", &self.access_expires_at)
            .finish_non_exhaustive()
    }
}

/// The device list as last fetched, so that it shows offline with its age.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct StoredDeviceList {
    pub fetched_at: i64,
    pub devices: Vec<hc_protocol::api::Device>,
}

/// Typed access to the foreign store.
#[derive(Clone)]
pub(crate) struct Store {
    inner: Arc<dyn SecureStore>,
}

impl Store {
    pub fn new(inner: Arc<dyn SecureStore>) -> Self {
        Store { inner }
    }

    pub fn load<T: DeserializeOwned>(&self, key: &str) -> Result<Option<T>, HcError> {
        let Some(text) = self.inner.get(key.to_owned())? else {
            return Ok(None);
        };
        match serde_json::from_str(&text) {
            Ok(value) => Ok(Some(value)),
            Err(_) => {
                tracing::warn!(target: "hc_core::store", key, "dropping an entry that no longer parses");
                self.inner.delete(key.to_owned())?;
                Ok(None)
            }
        }
    }

    pub fn save<T: Serialize>(&self, key: &str, value: &T) -> Result<(), HcError> {
        let text = serde_json::to_string(value).map_err(|e| HcError::Storage {
            detail: format!("cannot encode {key}: {e}"),
        })?;
        Ok(self.inner.set(key.to_owned(), text)?)
    }

    pub fn delete(&self, key: &str) -> Result<(), HcError> {
        Ok(self.inner.delete(key.to_owned())?)
    }
}

/// An in-memory store for tests and for the desktop CLI's `--ephemeral` runs.
#[derive(Default)]
pub struct MemoryStore {
    entries: std::sync::Mutex<std::collections::BTreeMap<String, String>>,
}

impl MemoryStore {
    pub fn new() -> Self {
        Self::default()
    }

    fn entries(&self) -> std::sync::MutexGuard<'_, std::collections::BTreeMap<String, String>> {
        // A panic while holding this lock leaves a map that is still consistent.
        self.entries.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The keys held, for tests that check what was persisted.
    pub fn keys(&self) -> Vec<String> {
        self.entries().keys().cloned().collect()
    }
}

impl SecureStore for MemoryStore {
    fn get(&self, key: String) -> Result<Option<String>, StoreError> {
        Ok(self.entries().get(&key).cloned())
    }

    fn set(&self, key: String, value: String) -> Result<(), StoreError> {
        self.entries().insert(key, value);
        Ok(())
    }

    fn delete(&self, key: String) -> Result<(), StoreError> {
        self.entries().remove(&key);
        Ok(())
    }
}

/// A foreign `SecureStore` that throws something other than a `StoreError` (a Kotlin
/// `RuntimeException`, a Swift error of another type) arrives as this.
#[cfg(feature = "uniffi")]
impl From<uniffi::UnexpectedUniFFICallbackError> for StoreError {
    fn from(error: uniffi::UnexpectedUniFFICallbackError) -> Self {
        StoreError::Failed {
            detail: error.reason,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_round_trip_through_the_foreign_store() {
        let store = Store::new(Arc::new(MemoryStore::new()));
        let session = StoredSession {
            cloud: SessionCloud {
                origin: "https://cloud.example.com".into(),
                trust: "web-roots".into(),
            },
            access_token: "a".into(),
            refresh_token: "r".into(),
            access_expires_at: 42,
        };
        store.save(SESSION_KEY, &session).unwrap();
        assert_eq!(
            store.load::<StoredSession>(SESSION_KEY).unwrap(),
            Some(session)
        );
        store.delete(SESSION_KEY).unwrap();
        assert_eq!(store.load::<StoredSession>(SESSION_KEY).unwrap(), None);
    }

    #[test]
    fn a_corrupt_entry_is_dropped_instead_of_failing_the_start() {
        let memory = Arc::new(MemoryStore::new());
        memory.set(SESSION_KEY.into(), "{not json".into()).unwrap();
        let store = Store::new(memory.clone());
        assert_eq!(store.load::<StoredSession>(SESSION_KEY).unwrap(), None);
        assert!(memory.keys().is_empty());
    }

    #[test]
    fn a_failing_platform_store_is_a_storage_error() {
        struct Broken;
        impl SecureStore for Broken {
            fn get(&self, _: String) -> Result<Option<String>, StoreError> {
                Err(StoreError::Failed {
                    detail: "keychain locked".into(),
                })
            }
            fn set(&self, _: String, _: String) -> Result<(), StoreError> {
                self.get(String::new()).map(|_| ())
            }
            fn delete(&self, _: String) -> Result<(), StoreError> {
                self.get(String::new()).map(|_| ())
            }
        }
        let store = Store::new(Arc::new(Broken));
        assert_eq!(
            store.load::<StoredSession>(SESSION_KEY),
            Err(HcError::Storage {
                detail: "keychain locked".into()
            })
        );
    }

    #[test]
    fn session_tokens_never_print() {
        let session = StoredSession {
            cloud: SessionCloud {
                origin: "https://cloud.example.com".into(),
                trust: "web-roots".into(),
            },
            access_token: "secret-access".into(),
            refresh_token: "secret-refresh".into(),
            access_expires_at: 1,
        };
        assert!(!format!("{session:?}").contains("secret"));
    }
}
