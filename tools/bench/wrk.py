"""Drive one endpoint with wrk and read back what it measured."""

import json
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

SCRIPT = Path(__file__).with_name("load.lua")
MARKER = "BENCH-JSON "
# A slow endpoint at c128 may take seconds per request; none of them may time out.
TIMEOUT = "60s"
# Overloaded, a server may fail requests (SQLite gives up on a write lock after
# busy_timeout): those are counted and shown. A run where more than this share fails
# is broken (a bad token, a crashed server) and stops.
ERROR_BUDGET = 0.1


@dataclass(frozen=True)
class Load:
    """One wrk run: where, how hard, for how long, with what request."""

    url: str
    connections: int
    threads: int
    seconds: float
    env: dict[str, str]
    cpus: str | None = None

    def argv(self) -> list[str]:
        pinned = ["taskset", "-c", self.cpus] if self.cpus else []
        return [
            *pinned,
            "wrk",
            f"--threads={self.threads}",
            f"--connections={self.connections}",
            f"--duration={max(1, round(self.seconds))}s",
            f"--timeout={TIMEOUT}",
            f"--script={SCRIPT}",
            "--latency",
            self.url,
        ]


def require() -> str:
    """wrk's version line, or an error that says how to install it."""
    if shutil.which("wrk") is None:
        raise SystemExit(
            "the benchmarks need wrk: `apt-get install wrk` (Debian), as .ci/run does"
        )
    # wrk prints its version with a usage message and exits 1.
    result = subprocess.run(["wrk", "--version"], capture_output=True, text=True)
    return (result.stdout + result.stderr).splitlines()[0].strip()


def run(load: Load) -> dict:
    """Run wrk; its summary, or an error if any request failed."""
    result = subprocess.run(
        load.argv(),
        env={"PATH": os.environ["PATH"], **load.env},
        capture_output=True,
        text=True,
        check=True,
    )
    lines = [line for line in result.stdout.splitlines() if line.startswith(MARKER)]
    if len(lines) != 1:
        raise RuntimeError(f"wrk printed no summary:\n{result.stdout}{result.stderr}")
    summary = json.loads(lines[0].removeprefix(MARKER))
    failed = sum(summary["errors"].values())
    if not summary["requests"] or failed > ERROR_BUDGET * summary["requests"]:
        raise RuntimeError(
            f"{load.url} at c{load.connections}: failed requests {summary['errors']} "
            f"of {summary['requests']}; such a run measures errors, not the server:\n"
            f"{result.stdout}"
        )
    return summary
