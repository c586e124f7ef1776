"""The Security and reliability page's figures, from a run of the tests that make them.

`nox -s reliability` runs the hostile catalogues, the races, the crash rounds, the
shutdown, the signin timing and the schema fuzzing tests of the contract suite on the
twins' four targets with pytest's `--junitxml`, then hands the file to this module::

    python tools/reliability.py --junit run.xml [--upstream-junit upstream.xml] --write

which writes `docs/data/reliability.json`: what the catalogues hold, the kinds of
fuzzing finding the twins keep, and what each run did, target by target. It refuses,
and writes nothing, when a test failed or erred, when a module ran no test on a target,
or when a catalogue's rows and the run's disagree: the page never shows a failed, empty
or stale run as a result.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA_FILE = ROOT / "docs/data/reliability.json"
REGENERATE = "nox -s reliability"
HOSTILE = ROOT / "tests/contract/hostile"
# Each catalogue, and the contract module and test that send its rows.
CATALOGUES = {
    "tokens": ("test_hostile_tokens", "test_token"),
    "bad_input": ("test_hostile_input", "test_bad_input"),
}
CATALOGUE_TITLES = {"tokens": "Tokens", "bad_input": "Bad input"}
MODULES = (
    "test_hostile_tokens",
    "test_hostile_input",
    "test_races",
    "test_crashes",
    "test_shutdown",
    "test_signin_timing",
    "test_schema_fuzz",
)
TWIN_TARGETS = (
    "python",
    "rust",
    "python+postgres",
    "rust+postgres",
    "python+hardened",
    "rust+hardened",
)
# The tests that repeat one scenario as separate items, so that a run counts them.
RACE_REPEATED = ("test_races", "test_parallel_first_signups_make_one_admin")
CRASH_ROUNDS = ("test_crashes", "test_acknowledged_writes_survive_a_kill")
# The fuzzing test, and the JUnit property in which it records its run's counts.
FUZZ_TEST = ("test_schema_fuzz", "test_fuzzing_finds_no_server_error")
FUZZ_PROPERTY = "fuzz"
# The kinds of fuzzing finding the twins keep, and why.
FUZZ_FINDINGS = ROOT / "tests/contract/fuzz_findings.json"
# A `--target` spec (tests/contract/targets.py); a test without one is a unit test.
TARGET_SPEC = re.compile(
    r"(?:python|rust|upstream)(?:\+(?:postgres|redis|provider|hardened))*"
)
OUTCOMES = ("passed", "failed", "skipped", "xfailed")
# Where the items of a test that takes no target are counted.
NO_TARGET = "no target"


class RefusedError(Exception):
    """A run the page must not show: the message says why."""


@dataclass(frozen=True)
class Result:
    """One test item of a JUnit file, and how it ended."""

    module: str
    name: str
    test: str
    target: str | None
    param: str
    outcome: str
    properties: dict[str, str]


def read_junit(path: Path) -> tuple[str, list[Result]]:
    """The run's date and every test item of a JUnit XML file that pytest wrote."""
    try:
        root = ET.parse(path).getroot()
    except (OSError, ET.ParseError) as error:
        raise RefusedError(
            f"{path}: not a readable JUnit XML file ({error})"
        ) from error
    suites = [root] if root.tag == "testsuite" else root.findall("testsuite")
    stamps = [suite.get("timestamp", "") for suite in suites]
    if not stamps or not all(stamps):
        raise RefusedError(f"{path}: no run date (a testsuite without a timestamp)")
    results = [_result(case) for suite in suites for case in suite.iter("testcase")]
    return min(stamps)[:10], results


def _result(case: ET.Element) -> Result:
    module = case.get("classname", "").removeprefix("tests.contract.").split(".")[0]
    name = case.get("name", "")
    test, _, params = name.partition("[")
    first, _, rest = params.removesuffix("]").partition("-")
    target = first if TARGET_SPEC.fullmatch(first) else None
    param = rest if target else params.removesuffix("]")
    properties = {p.get("name"): p.get("value") for p in case.iter("property")}
    return Result(module, name, test, target, param, _outcome(case), properties)


