//! A seeded generator of "phone pointed at a monitor" frames showing a reset QR code.
//!
//! Each frame is rendered from a small physical model rather than by editing a clean picture: a
//! monitor (dark NVR-style screen, the QR on a light panel, a bezel, the room behind) seen through
//! a pinhole camera at some distance and angle, so perspective is exact; then the camera's defects
//! are applied in the order a phone meets them (optics blur, glare, exposure, sensor noise, gamma,
//! JPEG). One category per degradation, at 720p and 1080p, in the corpus layout (`<category>/NNN.png`
//! beside `NNN.txt`), so the same runner and the same zxing-cpp script measure it.
//!
//! Every image draws from its own generator seeded by (seed, category, index): the set is the same
//! on every machine and adding images to one category does not change the others.

use std::io::{self, BufWriter};
use std::path::Path;

use hc_protocol::{Challenge, DeviceKey, Nonce, Serial};
use image::GrayImage;
use qrcode::{Color, EcLevel, QrCode};

/// The degradations, one category each.
pub const DEGRADATIONS: [&str; 8] = [
    "clean",
    "perspective",
    "blur",
    "noise",
    "moire",
    "glare",
    "lowcontrast",
    "jpeg",
];

/// Frame sizes of phone camera previews.
pub const RESOLUTIONS: [(u32, u32, &str); 2] = [(1280, 720, "720p"), (1920, 1080, "1080p")];

/// Writes `per_category` frames for every degradation and resolution under `dir`. Returns how many
/// images were written.
pub fn generate(dir: &Path, seed: u64, per_category: usize) -> io::Result<usize> {
    let mut written = 0;
    for (width, height, res_name) in RESOLUTIONS {
        for (d, degradation) in DEGRADATIONS.iter().enumerate() {
            let category = dir.join(format!("{degradation}-{res_name}"));
            std::fs::create_dir_all(&category)?;
            for index in 0..per_category {
                let mut rng = Rng::for_image(seed, height, d, index);
                let text = random_reset_text(&mut rng);
                let frame = render(&text, width, height, degradation, &mut rng);
                let stem = category.join(format!("{index:03}"));
                if *degradation == "jpeg" {
                    let quality = rng.range(6.0, 22.0) as u8;
                    let file = std::fs::File::create(stem.with_extension("jpg"))?;
                    image::codecs::jpeg::JpegEncoder::new_with_quality(
                        BufWriter::new(file),
                        quality,
                    )
                    .encode_image(&frame)
                    .map_err(io::Error::other)?;
                } else {
                    frame
                        .save(stem.with_extension("png"))
                        .map_err(io::Error::other)?;
                }
                std::fs::write(stem.with_extension("txt"), &text)?;
                written += 1;
            }
        }
    }
    Ok(written)
}

/// SplitMix64: tiny, seedable and stable across crate versions (the set must not change when a
/// dependency is upgraded).
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed ^ 0x9E37_79B9_7F4A_7C15)
    }

    /// The generator of one image. Each part is mixed in through the generator itself: a plain
    /// XOR of seed and index made seed 2 the same images as seed 1 in another order.
    pub fn for_image(seed: u64, height: u32, degradation: usize, index: usize) -> Self {
        let mut rng = Rng::new(seed);
        for part in [u64::from(height), degradation as u64, index as u64] {
            let mixed = rng.next_u64();
            rng = Rng::new(mixed ^ part);
        }
        rng
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    pub fn range(&mut self, low: f64, high: f64) -> f64 {
        low + (high - low) * self.unit()
    }

    /// Uniform in ±magnitude.
    fn signed(&mut self, magnitude: f64) -> f64 {
        self.range(-magnitude, magnitude)
    }

    /// Standard normal (Box-Muller).
    fn normal(&mut self) -> f64 {
        let u = self.unit().max(1e-12);
        let v = self.unit();
        (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()
    }

    fn bytes<const N: usize>(&mut self) -> [u8; N] {
        std::array::from_fn(|_| self.next_u64() as u8)
    }
}

/// An HCR1 text as a device would show it, with a random serial, nonce and key.
pub fn random_reset_text(rng: &mut Rng) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    const MODELS: [&str; 4] = [
        "DS-7608NI-K2",
        "DS-7616NI-I2/16P",
        "DS-7732NI-M4",
        "iDS-7204HUHI-M1/S",
    ];
    let serial: String = (0..9)
        .map(|_| ALPHABET[(rng.next_u64() % ALPHABET.len() as u64) as usize] as char)
        .collect();
    let model = MODELS[(rng.next_u64() % MODELS.len() as u64) as usize];
    let challenge = Challenge::new(
        Serial::parse(&serial).expect("the alphabet makes valid serials"),
        rng.next_u64() % 2 == 0,
        1_700_000_000 + (rng.next_u64() % 100_000_000) as u32,
        Nonce::from_bytes(rng.bytes()),
        model,
        "V4.61.005",
    )
    .expect("the fields are within the protocol's limits");
    challenge.to_qr_text(&DeviceKey::from_bytes(rng.bytes()))
}

