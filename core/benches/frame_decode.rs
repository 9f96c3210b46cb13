//! Frame decoding at camera preview sizes: `cargo bench -p hc-core --bench frame_decode`.
//!
//! A std-timing bench (no criterion: one less dependency tree to build on a 2-core machine). Each
//! case is a reset QR in a grey scene, in each camera format, timed over enough iterations to
//! take about a second, and reported as the median of five rounds.

use std::hint::black_box;
use std::time::{Duration, Instant};

use hc_core::{Frame, FrameFormat, decode_frame};
use hc_protocol::{Challenge, DeviceKey, Nonce, Serial};
use image::GrayImage;

fn reset_text() -> String {
    Challenge::new(
        Serial::parse("J12345678").unwrap(),
        true,
        1_700_000_000,
        Nonce::from_bytes([7; 16]),
        "DS-7608NI-K2",
        "V4.61.005",
    )
    .unwrap()
    .to_qr_text(&DeviceKey::from_bytes([42; 32]))
}

/// A monitor's QR as a phone sees it: about half the frame's height, off-centre.
fn scene(text: &str, width: u32, height: u32) -> GrayImage {
    let code = qrcode::QrCode::new(text.as_bytes()).unwrap();
    let module = (height / 2) / (code.width() as u32 + 8);
    let symbol = code
        .render::<image::Luma<u8>>()
        .module_dimensions(module, module)
        .build();
    let mut scene = GrayImage::from_pixel(width, height, image::Luma([190]));
    image::imageops::overlay(
        &mut scene,
        &symbol,
        i64::from(width / 5),
        i64::from(height / 5),
    );
    scene
}

fn frame(luma: &GrayImage, format: FrameFormat) -> Frame {
    let (width, height) = luma.dimensions();
    let four = matches!(format, FrameFormat::Bgra8 | FrameFormat::Rgba8);
    let mut bytes = Vec::new();
    for &l in luma.as_raw() {
        if four {
            bytes.extend_from_slice(&[l, l, l, 255]);
        } else {
            bytes.push(l);
        }
    }
    if matches!(format, FrameFormat::Nv21 | FrameFormat::Nv12) {
        bytes.extend(std::iter::repeat_n(
            128,
            (width * height.div_ceil(2)) as usize,
        ));
    }
    Frame {
        width,
        height,
        row_stride: width * if four { 4 } else { 1 },
        format,
        bytes,
        rotation_degrees: 90,
    }
}

fn time(frame: &Frame) -> Duration {
    let start = Instant::now();
    let mut iterations = 0u32;
    while start.elapsed() < Duration::from_millis(200) || iterations < 3 {
        black_box(decode_frame(black_box(frame)).unwrap());
        iterations += 1;
    }
    start.elapsed() / iterations
}

fn main() {
    // `cargo test --benches` runs this with `--bench`-less arguments: keep that quick.
    let quick = !std::env::args().any(|a| a == "--bench");
    let text = reset_text();
    println!("{:<10} {:<7} {:>12}", "size", "format", "median/frame");
    for (label, width, height) in [("720p", 1280, 720), ("1080p", 1920, 1080)] {
        let luma = scene(&text, width, height);
        for format in [FrameFormat::Luma8, FrameFormat::Nv21, FrameFormat::Bgra8] {
            let frame = frame(&luma, format);
            assert_eq!(
                decode_frame(&frame).unwrap().as_deref(),
                Some(text.as_str())
            );
            let rounds = if quick { 1 } else { 5 };
            let mut samples: Vec<Duration> = (0..rounds).map(|_| time(&frame)).collect();
            samples.sort();
            let median = samples[samples.len() / 2];
            println!(
                "{label:<10} {:<7} {:>9.2} ms",
                format!("{format:?}"),
                median.as_secs_f64() * 1e3
            );
        }
    }
}