def _outcome(case: ET.Element) -> str:
    # A teardown error is written beside the test's own result: it fails the item too.
    if case.find("failure") is not None or case.find("error") is not None:
        return "failed"
    skipped = case.find("skipped")
    if skipped is None:
        return "passed"
    return "xfailed" if skipped.get("type") == "pytest.xfail" else "skipped"


def load_catalogues() -> dict[str, dict]:
    """The committed catalogues, by name."""
    return {
        name: json.loads((HOSTILE / f"{name}.json").read_text(encoding="utf-8"))
        for name in CATALOGUES
    }


def load_findings() -> dict[str, dict]:
    """The committed kinds of fuzzing finding, by code, with their title and why."""
    return json.loads(FUZZ_FINDINGS.read_text(encoding="utf-8"))["kinds"]


def histogram(statuses: Iterable[int]) -> dict[str, int]:
    """How many rows expect each status, lowest status first (JSON keys are text)."""
    return {str(status): n for status, n in sorted(Counter(statuses).items())}


def summarise_catalogue(name: str, catalogue: dict) -> dict:
    """What the page shows of a catalogue; refuses rows the agreed format forbids."""
    rows = catalogue["cases"]
    ids = [row["id"] for row in rows]
    if not rows:
        raise RefusedError(f"{name}: the catalogue has no rows")
    if len(set(ids)) != len(ids):
        raise RefusedError(f"{name}: row ids repeat")
    for row in rows:
        if row["twins"] >= 500:
            raise RefusedError(
                f"{name}/{row['id']}: a twin may never be expected to 5xx"
            )
        if row["twins"] != row["upstream"] and not row.get("differs"):
            raise RefusedError(
                f"{name}/{row['id']}: differs from upstream without a why"
            )
    return {
        "cases": len(rows),
        "changes_nothing": sum(1 for row in rows if row.get("changes_nothing")),
        "needs_provider": sum(1 for row in rows if row.get("provider") is True),
        "no_provider": sum(1 for row in rows if row.get("provider") is False),
        "twins": histogram(row["twins"] for row in rows),
        "upstream": histogram(row["upstream"] for row in rows),
        "differs": [
            {key: row[key] for key in ("id", "twins", "upstream", "differs")}
            for row in rows
            if row["twins"] != row["upstream"]
        ],
        "hardened": [
            {
                "id": row["id"],
                "twins": row["twins"],
                "hardened": row["hardened"]["twins"],
                "why": row["hardened"]["why"],
            }
            for row in rows
            if "hardened" in row
        ],
    }


def rows_for(catalogue: dict, target: str) -> set[str]:
    """The ids of the rows a target runs: a row with `provider` runs only where a
    model provider is connected (true) or only where none is (false)."""
    provider = "provider" in target.split("+")[1:]
    return {
        row["id"]
        for row in catalogue["cases"]
        if row.get("provider", provider) == provider
    }


def summarise_run(
    results: list[Result],
    catalogues: dict[str, dict],
    targets: Iterable[str],
    required: Iterable[str],
) -> dict:
    """Outcomes per target and module, the repetitions and the rounds.

    Refuses a run with a failed item, with a target outside ``targets`` or with no
    test of a ``required`` module on one of them, and one whose catalogue items are
    not exactly the catalogue's rows.
    """
    targets = list(targets)
    failed = [f"{r.module}::{r.name}" for r in results if r.outcome == "failed"]
    if failed:
        raise RefusedError(f"{len(failed)} failed: {', '.join(failed[:5])}")
    ran = {r.target for r in results if r.module in MODULES and r.target}
    if ran - set(targets):
        raise RefusedError(f"targets {sorted(ran - set(targets))} are not {targets}")
    counts: dict = defaultdict(lambda: defaultdict(Counter))
    for r in results:
        if r.module in MODULES:
            counts[r.target or NO_TARGET][r.module][r.outcome] += 1
    for module in required:
        for target in targets:
            if not counts[target][module].total():
                raise RefusedError(f"no test of {module} ran on {target}")
    for name, (module, test) in CATALOGUES.items():
        if module not in required:
            continue
        for target in targets:
            rows = rows_for(catalogues[name], target)
            run = {
                r.param
                for r in results
                if (r.module, r.test, r.target) == (module, test, target)
            }
            if run != rows:
                raise RefusedError(
                    f"{module}::{test} on {target} ran {len(run)} rows, the "
                    f"catalogue has {len(rows)} for it: {sorted(run ^ rows)[:5]} differ"
                )
    return {
        "targets": {
            target: {
                module: {outcome: by_module[module][outcome] for outcome in OUTCOMES}
                for module in MODULES
                if by_module[module].total()
            }
            for target, by_module in sorted(counts.items(), key=_target_order(targets))
        },
        "races": _repeated(results, targets, RACE_REPEATED, ("run", "passed")),
        "crashes": _repeated(results, targets, CRASH_ROUNDS, ("run", "survived")),
        "fuzzing": _fuzzing(results),
    }