/// What one frame looks like, drawn per degradation.
struct Scene {
    /// Dark modules, row-major, `size` x `size`.
    modules: Vec<bool>,
    size: usize,
    /// Monitor pixels per module (the pixel grid is what makes moiré).
    monitor_px: f64,
    /// Contrast of the monitor's pixel grid: 0 = invisible, 1 = black gaps between pixels.
    grid: f64,
    /// Camera samples per pixel side (1 aliases like a sensor without an optical low-pass filter).
    samples: usize,
    /// Camera to QR-plane homography, inverted: camera pixel -> QR plane (QR spans [0, 1]²).
    to_plane: [[f64; 3]; 3],
    blur_sigma: f64,
    motion: Option<(f64, f64)>,
    glare: Option<Glare>,
    /// Emitted light to sensor value: value = offset + gain * light, before gamma.
    gain: f64,
    offset: f64,
    /// Illumination gradient across the frame (a dim room, a lamp on one side).
    gradient: (f64, f64),
    noise_sigma: f64,
}

struct Glare {
    x: f64,
    y: f64,
    sx: f64,
    sy: f64,
    strength: f64,
}

/// Renders one frame of `text` for `degradation`.
pub fn render(text: &str, width: u32, height: u32, degradation: &str, rng: &mut Rng) -> GrayImage {
    let scene = draw_scene(text, width, height, degradation, rng);
    let mut light = sample_monitor(&scene, width, height);
    if scene.blur_sigma > 0.0 {
        gaussian_blur(
            &mut light,
            width as usize,
            height as usize,
            scene.blur_sigma,
        );
    }
    if let Some((length, angle)) = scene.motion {
        light = motion_blur(&light, width as usize, height as usize, length, angle);
    }
    expose(&scene, light, width, height, rng)
}

