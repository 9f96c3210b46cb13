#!/usr/bin/env python3
"""Camera sequences of a phone pointed at an NVR's reset QR code, for `hc-dev scan-seq`.

    tools/scripts/scan-seq-gen.py OUT [--seed N] [--per-kind K] [--hc-dev PATH]

Writes OUT/<kind>-<res>-<n>/0000.png ... (36 8-bit grey frames, 1.2 s of a 30 fps camera) and expected.txt (the QR text) per sequence. Kinds, each one way a user meets the screen:

    approach  the phone comes from across the room to a comfortable distance, the hand not quite still
    shake     at a good distance, the hand shakes hard, then steadies (motion blur fading out)
    refocus   at a good distance, the lens hunts: defocus blur that pulses before it locks
    glare     a lamp's reflection sits on the code and slides off as the phone tilts
    dark      a dim room: the approach at low exposure with heavy sensor noise (1080p)
    perspective  the phone swings from a steep angle to facing the screen

Rendered from a small model of its own (not hc-dev's synthetic set): a pinhole camera looking at a
monitor plane (the QR on a light panel, a dark NVR screen with text lines, a bezel, the room),
then lens blur, motion blur, glare, exposure, noise and gamma. The payloads are real reset QR texts
from `hc-dev reset-text` (random serials and keys). Every sequence draws from its own seeded
generator: the same seed gives the same frames on every machine.

Needs numpy, Pillow and segno (the zxing venv of tools/scripts/qr-bench-zxing.py has them when
created with `pip install zxing-cpp numpy pillow segno`).
"""

import argparse
import math
import os
import subprocess
import sys
from pathlib import Path

KINDS = ["approach", "shake", "refocus", "glare", "dark", "perspective"]
FRAMES = 36
# Modules across an HCR1 code (about version 6), for blur lengths in modules.
MODULES = 41.0


def default_hc_dev():
    target = os.environ.get("CARGO_TARGET_DIR") or str(Path(__file__).resolve().parents[2] / "target")
    return str(Path(target) / "release" / "hc-dev")


def reset_texts(hc_dev, seed, count):
    out = subprocess.run([hc_dev, "reset-text", "--seed", str(seed), "--count", str(count)],
                         check=True, capture_output=True, text=True).stdout
    return out.split()


def modules_of(text):
    import numpy as np
    import segno

    code = segno.make_qr(text, error="m")
    return np.array([[bool(v) for v in row] for row in code.matrix], dtype=bool)


def rotation(pitch, yaw, roll):
    import numpy as np

    sp, cp, sy, cy, sr, cr = math.sin(pitch), math.cos(pitch), math.sin(yaw), math.cos(yaw), math.sin(roll), math.cos(roll)
    rx = np.array([[1, 0, 0], [0, cp, -sp], [0, sp, cp]])
    ry = np.array([[cy, 0, sy], [0, 1, 0], [-sy, 0, cy]])
    rz = np.array([[cr, -sr, 0], [sr, cr, 0], [0, 0, 1]])
    return rz @ ry @ rx


def to_plane(width, height, pose):
    """Camera pixel -> QR plane (the code spans [0, 1]^2) for a pose."""
    import numpy as np

    focal = width * 0.85
    r = rotation(pose["pitch"], pose["yaw"], pose["roll"])
    k = np.array([[focal, 0, pose["cx"]], [0, focal, pose["cy"]], [0, 0, 1]])
    m = np.column_stack([r[:, 0], r[:, 1], [0, 0, focal / pose["side"]]])
    shift = np.array([[1, 0, -0.5], [0, 1, -0.5], [0, 0, 1]])
    return np.linalg.inv(k @ m @ shift)


