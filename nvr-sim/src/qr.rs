//! Renders the challenge text as a QR code: PNG and SVG for the web page, Unicode blocks for the
//! terminal.
//!
//! The text is `HCR1:` + uppercase base32, all inside the QR alphanumeric alphabet, so it is
//! encoded in alphanumeric mode on purpose: 5.5 bits a character instead of 8 keeps the symbol at
//! version 5 with large modules that a phone reads easily off a monitor.

use std::io::Cursor;

use qrcode::bits::Bits;
use qrcode::{Color, EcLevel, QrCode, Version};

/// Quiet zone around the symbol, in modules (the QR standard asks for 4).
const QUIET_ZONE: usize = 4;

#[derive(Debug, thiserror::Error)]
pub enum QrRenderError {
    #[error("the text has characters outside the QR alphanumeric alphabet")]
    NotAlphanumeric,
    #[error("the text does not fit a QR code in alphanumeric mode")]
    DoesNotFit,
    #[error("cannot encode the PNG: {0}")]
    Png(String),
}

/// The QR symbol of `text`, alphanumeric mode, error correction level M, smallest version.
pub fn encode(text: &str) -> Result<QrCode, QrRenderError> {
    // The encoder does not check the alphabet itself; anything else would encode garbage.
    const ALPHANUMERIC: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:";
    if !text.bytes().all(|b| ALPHANUMERIC.contains(&b)) {
        return Err(QrRenderError::NotAlphanumeric);
    }
    (1..=40)
        .find_map(|version| {
            let mut bits = Bits::new(Version::Normal(version));
            bits.push_alphanumeric_data(text.as_bytes()).ok()?;
            bits.push_terminator(EcLevel::M).ok()?;
            QrCode::with_bits(bits, EcLevel::M).ok()
        })
        .ok_or(QrRenderError::DoesNotFit)
}

/// Dark modules as rows of booleans, quiet zone included.
fn modules(code: &QrCode) -> Vec<Vec<bool>> {
    let width = code.width();
    let colors = code.to_colors();
    let full = width + 2 * QUIET_ZONE;
    (0..full)
        .map(|y| {
            (0..full)
                .map(|x| {
                    let (Some(x), Some(y)) = (x.checked_sub(QUIET_ZONE), y.checked_sub(QUIET_ZONE))
                    else {
                        return false;
                    };
                    x < width && y < width && colors[y * width + x] == Color::Dark
                })
                .collect()
        })
        .collect()
}

/// A greyscale PNG, `scale` pixels a module.
pub fn png(text: &str, scale: u32) -> Result<Vec<u8>, QrRenderError> {
    let rows = modules(&encode(text)?);
    let scale = scale.clamp(1, 32);
    let side = u32::try_from(rows.len()).map_err(|_| QrRenderError::DoesNotFit)? * scale;
    let image = image::GrayImage::from_fn(side, side, |x, y| {
        let dark = rows[(y / scale) as usize][(x / scale) as usize];
        image::Luma([if dark { 0 } else { 255 }])
    });
    let mut out = Cursor::new(Vec::new());
    image
        .write_to(&mut out, image::ImageFormat::Png)
        .map_err(|e| QrRenderError::Png(e.to_string()))?;
    Ok(out.into_inner())
}

/// An SVG document, one unit a module; scales crisply to any size.
pub fn svg(text: &str) -> Result<String, QrRenderError> {
    let rows = modules(&encode(text)?);
    let side = rows.len();
    let mut path = String::new();
    for (y, row) in rows.iter().enumerate() {
        for (x, dark) in row.iter().enumerate() {
            if *dark {
                path.push_str(&format!("M{x} {y}h1v1h-1z"));
            }
        }
    }
    Ok(format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {side} {side}\" \
         shape-rendering=\"crispEdges\"><rect width=\"{side}\" height=\"{side}\" fill=\"#fff\"/>\
         <path d=\"{path}\" fill=\"#000\"/></svg>"
    ))
}

/// The symbol in Unicode half blocks, two modules a character cell, dark on light: for a
/// terminal with a light-on-dark theme the light modules print as full blocks.
pub fn terminal(text: &str) -> Result<String, QrRenderError> {
    let rows = modules(&encode(text)?);
    let mut out = String::new();
    for pair in rows.chunks(2) {
        for x in 0..pair[0].len() {
            // Print the light modules, so the code reads right on a dark terminal.
            let top = !pair[0][x];
            let bottom = pair.get(1).is_some_and(|row| !row[x]);
            out.push(match (top, bottom) {
                (true, true) => '█',
                (true, false) => '▀',
                (false, true) => '▄',
                (false, false) => ' ',
            });
        }
        out.push('\n');
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = "HCR1:AEAUUMJSGM2DKNRXHBPWCVMAEOPA26MYYAHVABJ7ZUC77SXU5IHUIUZNG43DAOCOJEWUWMRPHBIASVRUFY3DCLRQGA2QU5VSY6LISJBGOVUP2MI";

    #[test]
    fn the_reset_qr_is_a_small_symbol() {
        let code = encode(TEXT).unwrap();
        assert!(matches!(code.version(), Version::Normal(5..=6)));
    }

    #[test]
    fn the_png_decodes_to_the_text() {
        let png = png(TEXT, 6).unwrap();
        let image = image::load_from_memory(&png).unwrap().to_luma8();
        let mut prepared = rqrr::PreparedImage::prepare(image);
        let grids = prepared.detect_grids();
        assert_eq!(grids.len(), 1);
        let (_, content) = grids[0].decode().unwrap();
        assert_eq!(content, TEXT);
    }

    #[test]
    fn text_outside_the_alphanumeric_alphabet_is_an_error_not_a_panic() {
        assert!(matches!(
            encode("hcr1:lower"),
            Err(QrRenderError::NotAlphanumeric)
        ));
        assert!(matches!(
            encode(&"A".repeat(5000)),
            Err(QrRenderError::DoesNotFit)
        ));
    }

    #[test]
    fn svg_and_terminal_renderings_are_produced() {
        assert!(svg(TEXT).unwrap().starts_with("<svg"));
        assert!(terminal(TEXT).unwrap().lines().count() > 10);
    }
}
