//! What a device boots from: the factory `device.json` (`DeviceRecord::from_json`) and its own
//! `state.json` (`StateStore::load`). Either may be damaged on disk; neither may panic, and a
//! record that parses must survive its own round trip.
#![no_main]

use std::sync::OnceLock;

use hc_device::{DeviceRecord, StateStore};
use libfuzzer_sys::fuzz_target;

static DIR: OnceLock<tempfile::TempDir> = OnceLock::new();

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Ok(record) = DeviceRecord::from_json(&text) {
        let again = DeviceRecord::from_json(&record.to_json()).expect("own JSON parses");
        assert_eq!(again, record);
    }
    let dir = DIR.get_or_init(|| tempfile::tempdir().expect("temp dir"));
    let store = StateStore::open(dir.path()).expect("state folder");
    std::fs::write(store.state_path(), data).expect("write state.json");
    if let Ok(Some(state)) = store.load() {
        // What loads is saved and loads back the same.
        store.save(&state).expect("save");
        assert_eq!(store.load().expect("reload"), Some(state));
    }
});
