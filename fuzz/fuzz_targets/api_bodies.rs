//! Every request body type of API v1 (`hc_protocol::api`), deserialized from arbitrary bytes the
//! way the cloud's `ApiJson` extractor does (serde_json). No panic, and what parses re-serializes
//! to JSON that parses to the same value.
#![no_main]

use hc_protocol::api::{
    AddDeviceRequest, Credentials, DeviceSyncRequest, RefreshRequest, ResetCodeRequest,
};
use libfuzzer_sys::fuzz_target;
use serde::Serialize;
use serde::de::DeserializeOwned;

fn round_trip<T: DeserializeOwned + Serialize + PartialEq>(data: &[u8]) {
    if let Ok(value) = serde_json::from_slice::<T>(data) {
        let json = serde_json::to_vec(&value).expect("serializes");
        let again: T = serde_json::from_slice(&json).expect("own JSON parses");
        assert!(again == value, "round trip changed the value");
    }
}

fuzz_target!(|data: &[u8]| {
    round_trip::<Credentials>(data);
    round_trip::<RefreshRequest>(data);
    round_trip::<AddDeviceRequest>(data);
    round_trip::<ResetCodeRequest>(data);
    round_trip::<DeviceSyncRequest>(data);
});
