"""Where and with what a run measured: the machine, its OS, the versions, the commit."""

import importlib.metadata
import os
import platform
import subprocess
import sys
import tomllib
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PYTHON_PACKAGES = (
    "fastapi",
    "starlette",
    "uvicorn",
    "uvloop",
    "httptools",
    "pydantic",
    "sqlalchemy",
    "pyjwt",
    "bcrypt",
)
RUST_CRATES = ("axum", "hyper", "tokio", "sqlx", "jsonwebtoken", "bcrypt", "serde_json")


def _cpuinfo(key: str) -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith(key):
            return line.split(":", 1)[1].strip()
    return ""


def _os_name() -> str:
    for line in Path("/etc/os-release").read_text().splitlines():
        if line.startswith("PRETTY_NAME="):
            return line.split("=", 1)[1].strip('"')
    return platform.system()


def _memory_bytes() -> int:
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            return 1024 * int(line.split()[1])
    return 0


def _output(*argv: str) -> str:
    return subprocess.run(
        argv, cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.strip()


def describe() -> dict:
    return {
        "cpu": _cpuinfo("model name"),
        "cores": os.cpu_count(),
        "virtualised": "hypervisor" in _cpuinfo("flags").split(),
        "memory_bytes": _memory_bytes(),
        "os": _os_name(),
        "kernel": platform.release(),
    }


def crate_versions() -> dict[str, str]:
    """The versions Cargo.lock resolved, for the crates the twin is built on."""
    lock = tomllib.loads((ROOT / "Cargo.lock").read_text())
    found = {package["name"]: package["version"] for package in lock["package"]}
    return {name: found[name] for name in RUST_CRATES}


def software(wrk_version: str) -> dict:
    return {
        "python": platform.python_version(),
        "python_packages": {
            name: importlib.metadata.version(name) for name in PYTHON_PACKAGES
        },
        "rustc": _output("rustc", "--version"),
        "rust_crates": crate_versions(),
        "wrk": wrk_version,
    }


def provenance(argv: list[str]) -> dict:
    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "commit": _output("git", "rev-parse", "HEAD"),
        # A run of uncommitted code says so: its numbers belong to no commit.
        "dirty": bool(_output("git", "status", "--porcelain")),
        "command": " ".join(["nox -s bench", *(["--", *argv] if argv else [])]),
        "python_executable": sys.executable,
    }
