"""The Security and reliability page and the tool that writes its data.

The tool is tried on small synthetic JUnit files and catalogues: it counts what they
hold, and refuses a failed, empty or stale run without writing anything. The page must
ask for every section the tool renders, and show the committed data.
"""

import ast
import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from contract.targets import DEFAULT_REPETITIONS, Target, repetitions

import mkdocs_hooks
import nox_sessions
import reliability
from pages import DOCS

PAGE = DOCS / "testing/security.md"
DATA = reliability.load()


def _row(case_id: str, twins: int, upstream: int, **extra) -> dict:
    return {
        "id": case_id,
        "why": "synthetic",
        "twins": twins,
        "upstream": upstream,
        "changes_nothing": True,
        **extra,
    }


CATALOGUES = {
    "tokens": {
        "about": "synthetic",
        "cases": [_row("alg-none", 401, 401), _row("no-exp", 200, 200)],
    },
    "bad_input": {
        "about": "synthetic",
        "cases": [
            _row("page-overflow", 400, 500, differs="upstream overflows"),
            _row("nul-in-name", 400, 400),
            _row("deep-json", 422, 422),
            # Deselected where no model provider is connected, as on every target here.
            _row("completions-nan", 422, 422, provider=True),
        ],
    },
}
FINDINGS = {"ST103": {"title": "Undocumented status code", "why": "synthetic"}}
RACES, RACE_TEST = reliability.RACE_REPEATED
CRASHES, CRASH_TEST = reliability.CRASH_ROUNDS
FUZZ, FUZZ_TEST = reliability.FUZZ_TEST
# What a fuzzing item records, as tests/contract/test_schema_fuzz.py records it.
FUZZED = {"operations": 42, "test_cases": 1234, "findings": {"ST103": 7}}


def _items(target: str) -> list[tuple[str, str]]:
    """Every item a passing run has on one target: (module, pytest name)."""
    rows = [
        (module, f"{test}[{target}-{row['id']}]")
        for name, (module, test) in reliability.CATALOGUES.items()
        for row in CATALOGUES[name]["cases"]
        if not row.get("provider")
    ]
    return [
        *rows,
        *((RACES, f"{RACE_TEST}[{target}-{n}]") for n in range(3)),
        (RACES, f"test_same_email_signups[{target}]"),
        *((CRASHES, f"{CRASH_TEST}[{target}-{n}]") for n in range(4)),
        ("test_shutdown", f"test_a_request_in_flight_finishes[{target}]"),
        ("test_signin_timing", f"test_unknown_email_takes_as_long[{target}]"),
        (FUZZ, f"{FUZZ_TEST}[{target}]"),
    ]


def _junit(
    path: Path,
    items: list[tuple[str, str]],
    outcomes: dict[str, str] | None = None,
    fuzzed: dict | None = FUZZED,
) -> Path:
    """A JUnit file as pytest writes it; ``outcomes`` maps a name to failure, error,
    skip or xfail (passed otherwise); each fuzzing item records ``fuzzed``."""
    suites = ET.Element("testsuites")
    suite = ET.SubElement(suites, "testsuite", timestamp="2026-12-03T12:00:00+00:00")
    for module, name in items:
        case = ET.SubElement(
            suite, "testcase", classname=f"tests.contract.{module}", name=name
        )
        if module == FUZZ and fuzzed is not None:
            properties = ET.SubElement(case, "properties")
            value = json.dumps(fuzzed)
            ET.SubElement(properties, "property", name="fuzz", value=value)
        outcome = (outcomes or {}).get(name)
        if outcome in ("failure", "error"):
            ET.SubElement(case, outcome, message="boom")
        elif outcome in ("skip", "xfail"):
            ET.SubElement(case, "skipped", type=f"pytest.{outcome}", message="why")
    ET.ElementTree(suites).write(path, encoding="utf-8", xml_declaration=True)
    return path


def _full_run(tmp_path: Path, fuzzed: dict | None = FUZZED, **outcomes: str) -> Path:
    items = [item for t in reliability.TWIN_TARGETS for item in _items(t)]
    # A unit test of the timing statistic takes no target.
    items.append(("test_signin_timing", "test_the_statistic_sees_a_shortcut"))
    return _junit(tmp_path / "run.xml", items, outcomes, fuzzed)


