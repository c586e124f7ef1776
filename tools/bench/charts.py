"""The Comparison section's charts, drawn from the shown run into its `charts/` folder.

Each SVG names the run file and its SHA-256 in its metadata, so a test can tell when a
chart was drawn from other data than the page's tables.
"""

import math
from pathlib import Path

import matplotlib as mpl
import matplotlib.pyplot as plt

from bench import figures
from bench.formats import MIB, number
from bench.plan import BACKEND, ENDPOINTS, MODES

COLOURS = {
    "python": "#3572a5",
    "rust": "#dea584",
    "hello-python": "#9dbbd6",
    "hello-rust": "#f0d3bd",
    "upstream": "#6b6b6b",
}
# Files only, no window; identical data gives identical files: no date, fixed ids.
mpl.use("svg")
mpl.rcParams["svg.hashsalt"] = "bench"
mpl.rcParams["svg.fonttype"] = "none"


def _save(figure, name: str, source: str) -> Path:
    figures.CHARTS.mkdir(parents=True, exist_ok=True)
    path = figures.CHARTS / f"{name}.svg"
    figure.savefig(path, metadata={"Date": None, "Description": source})
    plt.close(figure)
    return path


def _bars(axes, groups: list[str], series: dict[str, list[float | None]]) -> None:
    width = 0.8 / len(series)
    for index, (backend, values) in enumerate(series.items()):
        for group, value in enumerate(values):
            if value is None:
                continue
            x = group - 0.4 + width * (index + 0.5)
            axes.bar(x, value, width, color=COLOURS[backend])
            # Upright labels over bars this narrow would run into their neighbours'.
            axes.annotate(
                number(value),
                (x, value),
                xytext=(0, 2),
                textcoords="offset points",
                ha="center",
                va="bottom",
                rotation=90,
                size=6,
            )
    # Headroom above the tallest bar, for its label.
    if axes.get_yscale() == "log":
        # Bars rise from the decade below the shortest, so that each one shows.
        drawn = [v for values in series.values() for v in values if v is not None]
        axes.set_ylim(10 ** math.floor(math.log10(min(drawn))), max(drawn) * 3)
        axes.yaxis.set_major_locator(mpl.ticker.LogLocator(subs=(1.0, 2.0, 5.0)))
        axes.yaxis.set_major_formatter(mpl.ticker.StrMethodFormatter("{x:,g}"))
        axes.yaxis.set_minor_formatter(mpl.ticker.NullFormatter())
    else:
        bottom, top = axes.get_ylim()
        axes.set_ylim(bottom, top * 1.3)
        axes.yaxis.set_major_formatter(mpl.ticker.StrMethodFormatter("{x:,.0f}"))
    axes.set_xticks(range(len(groups)), groups, size=8)
    handles = [plt.Rectangle((0, 0), 1, 1, color=COLOURS[b]) for b in series]
    axes.legend(handles, [BACKEND[b].title for b in series], fontsize=7, frameon=False)


# region: endpoint-chart
def endpoint_chart(data: dict, name: str, source: str) -> Path:
    """Requests per second at each mode and level; latency percentiles at one core."""
    endpoint = next(e for e in ENDPOINTS if e.name == name)
    shown = [b for b in figures.backends(data) if name in BACKEND[b].endpoints]
    figure, (throughput, latency) = plt.subplots(1, 2, figsize=(10, 3.6))
    groups, series = [], {b: [] for b in shown}
    for mode in MODES:
        for level in endpoint.levels:
            if level in mode.skip_levels:
                continue
            groups.append(f"{mode.name}\nc{level}")
            for backend in shown:
                medians = figures.load_medians(data, mode.name, backend, name, level)
                series[backend].append(medians["rps"] if medians else None)
    _bars(throughput, groups, series)
    throughput.set_title(f"{endpoint.title}: requests per second", size=9)
    level = endpoint.typical_level
    percentiles = ("p50_ms", "p90_ms", "p99_ms")
    series = {
        backend: [
            figures.load_medians(data, "one-core", backend, name, level)[p]
            for p in percentiles
        ]
        for backend in shown
    }
    latency.set_yscale("log")
    _bars(latency, ["p50", "p90", "p99"], series)
    latency.set_title(f"latency in ms, one core, c{level} (log scale)", size=9)
    figure.tight_layout()
    return _save(figure, f"endpoint-{name}", source)


# endregion: endpoint-chart


def resources_chart(data: dict, source: str) -> Path:
    """Idle and peak memory, and start time, at one core."""
    shown = figures.backends(data)
    figure, (memory, start) = plt.subplots(1, 2, figsize=(10, 3.2))
    metrics = ("idle_rss_bytes", "peak_rss_bytes", "peak_anonymous_bytes")
    series = {
        backend: [
            figures.server(data, "one-core", backend, metric) / MIB
            for metric in metrics
        ]
        for backend in shown
    }
    _bars(memory, ["idle RSS", "peak RSS", "peak private"], series)
    memory.set_title("resident memory in MiB, one core", size=9)
    series = {
        backend: [1000 * figures.server(data, "one-core", backend, "start_s")]
        for backend in shown
    }
    _bars(start, ["start to first healthy response"], series)
    start.set_title("start time in ms, one core", size=9)
    figure.tight_layout()
    return _save(figure, "resources", source)


def draw_all() -> list[Path]:
    path = figures.shown()
    data, source = figures.load(path), figures.stamp(path)
    drawn = [endpoint_chart(data, e.name, source) for e in ENDPOINTS]
    drawn.append(resources_chart(data, source))
    return drawn
