#!/usr/bin/env python3
"""A held-out QR test set made by another generator than `hc-dev qr-bench --generate`.

    tools/scripts/qr-heldout-gen.py OUT_DIR [--seed N] [--count N]

`hc-dev`'s synthetic set renders a monitor through a pinhole camera in Rust. This one is
independent on purpose (another author of the scene, other libraries: `qrcode` for the symbol,
OpenCV for the geometry and the optics, numpy for the sensor) so that a decoder tuned on one set is
measured on the other. Each image is a phone pointed at a monitor: the QR code drawn by the
monitor's pixel grid (RGB stripes, so moire appears when the camera resamples it), warped by a
random homography (the phone's tilt and distance), then the camera's defects in a phone's order:
defocus, motion blur, glare, exposure, sensor noise, gamma, JPEG. One category per condition; the
"combined" category draws several at once. Layout: OUT_DIR/<category>/NNN.png beside NNN.txt (the
exact text), the corpus layout `hc-dev qr-bench` and `tools/scripts/qr-bench-zxing.py` read.

Tune on one seed, report on another: the images of (seed, category, index) depend on nothing else.
Needs `pip install qrcode numpy opencv-python-headless` (the zxing venv of qr-bench-zxing.py works).
"""

import argparse
import hashlib
import string
from pathlib import Path

import cv2
import numpy as np
import qrcode

CATEGORIES = [
    "clean",
    "perspective",
    "small-perspective",
    "moire",
    "glare",
    "blur",
    "noise",
    "dark",
    "inverted",
    "small-modules",
    "combined",
]

BASE32 = string.ascii_uppercase + "234567"


def rng_for(seed, category, index):
    digest = hashlib.sha256(f"{seed}/{category}/{index}".encode()).digest()
    return np.random.default_rng(int.from_bytes(digest[:8], "little"))


def payload(rng):
    """A text shaped like a device's reset code (HCR1 and base32), of a random length."""
    body = "".join(rng.choice(list(BASE32), size=int(rng.integers(60, 140))))
    return "HCR1:" + body


def symbol(text, rng):
    ec = [qrcode.constants.ERROR_CORRECT_L, qrcode.constants.ERROR_CORRECT_M,
          qrcode.constants.ERROR_CORRECT_Q][int(rng.integers(0, 3))]
    qr = qrcode.QRCode(error_correction=ec, border=4, box_size=1)
    qr.add_data(text)
    qr.make(fit=True)
    return np.array(qr.get_matrix(), dtype=np.uint8)  # 1 = dark module


def monitor(modules, module_px, inverted, rng):
    """The screen showing the code: an RGB-striped pixel grid, dark UI around a panel."""
    size = modules.shape[0] * module_px
    code = np.kron(modules, np.ones((module_px, module_px), dtype=np.uint8))
    dark, light = (235, 25) if inverted else (25, 235)
    code = np.where(code == 1, dark, light).astype(np.float32)
    pad = int(size * rng.uniform(0.3, 0.8))
    screen = np.full((size + 2 * pad, size + 2 * pad), 40.0 if not inverted else 18.0, np.float32)
    screen[pad:pad + size, pad:pad + size] = code
    # Some UI text-like blocks around the code.
    for _ in range(int(rng.integers(3, 9))):
        x, y = rng.integers(0, screen.shape[1] - 20), rng.integers(0, max(1, pad - 12))
        w, h = int(rng.integers(20, 120)), int(rng.integers(4, 10))
        screen[y:y + h, x:x + w] = rng.uniform(90, 200)
    # The monitor's pixel grid: each screen pixel is three stripes with dark gaps.
    stripes = np.array([0.9, 1.0, 0.8, 0.35], np.float32)
    up = 4
    big = np.kron(screen, np.ones((up, up), np.float32))
    big *= np.tile(stripes, big.shape[1] // up)[None, :]
    big *= np.tile(np.array([1.0, 1.0, 1.0, 0.55], np.float32), big.shape[0] // up)[:, None]
    return big


def warp(screen, width, height, strength, scale, rng):
    """The screen as the phone sees it: a random homography into a width x height frame."""
    h, w = screen.shape
    side = min(width, height) * scale
    cx = width / 2 + rng.uniform(-0.25, 0.25) * (width - side)
    cy = height / 2 + rng.uniform(-0.25, 0.25) * (height - side)
    aspect = w / h
    half_w, half_h = side * aspect / 2, side / 2
    dst = np.array([[cx - half_w, cy - half_h], [cx + half_w, cy - half_h],
                    [cx + half_w, cy + half_h], [cx - half_w, cy + half_h]], np.float32)
    # Perspective: move corners towards/away from the centre, rotate a little.
    jitter = rng.uniform(-strength, strength, size=(4, 2)).astype(np.float32) * side
    dst = dst + jitter
    angle = rng.uniform(-0.3, 0.3)
    rot = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]], np.float32)
    dst = (dst - [cx, cy]) @ rot.T + [cx, cy]
    src = np.array([[0, 0], [w, 0], [w, h], [0, h]], np.float32)
    matrix = cv2.getPerspectiveTransform(src, dst.astype(np.float32))
    room = rng.uniform(60, 150)
    frame = cv2.warpPerspective(screen, matrix, (width, height), flags=cv2.INTER_AREA,
                                borderMode=cv2.BORDER_CONSTANT, borderValue=room)
    # The room behind: a soft gradient.
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
    gradient = (xs / width - 0.5) * rng.uniform(-40, 40) + (ys / height - 0.5) * rng.uniform(-40, 40)
    mask = cv2.warpPerspective(np.ones_like(screen), matrix, (width, height)) > 0.5
    frame = np.where(mask, frame, frame + gradient)
    return frame