@pytest.fixture
def catalogues(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The synthetic catalogues and findings where the tool reads them; its data
    file in tmp."""
    hostile = tmp_path / "hostile"
    hostile.mkdir()
    for name, catalogue in CATALOGUES.items():
        (hostile / f"{name}.json").write_text(json.dumps(catalogue), encoding="utf-8")
    findings = tmp_path / "fuzz_findings.json"
    findings.write_text(json.dumps({"kinds": FINDINGS}), encoding="utf-8")
    monkeypatch.setattr(reliability, "HOSTILE", hostile)
    monkeypatch.setattr(reliability, "FUZZ_FINDINGS", findings)
    monkeypatch.setattr(reliability, "DATA_FILE", tmp_path / "reliability.json")
    return hostile


def test_counts_a_passing_run(tmp_path: Path):
    xfail = f"{RACE_TEST}[rust+postgres-2]"
    skip = "test_unknown_email_takes_as_long[python+postgres]"
    run = _full_run(tmp_path, **{xfail: "xfail", skip: "skip"})
    data = reliability.build(run, None, CATALOGUES, FINDINGS)
    tokens, bad_input = data["catalogues"]["tokens"], data["catalogues"]["bad_input"]
    assert (tokens["cases"], bad_input["cases"]) == (2, 4)
    assert (bad_input["needs_provider"], bad_input["no_provider"]) == (1, 0)
    assert tokens["twins"] == {"200": 1, "401": 1}
    assert bad_input["twins"] == {"400": 2, "422": 2}
    assert bad_input["upstream"] == {"400": 1, "422": 2, "500": 1}
    assert bad_input["differs"] == [
        {
            "id": "page-overflow",
            "twins": 400,
            "upstream": 500,
            "differs": "upstream overflows",
        }
    ]
    assert tokens["differs"] == []
    twins = data["runs"]["twins"]
    assert twins["date"] == "2026-12-03"
    python = twins["targets"]["python"]
    assert python["test_hostile_input"] == {
        "passed": 3,
        "failed": 0,
        "skipped": 0,
        "xfailed": 0,
    }
    assert python["test_races"]["passed"] == 4
    assert twins["targets"]["rust+postgres"]["test_races"]["xfailed"] == 1
    timing = twins["targets"]["python+postgres"]["test_signin_timing"]
    assert timing["skipped"] == 1
    assert twins["targets"][reliability.NO_TARGET] == {
        "test_signin_timing": {"passed": 1, "failed": 0, "skipped": 0, "xfailed": 0}
    }
    assert twins["races"]["python"] == {"run": 3, "passed": 3}
    assert twins["races"]["rust+postgres"] == {"run": 3, "passed": 2}
    assert twins["crashes"]["rust"] == {"run": 4, "survived": 4}
    assert twins["fuzzing"] == dict.fromkeys(reliability.TWIN_TARGETS, FUZZED)
    assert data["fuzz_findings"] == FINDINGS
    assert "upstream" not in data["runs"]


def test_refuses_a_fuzzing_run_that_recorded_nothing(tmp_path: Path):
    with pytest.raises(reliability.RefusedError, match="recorded no 'fuzz' property"):
        reliability.build(_full_run(tmp_path, None), None, CATALOGUES, FINDINGS)


def test_refuses_a_fuzzing_finding_nobody_explained(tmp_path: Path):
    found = {**FUZZED, "findings": {"ST103": 1, "ST101": 2}}
    with pytest.raises(reliability.RefusedError, match=r"found \['ST101'\]"):
        reliability.build(_full_run(tmp_path, found), None, CATALOGUES, FINDINGS)


def _refusal(capsys, run: Path, *extra: str) -> str:
    """Run the tool with --write; it must fail, say why and write nothing."""
    assert reliability.main(["--junit", str(run), *extra, "--write"]) == 1
    assert not reliability.DATA_FILE.exists()
    return capsys.readouterr().err


@pytest.mark.usefixtures("catalogues")
@pytest.mark.parametrize("kind", ["failure", "error"])
def test_refuses_a_run_with_a_failed_item(tmp_path: Path, capsys, kind: str):
    run = _full_run(tmp_path, **{"test_token[rust-no-exp]": kind})
    assert "1 failed: test_hostile_tokens::test_token[rust-no-exp]" in _refusal(
        capsys, run
    )


def _run_without(tmp_path: Path, name: str) -> Path:
    """A run of every twin target's items but the one called `name`."""
    items = [
        item for t in reliability.TWIN_TARGETS for item in _items(t) if item[1] != name
    ]
    return _junit(tmp_path / "run.xml", items)


@pytest.mark.usefixtures("catalogues")
def test_refuses_a_module_that_ran_nothing_on_a_target(tmp_path: Path, capsys):
    run = _run_without(tmp_path, "test_a_request_in_flight_finishes[rust]")
    assert "no test of test_shutdown ran on rust" in _refusal(capsys, run)


@pytest.mark.usefixtures("catalogues")
def test_refuses_an_empty_run(tmp_path: Path, capsys):
    run = _junit(tmp_path / "run.xml", [])
    assert "no test of test_hostile_tokens ran on python" in _refusal(capsys, run)


@pytest.mark.usefixtures("catalogues")
def test_refuses_a_run_that_missed_a_catalogue_row(tmp_path: Path, capsys):
    run = _run_without(tmp_path, "test_bad_input[rust-deep-json]")
    assert "ran 2 rows, the catalogue has 3 for it" in _refusal(capsys, run)


def test_a_row_for_a_model_provider_runs_only_where_one_is_connected():
    rows = CATALOGUES["bad_input"]
    assert "completions-nan" not in reliability.rows_for(rows, "rust+postgres")
    assert "completions-nan" in reliability.rows_for(rows, "rust+postgres+provider")
    assert len(reliability.rows_for(rows, "python+provider")) == 4


@pytest.mark.usefixtures("catalogues")
def test_refuses_a_file_that_is_not_junit(tmp_path: Path, capsys):
    run = tmp_path / "run.xml"
    run.write_text("not xml", encoding="utf-8")
    assert "not a readable JUnit XML file" in _refusal(capsys, run)


@pytest.mark.parametrize(
    ("row", "message"),
    [
        (_row("crash", 500, 500), "a twin may never be expected to 5xx"),
        (_row("quiet", 400, 500), "differs from upstream without a why"),
    ],
)
def test_refuses_a_catalogue_row_the_format_forbids(tmp_path, row, message):
    catalogues = {**CATALOGUES, "tokens": {"about": "", "cases": [row]}}
    with pytest.raises(reliability.RefusedError, match=message):
        reliability.build(_full_run(tmp_path), None, catalogues, FINDINGS)


def test_reads_an_upstream_run_of_the_catalogues(tmp_path: Path):
    """Open WebUI with a model provider runs every row, the provider's too."""
    spec = "upstream+provider"
    items = [
        (module, f"{test}[{spec}-{row['id']}]")
        for name, (module, test) in reliability.CATALOGUES.items()
        for row in CATALOGUES[name]["cases"]
    ]
    race = f"{RACE_TEST}[{spec}-01]"
    items.append((RACES, race))
    upstream = _junit(tmp_path / "upstream.xml", items, {race: "xfail"})
    data = reliability.build(_full_run(tmp_path), upstream, CATALOGUES, FINDINGS)
    run = data["runs"]["upstream"]
    assert run["targets"][spec]["test_hostile_input"]["passed"] == 4
    assert run["races"] == {spec: {"run": 1, "passed": 0}}
    assert run["crashes"] == {}


def test_refuses_a_twin_in_the_upstream_run(tmp_path: Path):
    with pytest.raises(reliability.RefusedError, match="are not upstream targets"):
        reliability.build(
            _full_run(tmp_path), _full_run(tmp_path), CATALOGUES, FINDINGS
        )


@pytest.mark.usefixtures("catalogues")
def test_writes_a_passing_run_with_its_commit(tmp_path: Path):
    assert reliability.main(["--junit", str(_full_run(tmp_path)), "--write"]) == 0
    written = json.loads(reliability.DATA_FILE.read_text(encoding="utf-8"))
    assert written["command"] == reliability.REGENERATE
    assert len(written["commit"]) == 40
    assert written["catalogues"]["bad_input"]["cases"] == 4


# The page and the committed data.

SECTIONS = [name for name in reliability.RENDERERS]


def test_the_page_asks_for_every_section_and_the_build_knows_them():
    text = PAGE.read_text(encoding="utf-8")
    asked = mkdocs_hooks.GENERATED.findall(text)
    assert sorted(asked) == sorted(SECTIONS)
    for name in SECTIONS:
        assert mkdocs_hooks.render(name) == reliability.RENDERERS[name]()


def _noxfile_constant(name: str):
    tree = ast.parse(nox_sessions.NOXFILE.read_text(encoding="utf-8"))
    (value,) = (
        node.value
        for node in tree.body
        if isinstance(node, ast.Assign) and ast.unparse(node.targets[0]) == name
    )
    return ast.literal_eval(value)


def test_the_session_runs_what_the_tool_reads():
    modules = _noxfile_constant("RELIABILITY_MODULES")
    assert tuple(Path(m).stem for m in modules) == reliability.MODULES
    assert _noxfile_constant("RELIABILITY_TARGETS") == reliability.TWIN_TARGETS
    assert "reliability" in {s.name for s in nox_sessions.sessions()}


def _html(built_site: Path) -> str:
    return (built_site / "testing/security/index.html").read_text(encoding="utf-8")


def _cells(*values: object) -> re.Pattern:
    """A table row's consecutive cells, as the built page has them."""
    return re.compile(
        r"\s*".join(rf"<td[^>]*>{re.escape(str(v))}</td>" for v in values)
    )


@pytest.mark.skipif(DATA is not None, reason="a run is committed: the next test")
def test_without_a_committed_run_the_page_says_so(built_site: Path):
    for name in SECTIONS:
        if name != "reliability-example-rows":
            assert reliability.RENDERERS[name]() == reliability.NOT_MEASURED
    assert "Not measured yet" in _html(built_site)


@pytest.mark.skipif(DATA is None, reason="no run is committed: the previous test")
def test_the_page_shows_the_committed_run(built_site: Path):
    html = _html(built_site)
    assert f"<code>{DATA['commit'][:12]}</code>" in html
    for name, summary in DATA["catalogues"].items():
        title = reliability.CATALOGUE_TITLES[name]
        row = (title, summary["cases"], summary["changes_nothing"])
        assert _cells(*row).search(html), name
        for differing in summary["differs"]:
            assert f"<code>{differing['id']}</code>" in html
    for run in DATA["runs"].values():
        for kind in ("races", "crashes"):
            for target, counts in run[kind].items():
                code = f"<code>{target}</code>"
                assert _cells(code, *counts.values()).search(html), (kind, target)
        for target, fuzzed in run["fuzzing"].items():
            row = (f"<code>{target}</code>", fuzzed["operations"])
            assert _cells(*row, f"{fuzzed['test_cases']:,}").search(html), target
    for code in DATA["fuzz_findings"]:
        assert f"<code>{code}</code>" in html
        for target, modules in run["targets"].items():
            label = (
                target if target == reliability.NO_TARGET else f"<code>{target}</code>"
            )
            for module, counts in modules.items():
                row = (f"<code>{module}</code>", label, *counts.values())
                assert _cells(*row).search(html), (target, module)


@pytest.mark.skipif(DATA is None, reason="no run is committed")
def test_the_committed_run_is_of_the_current_catalogues():
    current = {
        name: reliability.summarise_catalogue(name, catalogue)
        for name, catalogue in reliability.load_catalogues().items()
    }
    stale = f"docs/data/reliability.json is stale: run `{reliability.REGENERATE}`"
    assert DATA["catalogues"] == current, stale
    assert DATA["fuzz_findings"] == reliability.load_findings(), stale


@pytest.mark.skipif(DATA is None, reason="no run is committed")
def test_the_committed_run_holds_what_the_issue_asks():
    """Every module on every twin target and nothing failed; the first-admin race
    repeated at least twenty times per target (three with the hardening options on,
    which touch no write it races); every crash round survived; a fuzzing run on
    each."""
    twins = DATA["runs"]["twins"]
    for target in reliability.TWIN_TARGETS:
        for module in reliability.MODULES:
            counts = twins["targets"][target][module]
            assert counts["failed"] == 0, (target, module)
            assert sum(counts.values()), (target, module)
        races, crashes = twins["races"][target], twins["crashes"][target]
        least = repetitions(Target.parse(target), DEFAULT_REPETITIONS)
        assert races["passed"] == races["run"] >= least, target
        assert crashes["survived"] == crashes["run"] > 0, target
        assert twins["fuzzing"][target]["test_cases"] > 0, target
