//! The device's persistent state: one small JSON file in the state folder, replaced atomically.
//!
//! A write goes to `state.json.tmp`, is fsynced, renamed over `state.json`, and the folder is
//! fsynced so the rename itself is durable. A crash at any point leaves either the old or the new
//! file, never a mix; a leftover temp file is ignored and removed at the next start.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

const STATE_FILE: &str = "state.json";
const TEMP_FILE: &str = "state.json.tmp";
const FORMAT: u32 = 1;

/// What a device remembers across reboots.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PersistedState {
    /// The device was bound to a cloud account when it last synced.
    #[serde(default)]
    pub bound: bool,
    /// The admin password as an argon2id PHC string; `None` before activation.
    #[serde(default)]
    pub admin_password_hash: Option<String>,
    /// Wrong codes since the last burned challenge or success (across challenges and reboots).
    #[serde(default)]
    pub wrong_codes: u32,
    /// Challenges burned since the last success: sets the length of the next cool-down.
    #[serde(default)]
    pub burned_challenges: u32,
    /// The running cool-down, if any.
    #[serde(default)]
    pub cooldown: Option<SavedCooldown>,
    /// Wall-clock time of the last successful cloud sync.
    #[serde(default)]
    pub last_sync_unix: Option<u64>,
    /// Wrong admin passwords since the last lockout or right password (across reboots).
    #[serde(default)]
    pub wrong_logins: u32,
    /// Login lockouts since the last right password: sets the length of the next one.
    #[serde(default)]
    pub login_lockouts: u32,
    /// The running login lockout, if any.
    #[serde(default)]
    pub login_cooldown: Option<SavedCooldown>,
}

/// A cool-down (of the reset codes or of the login) as written to disk. The monotonic clock does not survive a reboot, so both
/// readings are kept and the stricter one wins at boot (see `agent`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SavedCooldown {
    /// Seconds left by the monotonic clock at the time of the write.
    pub remaining_secs: u64,
    /// The wall-clock deadline at the time of the write.
    pub until_unix: u64,
}