fn draw_scene(text: &str, width: u32, height: u32, degradation: &str, rng: &mut Rng) -> Scene {
    let code = QrCode::with_error_correction_level(text.as_bytes(), EcLevel::M)
        .expect("a reset text fits a QR code");
    let size = code.width();
    let modules = code
        .to_colors()
        .into_iter()
        .map(|c| c == Color::Dark)
        .collect();
    let (w, h) = (f64::from(width), f64::from(height));

    // Pose: the QR's side in pixels when seen head-on, where it sits, and the three angles.
    let (side_range, tilt, roll) = match degradation {
        "clean" => ((0.30, 0.60), 8.0, 10.0),
        "perspective" => ((0.30, 0.55), 42.0, 45.0),
        "moire" => ((0.22, 0.45), 12.0, 15.0),
        _ => ((0.25, 0.55), 12.0, 15.0),
    };
    let side = h * rng.range(side_range.0, side_range.1);
    let mut pitch = rng.signed(tilt).to_radians();
    let mut yaw = rng.signed(tilt).to_radians();
    if degradation == "perspective" {
        // At least one strong tilt, so the category is not mostly head-on by chance.
        let strong = rng.range(25.0, tilt).to_radians() * if rng.unit() < 0.5 { -1.0 } else { 1.0 };
        if rng.unit() < 0.5 {
            pitch = strong;
        } else {
            yaw = strong;
        }
    }
    let roll = rng.signed(roll).to_radians();
    let focal = w * 0.85;
    let distance = focal / side;
    let centre = (
        w / 2.0 + rng.signed(w * 0.08),
        h / 2.0 + rng.signed(h * 0.08),
    );
    let to_plane = plane_homography(focal, centre, distance, pitch, yaw, roll);

    let module_camera_px = side / size as f64;
    let (monitor_px, grid, samples) = if degradation == "moire" {
        // Monitor pixels close to the sensor's pitch: the grid beats against it.
        let monitor_pixel_in_camera = rng.range(0.7, 1.6);
        (
            (module_camera_px / monitor_pixel_in_camera).max(1.0),
            rng.range(0.5, 0.85),
            1,
        )
    } else {
        (rng.range(3.0, 8.0).round(), 0.0, 2)
    };

    let mut scene = Scene {
        modules,
        size,
        monitor_px,
        grid,
        samples,
        to_plane,
        blur_sigma: rng.range(0.4, 0.8),
        motion: None,
        glare: None,
        gain: rng.range(0.85, 1.0),
        offset: 0.02,
        gradient: (rng.signed(0.05), rng.signed(0.05)),
        noise_sigma: rng.range(1.0, 3.0) / 255.0,
    };
    match degradation {
        "blur" => {
            if rng.unit() < 0.5 {
                scene.blur_sigma = module_camera_px * rng.range(0.35, 0.6);
            } else {
                scene.motion = Some((
                    module_camera_px * rng.range(1.0, 2.0),
                    rng.range(0.0, std::f64::consts::PI),
                ));
            }
        }
        "noise" => {
            // A dim room: low exposure, high sensor gain.
            scene.gain = rng.range(0.35, 0.6);
            scene.noise_sigma = rng.range(14.0, 28.0) / 255.0;
        }
        "glare" => {
            // A lamp reflected on the screen, on or near the code.
            scene.glare = Some(Glare {
                x: centre.0 + rng.signed(side * 0.4),
                y: centre.1 + rng.signed(side * 0.4),
                sx: side * rng.range(0.12, 0.3),
                sy: side * rng.range(0.12, 0.3),
                strength: rng.range(0.6, 1.4),
            });
        }
        "lowcontrast" => {
            // A washed-out screen: strong ambient reflection, low backlight.
            scene.gain = rng.range(0.10, 0.22);
            scene.offset = rng.range(0.2, 0.4);
            scene.gradient = (rng.signed(0.12), rng.signed(0.12));
        }
        _ => {}
    }
    scene
}

/// Camera pixel -> QR plane for a pinhole camera looking at the monitor from `distance` (in QR
/// sides), the QR's centre projected at `centre`.
fn plane_homography(
    focal: f64,
    centre: (f64, f64),
    distance: f64,
    pitch: f64,
    yaw: f64,
    roll: f64,
) -> [[f64; 3]; 3] {
    let (sp, cp) = pitch.sin_cos();
    let (sy, cy) = yaw.sin_cos();
    let (sr, cr) = roll.sin_cos();
    let rx = [[1.0, 0.0, 0.0], [0.0, cp, -sp], [0.0, sp, cp]];
    let ry = [[cy, 0.0, sy], [0.0, 1.0, 0.0], [-sy, 0.0, cy]];
    let rz = [[cr, -sr, 0.0], [sr, cr, 0.0], [0.0, 0.0, 1.0]];
    let r = mul(&rz, &mul(&ry, &rx));
    // Plane point (X, Y) with the QR spanning [-0.5, 0.5]² maps to K (X r1 + Y r2 + t); the
    // camera's principal point is put at the QR's centre, which is a shift of the frame.
    let t = [0.0, 0.0, distance];
    let k = [
        [focal, 0.0, centre.0],
        [0.0, focal, centre.1],
        [0.0, 0.0, 1.0],
    ];
    let m = [
        [r[0][0], r[0][1], t[0]],
        [r[1][0], r[1][1], t[1]],
        [r[2][0], r[2][1], t[2]],
    ];
    // Shift plane coordinates so the QR spans [0, 1]².
    let shift = [[1.0, 0.0, -0.5], [0.0, 1.0, -0.5], [0.0, 0.0, 1.0]];
    invert(&mul(&k, &mul(&m, &shift)))
}

fn mul(a: &[[f64; 3]; 3], b: &[[f64; 3]; 3]) -> [[f64; 3]; 3] {
    std::array::from_fn(|i| std::array::from_fn(|j| (0..3).map(|k| a[i][k] * b[k][j]).sum()))
}

fn invert(m: &[[f64; 3]; 3]) -> [[f64; 3]; 3] {
    let c = |i: usize, j: usize| {
        let (r0, r1) = ((i + 1) % 3, (i + 2) % 3);
        let (c0, c1) = ((j + 1) % 3, (j + 2) % 3);
        m[r0][c0] * m[r1][c1] - m[r0][c1] * m[r1][c0]
    };
    let det = m[0][0] * c(0, 0) + m[0][1] * c(0, 1) + m[0][2] * c(0, 2);
    std::array::from_fn(|i| std::array::from_fn(|j| c(j, i) / det))
}