def glare(frame, rng, strength):
    h, w = frame.shape
    cx, cy = rng.uniform(0.2, 0.8) * w, rng.uniform(0.2, 0.8) * h
    sigma = rng.uniform(0.08, 0.25) * min(w, h)
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
    spot = np.exp(-((xs - cx) ** 2 + (ys - cy) ** 2) / (2 * sigma ** 2))
    return frame + strength * spot


def motion_blur(frame, length, rng):
    length = max(1, int(length))
    kernel = np.zeros((length, length), np.float32)
    kernel[length // 2, :] = 1.0 / length
    angle = rng.uniform(0, 180)
    rot = cv2.getRotationMatrix2D((length / 2 - 0.5, length / 2 - 0.5), angle, 1.0)
    kernel = cv2.warpAffine(kernel, rot, (length, length))
    kernel /= max(kernel.sum(), 1e-6)
    return cv2.filter2D(frame, -1, kernel)


def render(category, rng):
    width, height = [(1280, 720), (1920, 1080), (1280, 720), (960, 540)][int(rng.integers(0, 4))]
    text = payload(rng)
    modules = symbol(text, rng)
    inverted = category == "inverted" or (category == "combined" and rng.random() < 0.3)
    module_px = int(rng.integers(2, 5))
    screen = monitor(modules, module_px, inverted, rng)
    scale = rng.uniform(0.45, 0.85)
    strength = rng.uniform(0.0, 0.04)
    if category in ("perspective", "combined"):
        strength = rng.uniform(0.08, 0.16)
    if category == "small-perspective":
        strength, scale = rng.uniform(0.08, 0.15), rng.uniform(0.2, 0.32)
    if category == "small-modules":
        scale = rng.uniform(0.16, 0.26)
    if category == "moire":
        scale = rng.uniform(0.35, 0.55)
    frame = warp(screen, width, height, strength, scale, rng)

    defocus = rng.uniform(0.3, 0.8)
    if category in ("blur", "combined"):
        defocus = rng.uniform(1.2, 2.6)
    frame = cv2.GaussianBlur(frame, (0, 0), defocus)
    if category == "blur" and rng.random() < 0.5:
        frame = motion_blur(frame, rng.uniform(3, 8), rng)
    if category in ("glare", "combined"):
        frame = glare(frame, rng, rng.uniform(120, 260) if category == "glare" else rng.uniform(60, 160))
    exposure, noise = rng.uniform(0.85, 1.1), rng.uniform(1.0, 3.0)
    if category in ("dark", "combined"):
        exposure = rng.uniform(0.12, 0.3)
    if category in ("noise", "dark", "combined"):
        noise = rng.uniform(8.0, 20.0) if category == "noise" else rng.uniform(3.0, 8.0)
    frame = frame * exposure
    frame = frame + rng.normal(0.0, noise, frame.shape)
    gamma = rng.uniform(0.8, 1.2)
    frame = 255.0 * (np.clip(frame, 0, 255) / 255.0) ** gamma
    frame = np.clip(frame, 0, 255).astype(np.uint8)
    if category in ("noise", "combined") or rng.random() < 0.3:
        quality = int(rng.integers(35, 80))
        ok, jpeg = cv2.imencode(".jpg", frame, [cv2.IMWRITE_JPEG_QUALITY, quality])
        frame = cv2.imdecode(jpeg, cv2.IMREAD_GRAYSCALE)
    return text, frame


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--count", type=int, default=20, help="images per category")
    args = parser.parse_args()
    written = 0
    for category in CATEGORIES:
        folder = args.out / category
        folder.mkdir(parents=True, exist_ok=True)
        for index in range(args.count):
            text, frame = render(category, rng_for(args.seed, category, index))
            cv2.imwrite(str(folder / f"{index:03}.png"), frame)
            (folder / f"{index:03}.txt").write_text(text)
            written += 1
    print(f"wrote {written} images to {args.out} (seed {args.seed})")


if __name__ == "__main__":
    main()
