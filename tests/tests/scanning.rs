//! The scanner on what the device really renders, seen the way phone cameras deliver it, and on
//! public QR photographs.

use hc_core::{decode_frame, decode_image};
use hc_testkit::{ALL_FORMATS, World, camera_frame, camera_view, qr_corpus_dir};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_qr_the_nvr_renders_reads_back_as_png_and_as_camera_frames_in_every_format() {
    let world = World::start(|c| c).await;
    let owner = world.owner("owner").await;
    let nvr = world.nvr().await;
    owner
        .add_device(nvr.serial.clone(), nvr.label_code.clone(), None)
        .await
        .unwrap();
    assert!(nvr.sync().await);
    let text = nvr.show_reset_qr().await;
    let png = nvr.qr_png().await;
    assert_eq!(decode_image(&png).unwrap().as_deref(), Some(text.as_str()));

    let symbol = image::load_from_memory(&png).unwrap().into_luma8();
    for (width, height) in [(640, 480), (1280, 720), (1920, 1080)] {
        let view = camera_view(&symbol, width, height);
        for format in ALL_FORMATS {
            for rotation in [0, 90, 180, 270] {
                let frame = camera_frame(&view, format, rotation, 32);
                assert_eq!(
                    decode_frame(&frame).unwrap().as_deref(),
                    Some(text.as_str()),
                    "{width}x{height} {format:?} rotated {rotation}"
                );
            }
        }
    }

    // A JPEG screenshot of the same screen.
    let mut jpeg = Vec::new();
    camera_view(&symbol, 1280, 720)
        .write_to(
            &mut std::io::Cursor::new(&mut jpeg),
            image::ImageFormat::Jpeg,
        )
        .unwrap();
    assert_eq!(decode_image(&jpeg).unwrap().as_deref(), Some(text.as_str()));
}

#[test]
fn public_qr_photographs_decode_without_ever_crashing() {
    let dir = qr_corpus_dir();
    let Ok(folders) = std::fs::read_dir(&dir) else {
        eprintln!("no QR corpus at {}: skipped", dir.display());
        return;
    };
    let mut images: Vec<_> = folders
        .flatten()
        .filter(|f| f.path().is_dir())
        .flat_map(|f| std::fs::read_dir(f.path()).unwrap().flatten())
        .map(|f| f.path())
        .filter(|p| matches!(p.extension().and_then(|e| e.to_str()), Some("png" | "jpg")))
        .collect();
    images.sort();
    let (mut read, mut right) = (0, 0);
    for path in &images {
        let bytes = std::fs::read(path).unwrap();
        // Never a panic (rqrr asserts on some of these, e.g. qrcode-6/7.png): a miss at worst.
        let decoded = decode_image(&bytes).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        if let Some(text) = decoded {
            read += 1;
            let expected = std::fs::read_to_string(path.with_extension("txt")).unwrap_or_default();
            if text.trim_end() == expected.trim_end() {
                right += 1;
            }
        }
    }
    eprintln!(
        "qr corpus: {right} of {} read correctly ({read} read)",
        images.len()
    );
    assert!(!images.is_empty());
    assert!(right > 0, "the scanner reads some of the photographs");
}