/// The light the monitor emits at a point of the QR plane (QR in [0, 1]²), linear, in [0, 1].
fn monitor_light(scene: &Scene, x: f64, y: f64) -> f64 {
    let n = scene.size as f64;
    let (mx, my) = (x * n, y * n); // in modules
    let panel = 6.0; // light panel margin around the code, in modules
    let (screen_w, screen_h) = (2.2 * n, 1.3 * n); // half extents from the QR centre
    let (cx, cy) = (mx - n / 2.0, my - n / 2.0);
    let light = if (0.0..n).contains(&mx) && (0.0..n).contains(&my) {
        let index = my as usize * scene.size + mx as usize;
        if scene.modules[index] { 0.03 } else { 0.92 }
    } else if cx.abs() < n / 2.0 + panel && cy.abs() < n / 2.0 + panel {
        0.92
    } else if cx.abs() < screen_w && cy.abs() < screen_h {
        // A dark NVR screen with lines of light "text" and boxes.
        let row = ((my + 1000.0) / 3.0) as i64;
        let column = ((mx + 1000.0) / 9.0) as i64;
        let lit = hash(row, column) % 5 == 0 && (my + 1000.0).rem_euclid(3.0) < 1.4;
        if lit { 0.7 } else { 0.12 }
    } else if cx.abs() < screen_w + 0.15 * n && cy.abs() < screen_h + 0.15 * n {
        0.02 // bezel
    } else {
        0.25 + 0.1 * ((mx * 0.02).sin() * (my * 0.03).cos()) // the room
    };
    if scene.grid > 0.0 && cx.abs() < screen_w && cy.abs() < screen_h {
        // Each monitor pixel lights ~70% of its cell; the rest is the black matrix between.
        let (px, py) = (mx * scene.monitor_px, my * scene.monitor_px);
        let gap = px.rem_euclid(1.0) > 0.72 || py.rem_euclid(1.0) > 0.8;
        if gap {
            return light * (1.0 - scene.grid);
        }
    }
    light
}

fn hash(a: i64, b: i64) -> u64 {
    let mut rng = Rng::new((a as u64).wrapping_mul(0x1000_0000_01B3) ^ b as u64);
    rng.next_u64()
}

fn sample_monitor(scene: &Scene, width: u32, height: u32) -> Vec<f32> {
    let h = &scene.to_plane;
    let s = scene.samples;
    let mut out = Vec::with_capacity((width * height) as usize);
    for v in 0..height {
        for u in 0..width {
            let mut sum = 0.0;
            for j in 0..s {
                for i in 0..s {
                    let fu = f64::from(u) + (i as f64 + 0.5) / s as f64;
                    let fv = f64::from(v) + (j as f64 + 0.5) / s as f64;
                    let z = h[2][0] * fu + h[2][1] * fv + h[2][2];
                    let x = (h[0][0] * fu + h[0][1] * fv + h[0][2]) / z;
                    let y = (h[1][0] * fu + h[1][1] * fv + h[1][2]) / z;
                    sum += monitor_light(scene, x, y);
                }
            }
            out.push((sum / (s * s) as f64) as f32);
        }
    }
    out
}

/// Separable Gaussian blur, edges clamped.
fn gaussian_blur(image: &mut [f32], width: usize, height: usize, sigma: f64) {
    let radius = (3.0 * sigma).ceil() as isize;
    let kernel: Vec<f32> = (-radius..=radius)
        .map(|i| (-(i * i) as f64 / (2.0 * sigma * sigma)).exp() as f32)
        .collect();
    let total: f32 = kernel.iter().sum();
    let kernel: Vec<f32> = kernel.iter().map(|k| k / total).collect();
    let mut line = vec![0.0f32; width.max(height)];
    for y in 0..height {
        let row = &image[y * width..(y + 1) * width];
        for (x, out) in line.iter_mut().take(width).enumerate() {
            *out = kernel
                .iter()
                .enumerate()
                .map(|(k, w)| {
                    let sx = (x as isize + k as isize - radius).clamp(0, width as isize - 1);
                    w * row[sx as usize]
                })
                .sum();
        }
        image[y * width..(y + 1) * width].copy_from_slice(&line[..width]);
    }
    for x in 0..width {
        for (y, out) in line.iter_mut().take(height).enumerate() {
            *out = kernel
                .iter()
                .enumerate()
                .map(|(k, w)| {
                    let sy = (y as isize + k as isize - radius).clamp(0, height as isize - 1);
                    w * image[sy as usize * width + x]
                })
                .sum();
        }
        for y in 0..height {
            image[y * width + x] = line[y];
        }
    }
}

