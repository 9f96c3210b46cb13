//! Encoded images (`hc_core::decode_image`): the PNG/JPEG path of "scan from a screenshot".
//! Garbage is an `InvalidFrame` error; huge declared sizes are refused before decoding.
#![no_main]

use std::sync::Once;

use hc_core::{HcError, decode_image};
use libfuzzer_sys::fuzz_target;

static HOOK: Once = Once::new();

/// The QR decoders whose panics the core contains (`core/src/scan/decode.rs`).
const DECODERS: [&str; 2] = ["/rqrr-", "/rxing-"];

fuzz_target!(|data: &[u8]| {
    // The decoders' contained geometry panics are a miss by design (see camera_frame.rs).
    HOOK.call_once(|| {
        let abort = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if !info
                .location()
                .is_some_and(|l| DECODERS.iter().any(|d| l.file().contains(d)))
            {
                abort(info);
            }
        }));
    });
    match decode_image(data) {
        Ok(_) | Err(HcError::InvalidFrame { .. }) => {}
        Err(other) => panic!("an image gave {other:?}"),
    }
});
