"""The committed run the site shows, and the figures read or derived from it."""

import hashlib
import json
import statistics
from pathlib import Path

from bench.plan import BACKEND

ROOT = Path(__file__).resolve().parents[2]
DATA_DIR = ROOT / "docs/data/bench"
CHARTS = ROOT / "docs/comparison/charts"


# region: shown-run
def shown() -> Path:
    """The newest full run under `docs/data/bench/`: the one the site shows.

    Only where no full run exists yet does the site show a `--quick` one; a test fails
    on that, so it never reaches main.
    """
    runs = sorted(
        DATA_DIR.glob("*.json"), key=lambda p: ("quick" not in p.name, p.name)
    )
    if not runs:
        raise FileNotFoundError(f"no run in {DATA_DIR}: run `nox -s bench`")
    return runs[-1]


def load(path: Path | None = None) -> dict:
    return json.loads((path or shown()).read_text(encoding="utf-8"))


# endregion: shown-run


def load_medians(data: dict, mode: str, backend: str, endpoint: str, level: int):
    """The medians of one endpoint at one level, or None where it was not measured."""
    runs = data["medians"].get(mode, {}).get(backend, {})
    return runs.get("loads", {}).get(endpoint, {}).get(f"c{level}")


def backends(data: dict) -> list[str]:
    """The backends this run measured, in the order the tables list them."""
    return [name for name in BACKEND if name in data["medians"]["one-core"]]


def rps(data: dict, mode: str, backend: str, endpoint: str, level: int) -> float:
    return load_medians(data, mode, backend, endpoint, level)["rps"]


def server(data: dict, mode: str, backend: str, metric: str) -> float:
    """A server's median start time or memory: `start_s`, `idle_rss_bytes`, …"""
    return data["medians"][mode][backend][metric]


def verifies_per_s(data: dict, backend: str) -> float:
    """The backend's own bcrypt verifies per second on one core: the signin bound."""
    return 1 / statistics.median(data["bcrypt"][backend])


def stamp(path: Path) -> str:
    """What each chart's metadata says it was drawn from: the file and its digest."""
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    return f"{path.name} sha256:{digest}"


def is_full(data: dict) -> bool:
    """Whether a run followed the method: 3 s warm-up, 10 s runs, 3 repetitions."""
    parameters = data["parameters"]
    method = (parameters["warmup_s"], parameters["duration_s"])
    return method == (3, 10) and parameters["repetitions"] >= 3
