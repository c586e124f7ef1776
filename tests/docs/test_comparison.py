"""The Comparison section against the run file it shows.

The tables are rendered from the file when the site is built; these tests check the
file itself (its medians are the medians of its raw samples, and it was measured as the
methodology says), that the tables print those medians, that the charts were drawn
from the same file, and that the prose adds no figure of its own.
"""

import re
import statistics
from collections import defaultdict

import pytest

import mkdocs_hooks
from bench import figures, report
from bench.formats import number
from bench.plan import BACKEND, BACKENDS, ENDPOINTS, MODES
from pages import DOCS

SHOWN = figures.shown()
DATA = figures.load(SHOWN)
PAGES = sorted((DOCS / "comparison").glob("*.md"))


def test_the_shown_run_is_of_committed_code_and_says_how_it_was_run() -> None:
    assert not DATA["dirty"], "measured with uncommitted changes"
    assert DATA["site_build_s"] == statistics.median(DATA["site_build_s_samples"])
    assert figures.is_full(DATA) == ("quick" not in SHOWN.name)
    kind = report.run_kind(DATA)
    overview = (DOCS / "comparison/index.md").read_text(encoding="utf-8")
    assert "<!-- generated:bench-run-kind -->" in overview
    assert ("A short run" in kind) == (not figures.is_full(DATA))


def _raw_medians() -> dict:
    """Medians recomputed from the raw wrk summaries, without `bench.stats`."""
    samples = defaultdict(list)
    for run in DATA["runs"]:
        for load in run["loads"]:
            key = (run["mode"], run["backend"], load["endpoint"], load["connections"])
            samples[key].append(load["requests"] / (load["duration_us"] / 1e6))
    return {key: statistics.median(values) for key, values in samples.items()}


RAW = _raw_medians()


def test_every_server_ran_once_per_repetition_in_each_mode() -> None:
    counts = defaultdict(int)
    for run in DATA["runs"]:
        counts[run["mode"], run["backend"]] += 1
    expected = {(m.name, b.name) for m in MODES for b in BACKENDS}
    assert set(counts) == expected
    assert set(counts.values()) == {DATA["parameters"]["repetitions"]}


def test_every_median_in_the_file_is_the_median_of_its_raw_samples() -> None:
    for (mode, backend, endpoint, level), value in RAW.items():
        stored = figures.rps(DATA, mode, backend, endpoint, level)
        assert stored == pytest.approx(value, rel=1e-9), (mode, backend, endpoint)


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=lambda e: e.name)
def test_the_endpoint_tables_print_those_medians(endpoint) -> None:
    table = report.endpoint_table(endpoint.name, DATA)
    for (mode, backend, name, level), value in RAW.items():
        if name != endpoint.name:
            continue
        title = next(m.title for m in MODES if m.name == mode)
        row = f"| {title} | c{level} | {BACKEND[backend].title} | {number(value)} |"
        assert row in table


# Figures the prose may state: what the pages are about, not what was measured.
NOT_MEASURED = {
    "0.12.4",
    "HTTP/1.1",
    "cost 12",
    "2<sup>12</sup>",
    "c1",
    "c4",
    "c32",
    "c128",
}
# The seed's claims, quoted on the page that measures them.
CLAIMED = {"claims.md": {"5-10x", "70 %", "1.5 MB"}}
GENERATED = re.compile(r"^<!-- generated:[\w-]+ -->$", re.MULTILINE)
CODE = re.compile(r"^```.*?^```$|`[^`\n]+`", re.MULTILINE | re.DOTALL)
LINK_TARGET = re.compile(r"\]\([^)]*\)")
LIST_MARKER = re.compile(r"^\s*\d+\.\s", re.MULTILINE)
# A figure, not a digit inside a name such as argon2 or HS256.
STANDALONE_NUMBER = re.compile(r"(?<![\w.-])\d[\d,.]*(?![\w-])")


@pytest.mark.parametrize("page", PAGES, ids=lambda page: page.name)
def test_the_prose_states_no_figure_of_its_own(page) -> None:
    text = page.read_text(encoding="utf-8")
    for pattern in (GENERATED, CODE, LINK_TARGET, LIST_MARKER):
        text = pattern.sub(" ", text)
    for allowed in NOT_MEASURED | CLAIMED.get(page.name, set()):
        text = text.replace(allowed, " ")
    assert STANDALONE_NUMBER.findall(text) == []


@pytest.mark.parametrize("page", PAGES, ids=lambda page: page.name)
def test_every_generated_section_renders_from_the_shown_run(page) -> None:
    names = mkdocs_hooks.GENERATED.findall(page.read_text(encoding="utf-8"))
    for name in names:
        assert mkdocs_hooks.render(name).strip()


def test_every_chart_was_drawn_from_the_shown_run() -> None:
    drawn = sorted(figures.CHARTS.glob("*.svg"))
    expected = [f"endpoint-{e.name}.svg" for e in ENDPOINTS] + ["resources.svg"]
    assert sorted(path.name for path in drawn) == sorted(expected)
    for chart in drawn:
        assert figures.stamp(SHOWN) in chart.read_text(encoding="utf-8"), chart.name


def test_every_chart_is_on_a_page() -> None:
    text = "\n".join(page.read_text(encoding="utf-8") for page in PAGES)
    for chart in figures.CHARTS.glob("*.svg"):
        assert f"charts/{chart.name}" in text