def _fuzzing(results: list[Result]) -> dict[str, dict]:
    """What each fuzzing run recorded: operations, test cases, findings by kind."""
    found = {}
    for r in results:
        if (r.module, r.test) != FUZZ_TEST or r.outcome != "passed":
            continue
        if FUZZ_PROPERTY not in r.properties:
            raise RefusedError(f"{r.name} recorded no {FUZZ_PROPERTY!r} property")
        found[r.target] = json.loads(r.properties[FUZZ_PROPERTY])
    return found


def _target_order(targets: list[str]):
    """Sorts ``(target, …)`` pairs as ``targets`` lists them, tests without one last."""
    return lambda pair: targets.index(pair[0]) if pair[0] in targets else len(targets)


def _repeated(
    results: list[Result],
    targets: list[str],
    test: tuple[str, str],
    names: tuple[str, str],
) -> dict[str, dict[str, int]]:
    """Items of one repeated test per target: how many ran and how many passed."""
    found = {}
    for target in targets:
        items = [r for r in results if (r.module, r.test, r.target) == (*test, target)]
        if items:
            passed = sum(1 for r in items if r.outcome == "passed")
            found[target] = {names[0]: len(items), names[1]: passed}
    return found


def build(
    junit: Path, upstream: Path | None, catalogues: dict[str, dict], findings: dict
) -> dict:
    """The data file without the commit; refuses what the page must not show.

    ``findings`` are the kinds of fuzzing finding the twins keep, by code.
    """
    summaries = {
        name: summarise_catalogue(name, catalogue)
        for name, catalogue in catalogues.items()
    }
    date, results = read_junit(junit)
    runs = {
        "twins": {
            "date": date,
            **summarise_run(results, catalogues, TWIN_TARGETS, MODULES),
        }
    }
    for target, fuzzed in runs["twins"]["fuzzing"].items():
        unexplained = set(fuzzed["findings"]) - set(findings)
        if unexplained:
            raise RefusedError(f"fuzzing on {target} found {sorted(unexplained)}")
    if upstream:
        date, results = read_junit(upstream)
        specs = sorted({r.target for r in results if r.target})
        if not specs or any(not spec.startswith("upstream") for spec in specs):
            raise RefusedError(f"{upstream}: targets {specs} are not upstream targets")
        # Open WebUI runs what applies to it; its catalogue rows are what it must run.
        required = [module for module, _ in CATALOGUES.values()]
        runs["upstream"] = {
            "date": date,
            **summarise_run(results, catalogues, specs, required),
        }
    return {
        "command": REGENERATE,
        "catalogues": summaries,
        "fuzz_findings": findings,
        "runs": runs,
    }


def commit() -> dict:
    """The commit the run tested, and whether the code it ran differed from it."""

    def git(*args: str) -> str:
        return subprocess.run(
            ["git", *args], cwd=ROOT, capture_output=True, text=True, check=True
        ).stdout.strip()

    # The suite and the backends are what ran; an edit elsewhere changes no figure.
    changed = git("status", "--porcelain", "--", "tests/contract", "examples")
    return {"commit": git("rev-parse", "HEAD"), "dirty": bool(changed)}


