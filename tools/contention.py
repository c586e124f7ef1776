"""Run one pytest command again and again beside a CPU hog, and count what failed.

    python tools/contention.py --runs 10 -- tests/contract --target=rust

A test that passes on an idle machine can still fail when another process takes the
cores: a read that arrives late, a deadline that was generous only when idle. This
starts one busy-looping process per core, runs the same pytest command the given
number of times, each in a fresh process, and kills the hogs after the last run. It
prints a line per run and, at the end, how many runs passed and every test that failed
with the number of runs it failed in. The exit status is 1 if any run failed.

Every run and the whole are bounded: `--deadline` seconds in all, after which no new
run starts and the one in progress is stopped.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path


def hog(deadline: float) -> None:
    """Keep one core busy until the deadline; the parent kills it sooner."""
    while time.monotonic() < deadline:
        pass


def failed_tests(junit: Path) -> list[str]:
    """The ids of the tests that failed or erred in one run's JUnit file."""
    if not junit.exists():
        return ["<no junit file: pytest did not finish>"]
    failed = []
    for case in ET.parse(junit).iter("testcase"):
        if case.find("failure") is not None or case.find("error") is not None:
            failed.append(f"{case.get('classname')}::{case.get('name')}")
    return failed


def run_once(pytest_args: list[str], junit: Path, timeout: float) -> tuple[int, float]:
    """One pytest run in a fresh process: its exit status and seconds taken."""
    started = time.monotonic()
    command = [sys.executable, "-m", "pytest", *pytest_args, f"--junitxml={junit}"]
    try:
        status = subprocess.run(command, timeout=timeout, check=False).returncode
    except subprocess.TimeoutExpired:
        status = -1
    return status, time.monotonic() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--hogs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--deadline", type=float, default=3 * 3600.0, metavar="S")
    parser.add_argument("--summary", type=Path, help="also write the summary as JSON")
    parser.add_argument("pytest_args", nargs=argparse.REMAINDER)
    args = parser.parse_args()
    pytest_args = [arg for arg in args.pytest_args if arg != "--"]
    deadline = time.monotonic() + args.deadline
    hogs = [
        multiprocessing.Process(target=hog, args=(deadline,), daemon=True)
        for _ in range(args.hogs)
    ]
    for process in hogs:
        process.start()
    runs = []
    try:
        with tempfile.TemporaryDirectory() as tmp:
            for number in range(1, args.runs + 1):
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                junit = Path(tmp) / f"run-{number}.xml"
                status, seconds = run_once(pytest_args, junit, left)
                failed = failed_tests(junit) if status else []
                runs.append(
                    {"status": status, "seconds": round(seconds), "failed": failed}
                )
                print(
                    f"run {number}: exit {status} in {seconds:.0f} s, "
                    f"{len(failed)} failed {failed}",
                    flush=True,
                )
    finally:
        for process in hogs:
            process.kill()
    failures = Counter(test for run in runs for test in run["failed"])
    summary = {
        "command": ["pytest", *pytest_args],
        "hogs": args.hogs,
        "runs": len(runs),
        "passed": sum(run["status"] == 0 for run in runs),
        "failed_tests": dict(failures.most_common()),
        "seconds": [run["seconds"] for run in runs],
    }
    print(json.dumps(summary, indent=1))
    if args.summary:
        args.summary.write_text(json.dumps(summary, indent=1) + "\n")
    complete = len(runs) == args.runs
    return 0 if complete and summary["passed"] == len(runs) else 1


if __name__ == "__main__":
    sys.exit(main())