#[derive(Serialize, Deserialize)]
struct StateFile {
    format: u32,
    #[serde(flatten)]
    state: PersistedState,
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot {action} {path}: {source}")]
    Io {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    /// The file exists but cannot be read as a state file. The device refuses to start rather
    /// than forget its counters and cool-down.
    #[error("the state file {path} is damaged: {detail}")]
    Corrupt { path: PathBuf, detail: String },
}

/// The state folder.
#[derive(Debug, Clone)]
pub struct StateStore {
    dir: PathBuf,
}

impl StateStore {
    /// Opens (and creates, owner-only) the state folder.
    pub fn open(dir: impl Into<PathBuf>) -> Result<Self, StoreError> {
        let dir = dir.into();
        fs::create_dir_all(&dir).map_err(io_error("create", &dir))?;
        restrict_to_owner(&dir, 0o700);
        Ok(StateStore { dir })
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn state_path(&self) -> PathBuf {
        self.dir.join(STATE_FILE)
    }

    fn temp_path(&self) -> PathBuf {
        self.dir.join(TEMP_FILE)
    }

    /// Reads the state; `None` on a device that never saved any. A leftover temp file from a
    /// crashed write is discarded: the rename never happened, so the old file is the truth.
    pub fn load(&self) -> Result<Option<PersistedState>, StoreError> {
        let temp = self.temp_path();
        if temp.exists() {
            fs::remove_file(&temp).map_err(io_error("remove", &temp))?;
        }
        let path = self.state_path();
        let text = match fs::read_to_string(&path) {
            Ok(text) => text,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(io_error("read", &path)(e)),
        };
        let file: StateFile = serde_json::from_str(&text).map_err(|e| StoreError::Corrupt {
            path: path.clone(),
            detail: e.to_string(),
        })?;
        if file.format != FORMAT {
            return Err(StoreError::Corrupt {
                path,
                detail: format!("unknown format {}", file.format),
            });
        }
        Ok(Some(file.state))
    }

    /// Replaces the state atomically and durably.
    pub fn save(&self, state: &PersistedState) -> Result<(), StoreError> {
        let text = serde_json::to_string_pretty(&StateFile {
            format: FORMAT,
            state: state.clone(),
        })
        .map_err(|e| StoreError::Corrupt {
            path: self.state_path(),
            detail: e.to_string(),
        })?;
        let temp = self.temp_path();
        let mut file = new_owner_only_file(&temp).map_err(io_error("create", &temp))?;
        file.write_all(text.as_bytes())
            .and_then(|()| file.sync_all())
            .map_err(io_error("write", &temp))?;
        drop(file);
        let path = self.state_path();
        fs::rename(&temp, &path).map_err(io_error("replace", &path))?;
        // Without this the rename may still be in the page cache when the power goes.
        File::open(&self.dir)
            .and_then(|dir| dir.sync_all())
            .map_err(io_error("sync", &self.dir))?;
        Ok(())
    }
}

fn io_error(action: &'static str, path: &Path) -> impl FnOnce(io::Error) -> StoreError {
    let path = path.to_path_buf();
    move |source| StoreError::Io {
        action,
        path,
        source,
    }
}

fn new_owner_only_file(path: &Path) -> io::Result<File> {
    let mut options = OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options.open(path)
}

fn restrict_to_owner(path: &Path, mode: u32) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        // Best effort: a folder owned by someone else keeps its mode, and reads still work.
        let _ = fs::set_permissions(path, fs::Permissions::from_mode(mode));
    }
    #[cfg(not(unix))]
    let _ = (path, mode);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> PersistedState {
        PersistedState {
            bound: true,
            admin_password_hash: Some("$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".into()),
            wrong_codes: 3,
            burned_challenges: 2,
            cooldown: Some(SavedCooldown {
                remaining_secs: 120,
                until_unix: 1_700_000_120,
            }),
            last_sync_unix: Some(1_700_000_000),
            wrong_logins: 4,
            login_lockouts: 1,
            login_cooldown: Some(SavedCooldown {
                remaining_secs: 60,
                until_unix: 1_700_000_060,
            }),
        }
    }

    #[test]
    fn a_new_state_folder_has_no_state() {
        let dir = tempfile::tempdir().unwrap();
        let store = StateStore::open(dir.path().join("state")).unwrap();
        assert_eq!(store.load().unwrap(), None);
    }

    #[test]
    fn what_is_saved_is_loaded() {
        let dir = tempfile::tempdir().unwrap();
        let store = StateStore::open(dir.path()).unwrap();
        store.save(&sample()).unwrap();
        assert_eq!(store.load().unwrap(), Some(sample()));
        assert!(!dir.path().join(TEMP_FILE).exists());
    }

    #[test]
    fn a_crash_mid_write_leaves_the_old_state() {
        let dir = tempfile::tempdir().unwrap();
        let store = StateStore::open(dir.path()).unwrap();
        store.save(&sample()).unwrap();
        // The power went while the next state was half written to the temp file.
        fs::write(dir.path().join(TEMP_FILE), b"{\"format\":1,\"bound\":fa").unwrap();
        let rebooted = StateStore::open(dir.path()).unwrap();
        assert_eq!(rebooted.load().unwrap(), Some(sample()));
        assert!(!dir.path().join(TEMP_FILE).exists());
        // And the device can write again.
        let mut next = sample();
        next.wrong_codes = 4;
        rebooted.save(&next).unwrap();
        assert_eq!(rebooted.load().unwrap(), Some(next));
    }

    #[test]
    fn a_damaged_state_file_is_an_error_not_a_factory_reset() {
        let dir = tempfile::tempdir().unwrap();
        let store = StateStore::open(dir.path()).unwrap();
        fs::write(store.state_path(), b"{\"format\":1,\"wrong_co").unwrap();
        assert!(matches!(store.load(), Err(StoreError::Corrupt { .. })));
    }

    #[cfg(unix)]
    #[test]
    fn the_state_file_is_owner_only() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let store = StateStore::open(dir.path()).unwrap();
        store.save(&sample()).unwrap();
        let mode = fs::metadata(store.state_path())
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
}