/// A straight shake of `length` pixels at `angle`: the mean of shifted copies.
fn motion_blur(image: &[f32], width: usize, height: usize, length: f64, angle: f64) -> Vec<f32> {
    let taps = (length.ceil() as usize).max(2);
    let (dx, dy) = (angle.cos(), angle.sin());
    let offsets: Vec<(isize, isize)> = (0..taps)
        .map(|t| {
            let d = (t as f64 / (taps - 1) as f64 - 0.5) * length;
            ((d * dx).round() as isize, (d * dy).round() as isize)
        })
        .collect();
    let mut out = vec![0.0f32; image.len()];
    for y in 0..height {
        for x in 0..width {
            let sum: f32 = offsets
                .iter()
                .map(|&(ox, oy)| {
                    let sx = (x as isize + ox).clamp(0, width as isize - 1) as usize;
                    let sy = (y as isize + oy).clamp(0, height as isize - 1) as usize;
                    image[sy * width + sx]
                })
                .sum();
            out[y * width + x] = sum / taps as f32;
        }
    }
    out
}

/// Light to 8-bit sensor values: glare, exposure, illumination, vignetting, noise, gamma.
fn expose(scene: &Scene, light: Vec<f32>, width: u32, height: u32, rng: &mut Rng) -> GrayImage {
    let (w, h) = (f64::from(width), f64::from(height));
    let mut pixels = Vec::with_capacity(light.len());
    for (i, &l) in light.iter().enumerate() {
        let (x, y) = ((i % width as usize) as f64, (i / width as usize) as f64);
        let (nx, ny) = (x / w - 0.5, y / h - 0.5);
        let mut value = scene.offset + scene.gain * f64::from(l);
        value *= 1.0 + scene.gradient.0 * nx * 2.0 + scene.gradient.1 * ny * 2.0;
        value *= 1.0 - 0.3 * (nx * nx + ny * ny); // vignetting
        if let Some(g) = &scene.glare {
            let d = ((x - g.x) / g.sx).powi(2) + ((y - g.y) / g.sy).powi(2);
            value += g.strength * (-d).exp();
        }
        value += scene.noise_sigma * rng.normal();
        let encoded = value.clamp(0.0, 1.0).powf(1.0 / 2.2);
        pixels.push((encoded * 255.0).round() as u8);
    }
    GrayImage::from_raw(width, height, pixels).expect("one value per pixel")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_seed_gives_the_same_frame() {
        let frame = |seed| {
            let mut rng = Rng::new(seed);
            let text = random_reset_text(&mut rng);
            render(&text, 320, 240, "glare", &mut rng).into_raw()
        };
        assert_eq!(frame(7), frame(7));
        assert_ne!(frame(7), frame(8));
    }

    #[test]
    fn another_seed_is_another_set_not_the_same_one_reordered() {
        let first = |seed| {
            (0..12)
                .map(|index| Rng::for_image(seed, 720, 0, index).next_u64())
                .collect::<std::collections::BTreeSet<_>>()
        };
        assert!(first(1).is_disjoint(&first(2)));
        assert_eq!(first(1), first(1));
    }

    #[test]
    fn payloads_are_reset_codes() {
        let mut rng = Rng::new(1);
        let text = random_reset_text(&mut rng);
        assert!(text.starts_with(hc_protocol::QR_PREFIX));
        assert!(hc_protocol::parse_qr(&text).is_ok());
    }

    #[test]
    fn the_homography_round_trips() {
        let m = [[2.0, 0.5, 3.0], [0.1, 1.5, -2.0], [0.001, 0.002, 1.0]];
        let p = mul(&m, &invert(&m));
        for (i, row) in p.iter().enumerate() {
            for (j, v) in row.iter().enumerate() {
                assert!((v - if i == j { 1.0 } else { 0.0 }).abs() < 1e-9);
            }
        }
    }
}
