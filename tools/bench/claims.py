"""The seed's promises for a Rust port, and what this harness measured instead.

The seed summarised its port as "5-10x latency, 70 % less memory, 5-10x throughput,
1.5 MB binary" without measuring any of it. Each claim is set against the closest
figure the shown run holds.
"""

from collections.abc import Callable
from dataclasses import dataclass

from bench import figures, formats
from bench.plan import ENDPOINTS

MEASURED_ENDPOINTS = [e.name for e in ENDPOINTS if e.name not in ("health", "signin")]


@dataclass(frozen=True)
class Claim:
    claim: str
    compared_with: str
    measured: Callable[[dict], str]


def _span(values: list[float], shown_as: Callable[[float], str]) -> str:
    low, high = min(values), max(values)
    return shown_as(low) if low == high else f"{shown_as(low)} to {shown_as(high)}"


def _ratios(data: dict, metric: str, level: int, mode: str = "one-core") -> list[float]:
    ratios = []
    for endpoint in MEASURED_ENDPOINTS:
        rust = figures.load_medians(data, mode, "rust", endpoint, level)
        python = figures.load_medians(data, mode, "python", endpoint, level)
        if metric == "rps":
            ratios.append(rust["rps"] / python["rps"])
        else:
            ratios.append(python[metric] / rust[metric])
    return ratios


def _memory_saved(data: dict, metric: str) -> float:
    rust = figures.server(data, "one-core", "rust", metric)
    return 1 - rust / figures.server(data, "one-core", "python", metric)


# region: claims
CLAIMS = (
    Claim(
        "5-10x latency",
        "median latency, Python over Rust, one core, c1 (unloaded), "
        "the four API endpoints",
        lambda data: _span(_ratios(data, "p50_ms", 1), formats.ratio),
    ),
    Claim(
        "5-10x latency",
        "median latency, Python over Rust, one core, c32",
        lambda data: _span(_ratios(data, "p50_ms", 32), formats.ratio),
    ),
    Claim(
        "5-10x throughput",
        "requests per second, Rust over Python, one core, c32, the four API endpoints",
        lambda data: _span(_ratios(data, "rps", 32), formats.ratio),
    ),
    Claim(
        "5-10x throughput",
        "requests per second, Rust over Python, the whole machine, c128",
        lambda data: _span(_ratios(data, "rps", 128, "machine"), formats.ratio),
    ),
    Claim(
        "70 % less memory",
        "idle resident memory saved by Rust, one core",
        lambda data: formats.percent(_memory_saved(data, "idle_rss_bytes")),
    ),
    Claim(
        "70 % less memory",
        "peak resident memory under load saved by Rust, one core",
        lambda data: formats.percent(_memory_saved(data, "peak_rss_bytes")),
    ),
    Claim(
        "70 % less memory",
        "peak private memory under load saved by Rust, one core",
        lambda data: formats.percent(_memory_saved(data, "peak_anonymous_bytes")),
    ),
    Claim(
        "1.5 MB binary",
        "the release binary of the Rust twin (stripped, LTO)",
        lambda data: formats.megabytes(data["sizes"]["rust_binary_bytes"]),
    ),
)
# endregion: claims
