//! The desktop's stand-in for Keychain/Keystore: one JSON file, readable by its owner only, written
//! atomically so that a crash mid-write never loses the session.

use std::collections::BTreeMap;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use hc_core::{SecureStore, StoreError};

pub struct FileStore {
    path: PathBuf,
    /// Serialises read-modify-write cycles of this process.
    lock: Mutex<()>,
}

impl FileStore {
    /// A store in `dir` (created owner-only if missing), file `session.json`.
    pub fn open(dir: &Path) -> Result<Self, StoreError> {
        create_private_dir(dir)
            .map_err(|e| failed(format!("cannot create {}: {e}", dir.display())))?;
        Ok(FileStore {
            path: dir.join("session.json"),
            lock: Mutex::new(()),
        })
    }

    #[cfg(test)]
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn read(&self) -> Result<BTreeMap<String, String>, StoreError> {
        match fs::read_to_string(&self.path) {
            Ok(text) => serde_json::from_str(&text)
                .map_err(|e| failed(format!("{} is damaged: {e}", self.path.display()))),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(BTreeMap::new()),
            Err(e) => Err(failed(format!("cannot read {}: {e}", self.path.display()))),
        }
    }

    fn write(&self, entries: &BTreeMap<String, String>) -> Result<(), StoreError> {
        let text = serde_json::to_string_pretty(entries).map_err(|e| failed(e.to_string()))?;
        write_private_atomically(&self.path, text.as_bytes())
            .map_err(|e| failed(format!("cannot write {}: {e}", self.path.display())))
    }

    fn update(&self, change: impl FnOnce(&mut BTreeMap<String, String>)) -> Result<(), StoreError> {
        let _guard = self.lock.lock().unwrap_or_else(|p| p.into_inner());
        let mut entries = self.read()?;
        change(&mut entries);
        self.write(&entries)
    }
}

impl SecureStore for FileStore {
    fn get(&self, key: String) -> Result<Option<String>, StoreError> {
        let _guard = self.lock.lock().unwrap_or_else(|p| p.into_inner());
        Ok(self.read()?.remove(&key))
    }

    fn set(&self, key: String, value: String) -> Result<(), StoreError> {
        self.update(|entries| {
            entries.insert(key, value);
        })
    }

    fn delete(&self, key: String) -> Result<(), StoreError> {
        self.update(|entries| {
            entries.remove(&key);
        })
    }
}

fn failed(detail: String) -> StoreError {
    StoreError::Failed { detail }
}

fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir)
}

/// Temp file (mode 0600) in the same folder, fsync, rename over the old file, fsync the folder.
fn write_private_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let tmp = path.with_extension(format!("tmp.{}", std::process::id()));
    let mut options = fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let result = (|| {
        let mut file = options.open(&tmp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        fs::rename(&tmp, path)?;
        fs::File::open(dir)?.sync_all()
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_survive_a_new_store_on_the_same_folder() {
        let dir = tempfile::tempdir().unwrap();
        let store = FileStore::open(dir.path()).unwrap();
        store.set("a".into(), "1".into()).unwrap();
        store.set("b".into(), "2".into()).unwrap();
        store.delete("a".into()).unwrap();
        let again = FileStore::open(dir.path()).unwrap();
        assert_eq!(again.get("a".into()).unwrap(), None);
        assert_eq!(again.get("b".into()).unwrap().as_deref(), Some("2"));
    }

    #[cfg(unix)]
    #[test]
    fn the_session_file_is_readable_by_its_owner_only() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let home = dir.path().join("hc");
        let store = FileStore::open(&home).unwrap();
        store.set("k".into(), "secret".into()).unwrap();
        let file_mode = fs::metadata(store.path()).unwrap().permissions().mode() & 0o777;
        let dir_mode = fs::metadata(&home).unwrap().permissions().mode() & 0o777;
        assert_eq!(file_mode, 0o600);
        assert_eq!(dir_mode, 0o700);
    }

    #[test]
    fn a_damaged_file_is_a_storage_error_not_a_panic() {
        let dir = tempfile::tempdir().unwrap();
        let store = FileStore::open(dir.path()).unwrap();
        fs::write(store.path(), "{not json").unwrap();
        assert!(matches!(
            store.get("k".into()),
            Err(StoreError::Failed { .. })
        ));
    }
}
