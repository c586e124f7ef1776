"""The compatibility checklist and the contract tests reference, against the suite.

Every test pytest collects from tests/contract/ is one checklist item, linked to a
heading of its own on the reference page, whose code block is that test's source.
"""

import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

import block_audit
import compat_checklist
from block_audit import ROOT
from compat_checklist import ContractTest
from pages import url_path

CHECKLIST_PAGE = ROOT / "docs/migration/compatibility.md"
REFERENCE_PAGE = ROOT / "docs/testing/contract-tests.md"
TESTS = compat_checklist.contract_tests()
ITEM_LINK = re.compile(r"^- .+\(\[`\w+`\]\((?P<page>[^)#]+)#(?P<anchor>[\w-]+)\)\)$")
HEADING_ID = re.compile(r"^#{2,3} .+ \{ #(?P<anchor>[\w-]+) \}$")


def collected_by_pytest() -> set[tuple[str, str]]:
    """(module, function) of every test pytest collects from the suite, any target.

    One target with a provider and one without: some tests run on only one kind.
    """
    targets = ["--target=python", "--target=python+provider"]
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "--collect-only",
            "-q",
            *targets,
            "tests/contract",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    node_ids = re.findall(r"^tests/contract/(\w+)\.py::(\w+)", result.stdout, re.M)
    return set(node_ids)


def test_the_suite_as_read_is_the_suite_pytest_collects():
    assert {(test.module, test.name) for test in TESTS} == collected_by_pytest()


def test_every_contract_test_is_one_checklist_item():
    links = [
        ITEM_LINK.match(line) for line in _lines(compat_checklist.render_checklist)
    ]
    items = Counter(match["anchor"] for match in links if match)
    assert items == Counter(test.anchor for test in TESTS)
    assert {match["page"] for match in links if match} == {
        compat_checklist.REFERENCE_LINK
    }


def test_every_contract_test_has_its_heading_on_the_reference_page():
    anchors = [
        match["anchor"]
        for line in _lines(compat_checklist.render_reference)
        if (match := HEADING_ID.match(line))
    ]
    assert set(anchors) >= {test.anchor for test in TESTS}
    assert len(anchors) == len(set(anchors))


def test_each_source_block_is_the_whole_test_from_an_executed_file():
    blocks = block_audit.parse_blocks(compat_checklist.render_reference(), ROOT)
    assert len(blocks) == len(TESTS)
    for block, test in zip(blocks, TESTS, strict=True):
        (include,) = block_audit.includes_in(block.body) or []
        path = ROOT / include.path
        assert block_audit.executed_by(path) == "pytest (nox -s tests)"
        assert include.section == f"{test.first_line}:{test.last_line}"
        lines = path.read_text(encoding="utf-8").splitlines()
        definition = lines[test.first_line - 1 : test.last_line]
        assert definition[0].startswith(("@", "def ", "async def "))
        assert f"def {test.name}(" in "\n".join(definition)


def test_the_pages_ask_for_their_generated_sections():
    assert "<!-- generated:compat-checklist -->" in CHECKLIST_PAGE.read_text()
    assert "<!-- generated:contract-tests -->" in REFERENCE_PAGE.read_text()


def test_checklist_links_reach_the_headings_in_the_built_site(built_site: Path):
    checklist = _html(built_site, CHECKLIST_PAGE)
    reference = _html(built_site, REFERENCE_PAGE)
    linked = set(
        re.findall(r'href="\.\./\.\./testing/contract-tests/#([\w-]+)"', checklist)
    )
    assert linked == {test.anchor for test in TESTS}
    assert linked <= set(re.findall(r'<h3 id="([\w-]+)"', reference))


def test_the_reference_page_renders_every_source_block(built_site: Path):
    reference = _html(built_site, REFERENCE_PAGE)
    assert reference.count('<div class="highlight') == len(TESTS)
    assert "def test_signout_clears_the_cookies(" in re.sub(r"<[^>]+>", "", reference)


def test_a_test_without_a_docstring_reads_as_its_name():
    test = ContractTest("test_signout", "test_signout_clears_the_cookies", None, 1, 2)
    assert test.claim == "Signout clears the cookies."
    documented = ContractTest("test_m", "test_x", "Says   what\n  it checks.", 1, 2)
    assert documented.claim == "Says what it checks."


def _lines(render) -> list[str]:
    return render().splitlines()


def _html(built_site: Path, page: Path) -> str:
    return (built_site / url_path(page) / "index.html").read_text(encoding="utf-8")
