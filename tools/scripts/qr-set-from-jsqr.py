#!/usr/bin/env python3
"""jsQR's end-to-end photos as a `hc-dev qr-bench` set, to measure hc on photos it was not tuned on.

    tools/scripts/qr-set-from-jsqr.py JSQR_CHECKOUT OUT [--exclude DIR]...

jsQR (github.com/cozmo/jsQR) tests its decoder on `tests/end-to-end/<name>/input.png`, each with the
`output.json` jsQR gives: the decoded text in `data`, or `null` where jsQR reads nothing. This writes
OUT/named/<name>.png and OUT/numbered/<n>.png (symlinks; the folders with a name are photos of
things, the numbered ones mostly screenshots and prints) with a `.txt` holding `data` exactly. A
photo jsQR does not read has no text to check against and is left out: that choice comes from jsQR,
not from hc. `--exclude DIR` leaves out the photos that are also in DIR (the same pixels, whatever
the file format; e.g. `../shared/qr-corpus`, zxing-cpp's samples, on which hc was tuned).

Runs in the venv `tools/scripts/qr-bench-zxing.py` makes (OpenCV and numpy).
"""

import argparse
import json
import sys
from collections import Counter
from pathlib import Path

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".bmp", ".gif"}


def fingerprint(path):
    """The image's size and a 16x16 grey thumbnail: equal for the same pixels in another format."""
    import cv2

    gray = cv2.imread(str(path), cv2.IMREAD_GRAYSCALE)
    if gray is None:
        return None
    thumb = cv2.resize(gray, (16, 16), interpolation=cv2.INTER_AREA)
    return gray.shape, thumb


def same(a, b):
    import numpy as np

    return a[0] == b[0] and np.abs(a[1].astype(int) - b[1].astype(int)).mean() < 2.0


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("checkout", type=Path, help="a jsQR checkout (or its tests/end-to-end folder)")
    parser.add_argument("out", type=Path)
    parser.add_argument("--exclude", type=Path, action="append", default=[])
    args = parser.parse_args()
    src = args.checkout / "tests" / "end-to-end"
    if not src.is_dir():
        src = args.checkout
    excluded = [
        f
        for folder in args.exclude
        for p in sorted(folder.rglob("*"))
        if p.suffix.lower() in IMAGE_SUFFIXES and (f := fingerprint(p)) is not None
    ]
    tally = Counter()
    for case in sorted(p for p in src.iterdir() if p.is_dir()):
        image, output = case / "input.png", case / "output.json"
        if not image.exists() or not output.exists():
            continue
        expected = json.loads(output.read_text())
        if not expected or expected.get("data") in (None, ""):
            tally["left out: jsQR reads nothing"] += 1
            continue
        mine = fingerprint(image)
        if mine is None:
            tally["left out: not an image"] += 1
            continue
        if any(same(mine, other) for other in excluded):
            tally["left out: also in an excluded folder"] += 1
            continue
        category = "numbered" if case.name.isdigit() else "named"
        folder = args.out / category
        folder.mkdir(parents=True, exist_ok=True)
        link = folder / f"{case.name}.png"
        if link.is_symlink() or link.exists():
            link.unlink()
        link.symlink_to(image.resolve())
        (folder / f"{case.name}.txt").write_bytes(expected["data"].encode("utf-8"))
        tally[category] += 1
    for what, n in sorted(tally.items()):
        print(f"{what}: {n}", file=sys.stderr)


if __name__ == "__main__":
    main()
