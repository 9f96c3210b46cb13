//! The camera frame decoder (`hc_core::decode_frame`): fuzzed width, height, row stride, format,
//! rotation and bytes. A bad frame must be an `InvalidFrame` error, never a panic.
//!
//! rqrr and rxing assert on some geometry and the core contains those panics by design (a miss,
//! not a crash; see `core/src/scan/decode.rs`); libFuzzer's hook would abort on it all the same, so panics
//! raised inside the decoders' own source are let through to the core's guard and any other aborts.
#![no_main]

use std::sync::Once;

use arbitrary::Arbitrary;
use hc_core::{Frame, FrameFormat, HcError, decode_frame};
use libfuzzer_sys::fuzz_target;

#[derive(Arbitrary, Debug)]
struct Input {
    /// Small sides most of the time so the decoder runs; raw u32 sides to try the size checks.
    small: bool,
    width: u32,
    height: u32,
    stride_pad: u32,
    raw_stride: bool,
    format: u8,
    rotation: u32,
    bytes: Vec<u8>,
}

static HOOK: Once = Once::new();

/// The QR decoders whose panics the core contains (`core/src/scan/decode.rs`).
const DECODERS: [&str; 2] = ["/rqrr-", "/rxing-"];

pub fn contain_decoder_panics() {
    HOOK.call_once(|| {
        let abort = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let in_decoder = info
                .location()
                .is_some_and(|l| DECODERS.iter().any(|d| l.file().contains(d)));
            if !in_decoder {
                abort(info);
            }
        }));
    });
}

fuzz_target!(|input: Input| {
    contain_decoder_panics();
    let (width, height) = if input.small {
        (input.width % 200, input.height % 200)
    } else {
        (input.width, input.height)
    };
    let format = match input.format % 5 {
        0 => FrameFormat::Luma8,
        1 => FrameFormat::Nv21,
        2 => FrameFormat::Nv12,
        3 => FrameFormat::Bgra8,
        _ => FrameFormat::Rgba8,
    };
    let bpp = if matches!(format, FrameFormat::Bgra8 | FrameFormat::Rgba8) {
        4
    } else {
        1
    };
    let row_stride = if input.raw_stride {
        input.stride_pad
    } else {
        width
            .saturating_mul(bpp)
            .saturating_add(input.stride_pad % 64)
    };
    let rotation_degrees = if input.rotation % 8 < 4 {
        (input.rotation % 4) * 90
    } else {
        input.rotation
    };
    let frame = Frame {
        width,
        height,
        row_stride,
        format,
        bytes: input.bytes,
        rotation_degrees,
    };
    match decode_frame(&frame) {
        Ok(_) | Err(HcError::InvalidFrame { .. }) => {}
        Err(other) => panic!("a frame gave {other:?}"),
    }
});