def monitor_light(modules, x, y, rng_key):
    """Emitted light at plane points (QR in [0, 1]^2), linear 0..1."""
    import numpy as np

    n = modules.shape[0]
    mx, my = x * n, y * n
    cx, cy = mx - n / 2, my - n / 2
    light = np.full(x.shape, 0.25, dtype=np.float32)  # the room
    light += (0.08 * np.sin(mx * 0.015 + rng_key) * np.cos(my * 0.02)).astype(np.float32)
    screen = (np.abs(cx) < 2.3 * n) & (np.abs(cy) < 1.35 * n)
    bezel = (np.abs(cx) < 2.45 * n) & (np.abs(cy) < 1.5 * n) & ~screen
    light[bezel] = 0.02
    # A dark NVR screen with lines of lit "text".
    row = np.floor((my + 1000) / 3).astype(np.int64)
    col = np.floor((mx + 1000) / 8).astype(np.int64)
    lit = ((row * 7919 + col * 104729 + rng_key) % 5 == 0) & (np.mod(my + 1000, 3) < 1.3)
    light[screen] = np.where(lit[screen], 0.65, 0.1)
    panel = (np.abs(cx) < n / 2 + 5) & (np.abs(cy) < n / 2 + 5)
    light[panel] = 0.9
    inside = (mx >= 0) & (mx < n) & (my >= 0) & (my < n)
    ix = np.clip(mx[inside].astype(np.int64), 0, n - 1)
    iy = np.clip(my[inside].astype(np.int64), 0, n - 1)
    light[inside] = np.where(modules[iy, ix], 0.04, 0.9)
    return light


def box_blur(image, radius, axis):
    import numpy as np

    if radius < 1:
        return image
    pad = [(0, 0), (0, 0)]
    pad[axis] = (radius + 1, radius)
    padded = np.pad(image, pad, mode="edge")
    summed = np.cumsum(padded, axis=axis, dtype=np.float64)
    size = 2 * radius + 1
    if axis == 0:
        out = summed[size:] - summed[:-size]
    else:
        out = summed[:, size:] - summed[:, :-size]
    return (out / size).astype(np.float32)


