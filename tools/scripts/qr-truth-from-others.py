#!/usr/bin/env python3
"""Expected texts for a public photo set that ships none, from decoders other than hc.

    tools/scripts/qr-truth-from-others.py SRC OUT

BoofCV's QR benchmark photographs (16 categories of real phone photos) come with corner
annotations only, not the decoded texts `hc-dev qr-bench` needs beside each image. This writes
OUT/<category>/<image> (a symlink) and OUT/<category>/<stem>.texts.json for every image of
SRC/<category>/ that another decoder reads: every text zxing-cpp, OpenCV's QRCodeDetector and zbar
read in it (many of these photos hold several codes, and a scanner that stops at the first it reads
counts when it read any of them). An image none of them reads is left out, and so is what only hc
might read: the truth never comes from hc, so the set can only be hard on hc, never easy.
A `.txt` already in SRC (BoofCV's corner files) is ignored.

Runs in the venv `tools/scripts/qr-bench-zxing.py` makes (zxing-cpp), with opencv-python-headless
and pyzbar (Debian's libzbar0) added.
"""

import json
import sys
from collections import Counter
from pathlib import Path

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".bmp", ".gif"}


def texts_zxing(gray):
    import zxingcpp

    return [b.text for b in zxingcpp.read_barcodes(gray, formats=zxingcpp.BarcodeFormat.QRCode) if b.text]


def texts_opencv(gray):
    import cv2

    try:
        ok, texts, _, _ = cv2.QRCodeDetector().detectAndDecodeMulti(gray)
    except cv2.error:
        return []
    return [t for t in texts if t] if ok else []


def texts_zbar(gray):
    from pyzbar.pyzbar import ZBarSymbol, decode

    return [s.data.decode("utf-8", "replace") for s in decode(gray, symbols=[ZBarSymbol.QRCODE]) if s.data]


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    import cv2

    src, out = Path(sys.argv[1]), Path(sys.argv[2])
    sources = Counter()
    for category in sorted(p for p in src.iterdir() if p.is_dir()):
        for image in sorted(p for p in category.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES):
            gray = cv2.imread(str(image), cv2.IMREAD_GRAYSCALE)
            if gray is None:
                sources["unreadable file"] += 1
                continue
            texts = []
            for name, decoder in (("zxing-cpp", texts_zxing), ("opencv", texts_opencv), ("zbar", texts_zbar)):
                found = [t for t in decoder(gray) if t not in texts]
                if found:
                    sources[name] += 1
                texts += found
            if not texts:
                sources["no other decoder"] += 1
                continue
            target = out / category.name
            target.mkdir(parents=True, exist_ok=True)
            link = target / image.name
            if not link.exists():
                link.symlink_to(image.resolve())
            (target / f"{image.stem}.texts.json").write_text(json.dumps(texts, ensure_ascii=False), encoding="utf-8")
    print("images with texts from each decoder:", ", ".join(f"{k}: {v}" for k, v in sorted(sources.items())))


if __name__ == "__main__":
    main()
