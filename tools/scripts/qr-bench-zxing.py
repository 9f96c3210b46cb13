#!/usr/bin/env python3
"""hc's QR decoder and zxing-cpp side by side on the same corpus, in the same run.

    cargo build --release -p hc-tools
    tools/scripts/qr-bench-zxing.py DIR [--hc-dev PATH] [--rounds N] [--markdown]

Runs `hc-dev qr-bench DIR --json --per-image --dump-luma TMP` (hc decodes every image to luma once,
times its camera-frame decoder, and writes the luma planes it used), then times
`zxingcpp.read_barcodes` on exactly those luma arrays (only that call is timed; QR format only,
every other option at zxing-cpp's defaults). With --rounds N, hc and zxing-cpp take turns N times
and each image's time is its median over the rounds, so load from other processes hits both alike.
Success is an exact match of any text read with the expected text (or with one of the texts of a
`.texts.json`, for a photo holding several codes). A file hc-dev could not read
(truncated, not an image) has no luma plane: it counts as not decoded for both and takes no part in
the timings.

zxing-cpp lives in a venv (created on first use):
    python3 -m venv ~/.cache/hc/zxing-venv && ~/.cache/hc/zxing-venv/bin/pip install zxing-cpp numpy
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

VENV = Path.home() / ".cache" / "hc" / "zxing-venv"


def ensure_zxing():
    """Imports zxingcpp, re-running this script under the venv's Python when needed."""
    try:
        import numpy  # noqa: F401
        import zxingcpp  # noqa: F401
        return
    except ImportError:
        pass
    python = VENV / "bin" / "python"
    if not python.exists():
        print(f"creating {VENV} with zxing-cpp from PyPI", file=sys.stderr)
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "-q", "zxing-cpp", "numpy"], check=True)
    # A venv's python is a symlink to the system one: tell them apart by prefix, not by path.
    if Path(sys.prefix).resolve() != VENV.resolve():
        os.execv(str(python), [str(python), *sys.argv])
    sys.exit("zxing-cpp is not importable even in the venv")


def default_hc_dev():
    target = os.environ.get("CARGO_TARGET_DIR") or str(Path(__file__).resolve().parents[2] / "target")
    return str(Path(target) / "release" / "hc-dev")


def read_pgm(path):
    import numpy as np

    data = Path(path).read_bytes()
    # Header written by hc: "P5\n<w> <h>\n255\n".
    magic, size, maxval, rest = data.split(b"\n", 3)
    assert magic == b"P5" and maxval == b"255", path
    width, height = map(int, size.split())
    return np.frombuffer(rest, dtype=np.uint8, count=width * height).reshape(height, width)


def median(values):
    return statistics.median(values) if values else 0.0


