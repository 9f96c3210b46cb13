#!/usr/bin/env python3
"""Time to the first read on a moving camera: hc's reset flow and zxing-cpp on the same frames.

    cargo build --release -p hc-tools
    tools/scripts/scan-seq-zxing.py DIR [--hc-dev PATH] [--fps 30] [--markdown | --json]

DIR is one sequence (a folder of numbered frames) or a folder of sequences. Runs
`hc-dev scan-seq DIR --json --dump-luma TMP`: hc plays every sequence to a real `ResetFlow` at
`--fps` on the wall clock (latest frame wins while the decoder is busy) and writes the luma planes
it used. Then times `zxingcpp.read_barcodes` (QR only, defaults otherwise) once on every one of
those planes and replays each sequence on the same clock with those measured times: a frame that
arrives while zxing-cpp is busy replaces the waiting one, and the first frame it reads ends the
sequence. A frame counts as read by zxing-cpp when a text equals the sequence's `expected.txt`
(any QR text when there is none); hc counts the flow's first `Recognized` (a reset QR read).

Both report milliseconds from the first frame to the read and the frames the camera had delivered
by then. The zxing-cpp venv is the one of qr-bench-zxing.py (created on first use).
"""

import argparse
import importlib.util
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def bench_helpers():
    """qr-bench-zxing.py's venv, PGM reader and statistics: one copy of each."""
    spec = importlib.util.spec_from_file_location("qr_bench_zxing", HERE / "qr-bench-zxing.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def replay(ms, decoded, fps):
    """Latest-frame-wins on a virtual camera clock: the read's time and frames, and the drops."""
    period = 1000.0 / fps
    count = len(ms)
    free_at, last, dropped = 0.0, -1, 0
    while True:
        latest = int(free_at // period)  # the newest frame delivered when the decoder is free
        if latest <= last:
            index, start = last + 1, (last + 1) * period
        else:
            index, start = latest, free_at
        if index >= count:
            return None, None, dropped, last + 1 - dropped
        dropped += index - last - 1
        done = start + ms[index]
        if decoded[index]:
            return done, min(count, int(done // period) + 1), dropped, index + 1 - dropped
        last, free_at = index, done


def main():
    helpers = bench_helpers()
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("dir", type=Path)
    parser.add_argument("--hc-dev", default=helpers.default_hc_dev())
    parser.add_argument("--fps", type=float, default=30.0)
    parser.add_argument("--markdown", action="store_true")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    helpers.ensure_zxing()
    import zxingcpp

    with tempfile.TemporaryDirectory(prefix="hc-scan-seq-") as dump:
        command = [args.hc_dev, "scan-seq", str(args.dir), "--json", "--fps", str(args.fps), "--dump-luma", dump]
        hc = json.loads(subprocess.run(command, check=True, capture_output=True, text=True).stdout)
        rows = []
        slowest = 0.0
        for seq in hc["sequences"]:
            folder = args.dir if len(hc["sequences"]) == 1 and (args.dir / seq["files"][0]).exists() else args.dir / seq["name"]
            expected_file = folder / "expected.txt"
            expected = expected_file.read_text() if expected_file.exists() else None
            ms, decoded = [], []
            for index in range(seq["frames"]):
                plane = Path(dump) / seq["name"] / f"{index}.pgm"
                if not plane.exists():  # unreadable file: the slot passes
                    ms.append(0.0)
                    decoded.append(False)
                    continue
                luma = helpers.read_pgm(plane)
                started = time.perf_counter()
                found = zxingcpp.read_barcodes(luma, formats=zxingcpp.BarcodeFormat.QRCode)
                ms.append((time.perf_counter() - started) * 1000.0)
                slowest = max(slowest, ms[-1])
                decoded.append(any(expected is None or b.text == expected for b in found))
            read_ms, frames, dropped, looked = replay(ms, decoded, args.fps)
            rows.append({
                "name": seq["name"], "frames": seq["frames"],
                "hc": {"ms_to_read": seq["ms_to_read"], "frames_to_read": seq["frames_to_read"],
                       "decoded": seq["decoded"], "dropped": seq["dropped"], "hints": seq["hints"]},
                "zxing": {"ms_to_read": read_ms, "frames_to_read": frames, "decoded": looked, "dropped": dropped,
                          "frames_readable": sum(decoded), "median_frame_ms": helpers.median(ms),
                          "max_frame_ms": max(ms) if ms else 0.0},
            })

    def summary(who):
        times = sorted(r[who]["ms_to_read"] for r in rows if r[who]["ms_to_read"] is not None)
        frames = sorted(r[who]["frames_to_read"] for r in rows if r[who]["frames_to_read"] is not None)
        return {"read": len(times), "median_ms": helpers.median(times), "p95_ms": helpers.p95(times),
                "median_frames": helpers.median(frames), "dropped": sum(r[who]["dropped"] for r in rows)}

    totals = {"sequences": len(rows), "hc": summary("hc"), "zxing": summary("zxing"), "zxing_slowest_frame_ms": slowest}
    both = [r for r in rows if r["hc"]["ms_to_read"] is not None and r["zxing"]["ms_to_read"] is not None]
    if both:
        totals["both_read"] = len(both)
        totals["median_ratio_hc_zxing"] = helpers.median(sorted(r["hc"]["ms_to_read"] / r["zxing"]["ms_to_read"] for r in both))
    if args.json:
        print(json.dumps({"fps": args.fps, "sequences": rows, "summary": totals}))
        return

    def cell(value, digits=0):
        return "-" if value is None else f"{value:.{digits}f}"

    if args.markdown:
        print("| sequence | frames | hc ms to read | hc frames | hc dropped | zxing ms to read | zxing frames | zxing dropped | hc hints while scanning |")
        print("|---|---:|---:|---:|---:|---:|---:|---:|---|")
        for r in rows:
            hints = ", ".join(f"{h} {n}" for h, n in sorted(r["hc"]["hints"].items()))
            print(f"| {r['name']} | {r['frames']} | {cell(r['hc']['ms_to_read'])} | {cell(r['hc']['frames_to_read'])} | "
                  f"{r['hc']['dropped']} | {cell(r['zxing']['ms_to_read'])} | {cell(r['zxing']['frames_to_read'])} | "
                  f"{r['zxing']['dropped']} | {hints} |")
        hc, zx = totals["hc"], totals["zxing"]
        print(f"| **total** | {len(rows)} | **{hc['read']} read, median {hc['median_ms']:.0f}, p95 {hc['p95_ms']:.0f}** | "
              f"{cell(hc['median_frames'])} | {hc['dropped']} | **{zx['read']} read, median {zx['median_ms']:.0f}, "
              f"p95 {zx['p95_ms']:.0f}** | {cell(zx['median_frames'])} | {zx['dropped']} | |")
        if both:
            print(f"\nBoth read {len(both)} of {len(rows)}; median per-sequence ratio hc/zxing-cpp "
                  f"{totals['median_ratio_hc_zxing']:.2f}; zxing-cpp's slowest frame {slowest:.1f} ms.")
        return
    print(f"{'sequence':<22} {'frames':>6} {'hc ms':>8} {'hc fr':>6} {'zx ms':>8} {'zx fr':>6}")
    for r in rows:
        print(f"{r['name']:<22} {r['frames']:>6} {cell(r['hc']['ms_to_read']):>8} {cell(r['hc']['frames_to_read']):>6} "
              f"{cell(r['zxing']['ms_to_read']):>8} {cell(r['zxing']['frames_to_read']):>6}")
    print(json.dumps(totals))


if __name__ == "__main__":
    sys.exit(main())
