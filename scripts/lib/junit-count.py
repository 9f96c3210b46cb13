#!/usr/bin/env python3
"""Pass and fail counts from JUnit XML reports, for the test command's closing lines.

    junit-count.py NAME RC PATH...    (PATH: a report file, or a folder of TEST-*.xml reports as the JUnit launcher writes)

Prints `NAME: N passed, M failed` and exits 0 only when the runner exited 0 (RC), at least one test
ran and none failed. A test case is failed when it holds <failure> or <error>, skipped when it holds
<skipped>, passed otherwise. A runner that failed without a failed case in its reports (it crashed,
did not build, or wrote no report) counts as one failure, so a red run never reads as green.
"""
import pathlib
import sys
import xml.etree.ElementTree as ET


def reports(paths):
    for path in map(pathlib.Path, paths):
        if path.is_dir():
            yield from sorted(path.rglob("TEST-*.xml"))
        elif path.is_file():
            yield path


def main():
    name, rc, paths = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
    passed = failed = 0
    for report in reports(paths):
        try:
            root = ET.parse(report).getroot()
        except ET.ParseError as error:
            print(f"{name}: unreadable report {report}: {error}", file=sys.stderr)
            failed += 1
            continue
        for case in root.iter("testcase"):
            if case.find("failure") is not None or case.find("error") is not None:
                failed += 1
                label = " ".join(filter(None, (case.get("classname"), case.get("name"))))
                print(f"{name}: failed: {label}", file=sys.stderr)
            elif case.find("skipped") is None:
                passed += 1
    if rc != 0 and failed == 0:
        failed = 1
    ok = rc == 0 and failed == 0 and passed > 0
    if not ok and failed == 0:
        print(f"{name}: no test ran", file=sys.stderr)
        failed = 1
    print(f"{name}: {passed} passed, {failed} failed")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