def p95(values):
    """Nearest rank, as hc's runner computes it."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = -(-95 * len(ordered) // 100)
    return ordered[max(rank, 1) - 1]


def run_hc(hc_dev, corpus, dump):
    command = [hc_dev, "qr-bench", str(corpus), "--json", "--per-image"]
    if dump:
        command += ["--dump-luma", str(dump)]
    out = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    return {(i["category"], i["name"]): i for i in json.loads(out)["images"]}


def run_zxing(lumas, expected):
    import zxingcpp

    results = {}
    for key, luma in lumas.items():
        started = time.perf_counter()
        found = zxingcpp.read_barcodes(luma, formats=zxingcpp.BarcodeFormat.QRCode)
        ms = (time.perf_counter() - started) * 1000.0
        results[key] = {"decoded": any(b.text in expected[key] for b in found), "ms": ms}
    return results


def summarize(keys, decoded, times):
    ms = [times[k] for k in keys if k in times]
    return {
        "images": len(keys),
        "decoded": sum(decoded[k] for k in keys),
        "median_ms": median(ms),
        "p95_ms": p95(ms),
    }


def groups(keys):
    """Categories, then the synthetic set's resolutions across categories, then the total."""
    out = {}
    for key in keys:
        out.setdefault(key[0], []).append(key)
    for suffix in ("720p", "1080p"):
        members = [k for k in keys if k[0].endswith("-" + suffix)]
        if members:
            out[f"all {suffix}"] = members
    out["total"] = list(keys)
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("dir", type=Path)
    parser.add_argument("--hc-dev", default=default_hc_dev(), help="the hc-dev binary (release build)")
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--markdown", action="store_true", help="a Markdown table")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    ensure_zxing()

    with tempfile.TemporaryDirectory(prefix="hc-qr-bench-") as dump:
        hc_rounds = [run_hc(args.hc_dev, args.dir, dump)]
        keys = list(hc_rounds[0])
        readable = [k for k in keys if "unreadable" not in hc_rounds[0][k]]
        expected = {}
        for category, name in readable:
            one = args.dir / category / f"{name}.txt"
            if one.exists():
                expected[(category, name)] = [one.read_bytes().decode("utf-8", "replace")]
            else:  # several codes in one photo: any of their texts counts, as for hc-dev
                expected[(category, name)] = json.loads((args.dir / category / f"{name}.texts.json").read_text())
        lumas = {k: read_pgm(Path(dump) / k[0] / f"{k[1]}.pgm") for k in readable}
        zx_rounds = [run_zxing(lumas, expected)]
        for _ in range(args.rounds - 1):
            hc_rounds.append(run_hc(args.hc_dev, args.dir, None))
            zx_rounds.append(run_zxing(lumas, expected))

    hc_ok = {k: hc_rounds[0][k]["decoded"] for k in keys}
    zx_ok = {k: k in lumas and zx_rounds[0][k]["decoded"] for k in keys}
    hc_ms = {k: median([r[k]["ms"] for r in hc_rounds]) for k in readable}
    zx_ms = {k: median([r[k]["ms"] for r in zx_rounds]) for k in readable}

    rows = {}
    for name, members in groups(keys).items():
        hc = summarize(members, hc_ok, hc_ms)
        zx = summarize(members, zx_ok, zx_ms)
        rows[name] = {"hc": hc, "zxing": zx, "median_ratio": hc["median_ms"] / zx["median_ms"] if zx["median_ms"] else None}

    if args.json:
        print(json.dumps({"rounds": args.rounds, "rows": rows}))
        return
    rate = lambda s: 100.0 * s["decoded"] / max(s["images"], 1)  # noqa: E731
    if args.markdown:
        print("| category | images | hc ok | zxing ok | hc median ms | zxing median ms | hc p95 ms | zxing p95 ms | median ratio hc/zxing |")
        print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
        for name, r in rows.items():
            hc, zx = r["hc"], r["zxing"]
            bold = "**" if name.startswith("all ") or name == "total" else ""
            print(
                f"| {bold}{name}{bold} | {hc['images']} | {rate(hc):.0f}% | {rate(zx):.0f}% | {hc['median_ms']:.1f} | "
                f"{zx['median_ms']:.1f} | {hc['p95_ms']:.1f} | {zx['p95_ms']:.1f} | {r['median_ratio'] or 0:.2f} |"
            )
        return
    print(f"{'category':<20} {'images':>6} {'hc ok':>7} {'zx ok':>7} {'hc med':>8} {'zx med':>8} {'hc p95':>8} {'zx p95':>8} {'ratio':>6}")
    for name, r in rows.items():
        hc, zx = r["hc"], r["zxing"]
        print(
            f"{name:<20} {hc['images']:>6} {rate(hc):>6.1f}% {rate(zx):>6.1f}% {hc['median_ms']:>8.2f} "
            f"{zx['median_ms']:>8.2f} {hc['p95_ms']:>8.2f} {zx['p95_ms']:>8.2f} {r['median_ratio'] or 0:>6.2f}"
        )
    print(f"(times in ms, median over {args.rounds} round(s) per image; ratio = hc median / zxing-cpp median)")


if __name__ == "__main__":
    main()