def gaussian(image, sigma):
    """Three box blurs each way: close to a Gaussian of `sigma`."""
    if sigma < 0.3:
        return image
    radius = max(1, int(round(math.sqrt(12 * sigma * sigma / 3 + 1) - 1) // 2))
    for _ in range(3):
        image = box_blur(box_blur(image, radius, 0), radius, 1)
    return image


def motion(image, length, angle):
    import numpy as np

    taps = max(2, int(math.ceil(length)))
    out = np.zeros_like(image)
    for t in range(taps):
        d = (t / (taps - 1) - 0.5) * length
        out += np.roll(image, (int(round(d * math.sin(angle))), int(round(d * math.cos(angle)))), axis=(0, 1))
    return out / taps


def render(modules, width, height, pose, optics, rng):
    import numpy as np

    h = to_plane(width, height, pose)
    v, u = np.mgrid[0:height, 0:width].astype(np.float64)
    u += 0.5
    v += 0.5
    z = h[2, 0] * u + h[2, 1] * v + h[2, 2]
    x = (h[0, 0] * u + h[0, 1] * v + h[0, 2]) / z
    y = (h[1, 0] * u + h[1, 1] * v + h[1, 2]) / z
    light = monitor_light(modules, x, y, optics["key"])
    light = gaussian(light, optics["blur"])
    if optics["motion"] > 0.8:
        light = motion(light, optics["motion"], optics["angle"])
    value = optics["offset"] + optics["gain"] * light
    ny, nx = v / height - 0.5, u / width - 0.5
    value *= 1 - 0.3 * (nx * nx + ny * ny)
    if optics["glare"] is not None:
        gx, gy, gs, strength = optics["glare"]
        value += strength * np.exp(-(((u - gx) / gs) ** 2 + ((v - gy) / (gs * 0.8)) ** 2))
    value += rng.normal(0.0, optics["noise"], value.shape)
    encoded = np.clip(value, 0, 1) ** (1 / 2.2)
    return (encoded * 255 + 0.5).astype(np.uint8)


def ease(t):
    return t * t * (3 - 2 * t)


def sequence(kind, index, width, height, seed):
    """Pose and optics of every frame of one sequence."""
    import numpy as np

    rng = np.random.default_rng([seed, KINDS.index(kind), index, height])
    frames = []
    near = height * rng.uniform(0.32, 0.5)  # the code's side, in pixels, at a good distance
    far = height * rng.uniform(0.06, 0.1)
    base = {"cx": width / 2 + rng.uniform(-0.1, 0.1) * width, "cy": height / 2 + rng.uniform(-0.1, 0.1) * height,
            "pitch": math.radians(rng.uniform(-10, 10)), "yaw": math.radians(rng.uniform(-10, 10)),
            "roll": math.radians(rng.uniform(-12, 12))}
    jitter = np.cumsum(rng.normal(0, 1, (FRAMES, 2)), axis=0)
    for f in range(FRAMES):
        t = f / (FRAMES - 1)
        pose = dict(base, side=near)
        optics = {"blur": rng.uniform(0.4, 0.7), "motion": 0.0, "angle": 0.0, "glare": None,
                  "gain": rng.uniform(0.85, 1.0), "offset": 0.02, "noise": rng.uniform(1, 3) / 255,
                  "key": int(rng.integers(0, 1000)) if f == 0 else frames[0][1]["key"]}
        shake_px = 2.0
        if kind in ("approach", "dark"):
            pose["side"] = far + (near - far) * ease(min(1.0, t * 1.4))
            shake_px = 3.0 * (1 - t) + 1
            # The lens refocuses as the distance changes.
            optics["blur"] += 2.5 * abs(math.sin(t * math.pi * 2.5)) * (1 - t)
        if kind == "shake":
            fade = max(0.0, 1 - t * 1.3)
            shake_px = 14 * fade + 1
            optics["motion"] = pose["side"] / MODULES * rng.uniform(1.5, 4.0) * fade
            optics["angle"] = rng.uniform(0, math.pi)
        if kind == "refocus":
            hunt = max(0.0, 1 - t * 1.2)
            optics["blur"] += pose["side"] / 40 * 1.2 * hunt * (0.6 + 0.4 * math.cos(t * math.pi * 6))
        if kind == "glare":
            start_x, start_y = base["cx"] + rng.uniform(-0.1, 0.1) * near, base["cy"] + rng.uniform(-0.1, 0.1) * near
            direction = rng.uniform(0, 2 * math.pi)
            travel = ease(t) * near * 1.6
            optics["glare"] = (start_x + travel * math.cos(direction), start_y + travel * math.sin(direction),
                               near * rng.uniform(0.18, 0.3), rng.uniform(0.9, 1.5))
        if kind == "dark":
            optics["gain"] = rng.uniform(0.15, 0.3)
            optics["noise"] = rng.uniform(14, 26) / 255
        if kind == "perspective":
            steep = math.radians(rng.uniform(45, 60)) * (1 - ease(min(1.0, t * 1.3)))
            pose["yaw" if index % 2 else "pitch"] = steep * (1 if rng.uniform() < 0.5 else -1)
        pose["cx"] += jitter[f][0] * shake_px
        pose["cy"] += jitter[f][1] * shake_px
        pose["roll"] += math.radians(jitter[f][0] * 0.2)
        frames.append((pose, optics))
    return frames, rng


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("out", type=Path)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--per-kind", type=int, default=4, help="sequences per kind")
    parser.add_argument("--hc-dev", default=default_hc_dev())
    parser.add_argument("--kinds", default=",".join(KINDS), help="comma-separated subset of the kinds")
    args = parser.parse_args()
    try:
        import numpy  # noqa: F401
        from PIL import Image
        import segno  # noqa: F401
    except ImportError as error:
        sys.exit(f"{error}: run with the zxing venv's python (see the docstring)")

    texts = reset_texts(args.hc_dev, args.seed, len(KINDS) * args.per_kind)
    written = 0
    for k, kind in enumerate(KINDS):
        if kind not in args.kinds.split(","):
            continue
        for index in range(args.per_kind):
            width, height = (1920, 1080) if kind == "dark" or index % 2 else (1280, 720)
            text = texts[k * args.per_kind + index]
            modules = modules_of(text)
            name = f"{kind}-{height}p-{index}"
            folder = args.out / name
            folder.mkdir(parents=True, exist_ok=True)
            (folder / "expected.txt").write_text(text)
            frames, rng = sequence(kind, index, width, height, args.seed)
            for f, (pose, optics) in enumerate(frames):
                pixels = render(modules, width, height, pose, optics, rng)
                Image.fromarray(pixels, mode="L").save(folder / f"{f:04d}.png", compress_level=1)
                written += 1
            print(f"{name}: {len(frames)} frames", file=sys.stderr)
    print(f"wrote {written} frames to {args.out} (seed {args.seed})", file=sys.stderr)


if __name__ == "__main__":
    main()
