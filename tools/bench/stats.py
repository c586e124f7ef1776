"""Medians over the repetitions of a run: the only figures the site prints.

Every ratio on the site is a ratio of two medians of the same run file.
"""

import statistics
from collections import defaultdict

SERVER_METRICS = (
    "start_s",
    "idle_rss_bytes",
    "peak_rss_bytes",
    "idle_anonymous_bytes",
    "peak_anonymous_bytes",
)


# Counted over every repetition, where the other figures take the median.
COUNTS = ("failed", "requests")


def load_metrics(load: dict) -> dict[str, float]:
    """The figures of one wrk run that the site shows."""
    latency = load["latency_us"]
    return {
        "rps": load["requests"] / load["seconds"],
        "p50_ms": latency["p50"] / 1000,
        "p90_ms": latency["p90"] / 1000,
        "p99_ms": latency["p99"] / 1000,
        "cpu_us_per_request": 1e6 * load["cpu_s"] / load["requests"],
        "failed": sum(load["errors"].values()),
        "requests": load["requests"],
    }


def medians(runs: list[dict]) -> dict:
    """`{mode: {backend: {metric: median, "loads": {endpoint: {"c32": {...}}}}}}`."""
    servers: dict = defaultdict(lambda: defaultdict(list))
    loads: dict = defaultdict(lambda: defaultdict(list))
    for run in runs:
        key = (run["mode"], run["backend"])
        for metric in SERVER_METRICS:
            servers[key][metric].append(run[metric])
        for load in run["loads"]:
            where = (*key, load["endpoint"], f"c{load['connections']}")
            for metric, value in load_metrics(load).items():
                loads[where][metric].append(value)
    result: dict = defaultdict(dict)
    for (mode, backend), samples in servers.items():
        summary = {
            metric: statistics.median(values) for metric, values in samples.items()
        }
        result[mode][backend] = summary | {"loads": defaultdict(dict)}
    for (mode, backend, endpoint, level), samples in loads.items():
        result[mode][backend]["loads"][endpoint][level] = {
            metric: (sum if metric in COUNTS else statistics.median)(values)
            for metric, values in samples.items()
        }
    return _plain(result)


def _plain(value):
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    return value