def load() -> dict | None:
    """The committed data, or None where no run has been committed yet."""
    if not DATA_FILE.is_file():
        return None
    return json.loads(DATA_FILE.read_text(encoding="utf-8"))


# Rendering: each function returns the Markdown of one generated section.

NOT_MEASURED = (
    '!!! warning "Not measured yet"\n'
    f"    No passing run is committed: `{REGENERATE}` writes one."
)


def _table(header: list[str], rows: list[list[str]], align: str = "") -> str:
    marks = ["---:" if mark == "r" else "---" for mark in align or "l" * len(header)]
    lines = ["| " + " | ".join(header) + " |", "| " + " | ".join(marks) + " |"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def _statuses(counts: dict[str, int]) -> str:
    return ", ".join(f"{status} × {n}" for status, n in counts.items())


def render_run(data: dict | None) -> str:
    """When, on which commit and how the shown figures were measured."""
    if data is None:
        return NOT_MEASURED
    code = f"`{data['commit'][:12]}`" + (
        " (uncommitted changes)" if data["dirty"] else ""
    )
    rows = [["Commit", code], ["Command", f"`{data['command']}`"]]
    for kind, run in data["runs"].items():
        targets = ", ".join(f"`{t}`" for t in run["targets"] if t != NO_TARGET)
        rows.append([f"Run on the {kind}", f"{run['date']}, targets {targets}"])
    if "upstream" not in data["runs"]:
        rows.append(["Run on Open WebUI", "not in this run"])
    return _table(["", "Shown run"], rows)


def render_catalogues(data: dict | None) -> str:
    """Rows per catalogue, and the statuses the twins must answer and upstream did."""
    if data is None:
        return NOT_MEASURED
    rows = [
        [
            CATALOGUE_TITLES[name],
            str(summary["cases"]),
            str(summary["changes_nothing"]),
            str(summary["needs_provider"]),
            str(summary["no_provider"]),
            _statuses(summary["twins"]),
            _statuses(summary["upstream"]),
            str(len(summary["differs"])),
        ]
        for name, summary in data["catalogues"].items()
    ]
    header = [
        "Catalogue",
        "Rows",
        "Must change nothing",
        "Only with a model provider",
        "Only without one",
        "Twins must answer",
        "Open WebUI 0.12.4 answered",
        "Rows where they differ",
    ]
    return _table(header, rows, "lrrrrllr")


def render_outcomes(data: dict | None) -> str:
    """Items passed, failed, skipped and xfailed per module, target by target."""
    if data is None:
        return NOT_MEASURED
    rows = [
        [f"`{module}`", _target(target), *(str(modules[module][o]) for o in OUTCOMES)]
        for module in MODULES
        for run in data["runs"].values()
        for target, modules in run["targets"].items()
        if module in modules
    ]
    return _table(["Module", "Target", *OUTCOMES], rows, "llrrrr")


def render_repeated(data: dict | None, kind: str) -> str:
    """The race repetitions (``kind="races"``) or crash rounds per target."""
    if data is None:
        return NOT_MEASURED
    rows = [
        [f"`{target}`", *(str(n) for n in counts.values())]
        for run in data["runs"].values()
        for target, counts in run[kind].items()
    ]
    header = {
        "races": ["Target", "Repetitions run", "Passed"],
        "crashes": ["Target", "Rounds run", "Survived"],
    }[kind]
    return _table(header, rows, "lrr")


def render_fuzzing(data: dict | None) -> str:
    """Each fuzzing run: operations, test cases, and findings by kind."""
    if data is None:
        return NOT_MEASURED
    rows = [
        [
            _target(target),
            str(fuzzed["operations"]),
            f"{fuzzed['test_cases']:,}",
            _statuses(dict(sorted(fuzzed["findings"].items()))) or "none",
        ]
        for run in data["runs"].values()
        for target, fuzzed in run.get("fuzzing", {}).items()
    ]
    header = ["Target", "Operations", "Test cases", "Findings by kind"]
    return _table(header, rows, "lrrl")


def render_fuzz_findings(data: dict | None) -> str:
    """The kinds of finding the twins keep, and why."""
    if data is None:
        return NOT_MEASURED
    rows = [
        [f"`{code}`", _text(kind["title"]), _text(kind["why"])]
        for code, kind in data["fuzz_findings"].items()
    ]
    return _table(["Kind", "What schemathesis reports", "Why the twins keep it"], rows)


def render_differs(data: dict | None) -> str:
    """Every catalogue row where the twins deliberately answer unlike upstream."""
    if data is None:
        return NOT_MEASURED
    parts = []
    for name, summary in data["catalogues"].items():
        title = CATALOGUE_TITLES[name]
        if not summary["differs"]:
            parts.append(f"{title}: none; the twins answer every row as upstream does.")
            continue
        rows = [
            [
                f"`{row['id']}`",
                str(row["twins"]),
                str(row["upstream"]),
                _text(row["differs"]),
            ]
            for row in summary["differs"]
        ]
        table = _table(["Row", "Twins", "Open WebUI 0.12.4", "Why"], rows, "lrrl")
        parts.append(f"{title}:\n\n{table}")
    return "\n\n".join(parts)


def render_hardened(data: dict | None) -> str:
    """Every catalogue row that a hardened twin answers otherwise."""
    if data is None:
        return NOT_MEASURED
    rows = [
        [
            f"`{row['id']}`",
            str(row["twins"]),
            str(row["hardened"]),
            _text(row["why"]),
        ]
        for summary in data["catalogues"].values()
        for row in summary["hardened"]
    ]
    return _table(["Row", "Twins", "Hardened twins", "Why"], rows, "lrrl")


def render_example_rows() -> str:
    """A real refused row of each catalogue, field by field: what a row looks like."""
    parts = []
    for name, catalogue in load_catalogues().items():
        row = next(row for row in catalogue["cases"] if row["twins"] >= 400)
        fields = [[f"`{key}`", _code(json.dumps(value))] for key, value in row.items()]
        source = f"`tests/contract/hostile/{name}.json`"
        table = _table(["Field", "Value"], fields)
        parts.append(f"The first refused row of {source}:\n\n{table}")
    return "\n\n".join(parts)


def _target(target: str) -> str:
    return target if target == NO_TARGET else f"`{target}`"


def _text(text: str) -> str:
    """``text`` in a table cell: outside code, a pipe would end the cell."""
    return text.replace("|", "\\|")


def _code(text: str) -> str:
    """``text`` as inline code, which may hold a backtick (a pipe in it is kept)."""
    return f"`` {text} ``" if "`" in text else f"`{text}`"


RENDERERS = {
    "reliability-run": lambda: render_run(load()),
    "reliability-catalogues": lambda: render_catalogues(load()),
    "reliability-outcomes": lambda: render_outcomes(load()),
    "reliability-races": lambda: render_repeated(load(), "races"),
    "reliability-crashes": lambda: render_repeated(load(), "crashes"),
    "reliability-differs": lambda: render_differs(load()),
    "reliability-hardened": lambda: render_hardened(load()),
    "reliability-fuzzing": lambda: render_fuzzing(load()),
    "reliability-fuzz-findings": lambda: render_fuzz_findings(load()),
    "reliability-example-rows": render_example_rows,
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--junit", type=Path, required=True, help="the twins' run")
    parser.add_argument("--upstream-junit", type=Path, help="Open WebUI's run")
    parser.add_argument("--write", action="store_true", help=f"write {DATA_FILE.name}")
    args = parser.parse_args(argv)
    try:
        data = build(
            args.junit, args.upstream_junit, load_catalogues(), load_findings()
        )
        data |= commit()
    except RefusedError as refusal:
        print(f"refused, nothing written: {refusal}", file=sys.stderr)
        return 1
    text = json.dumps(data, indent=2) + "\n"
    if args.write:
        DATA_FILE.write_text(text, encoding="utf-8")
        print(f"wrote {DATA_FILE}")
    else:
        print(text, end="")
    return 0


if __name__ == "__main__":
    sys.exit(main())
