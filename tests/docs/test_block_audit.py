"""The block audit: every fenced block is executed, or skipped for a listed reason."""

import re
from pathlib import Path

import pytest

import block_audit
import mkdocs_hooks
from block_audit import ROOT, Block, classify, parse_blocks
from pages import PAGES, url_path

# A backend module that the docs include, with the sections they name.
DURATIONS = "examples/python-backend/reference_backend/utils/durations.py"


# --8<-- [start:every-block]
def test_every_block_is_executed_or_skipped_for_a_listed_reason():
    problems = [f"{b.where}: {p}" for b in block_audit.audit() for p in b.problems]
    assert not problems, "\n".join(problems)


# --8<-- [end:every-block]


def test_includes_outside_fences_pull_in_audited_markdown_only():
    assert not block_audit.bare_include_problems()


def test_committed_counts_are_current():
    committed = block_audit.load()
    assert committed["counts"] == block_audit.counts(block_audit.audit()), (
        f"docs/data/block-audit.json is stale: run `{block_audit.REGENERATE}`"
    )
    assert committed["command"] == block_audit.REGENERATE


def test_home_page_shows_the_committed_counts(built_site: Path):
    home = (built_site / "index.html").read_text(encoding="utf-8")
    for category, count in block_audit.load()["counts"].items():
        label = re.escape(block_audit.CLASS_LABELS[category])
        assert re.search(rf"<td>{label}</td>\s*<td[^>]*>{count}</td>", home), category


def test_every_fence_renders_as_a_code_block(built_site: Path):
    """A fence the Markdown renderer cannot parse silently becomes a paragraph."""
    for page in PAGES:
        text = page.read_text(encoding="utf-8")
        if ":::" in text or _generates_code_blocks(text):
            continue  # code blocks the page's source lacks: its generator's tests count
        html = (built_site / url_path(page) / "index.html").read_text(encoding="utf-8")
        rendered = html.count('<div class="highlight') + html.count(
            '<pre class="mermaid'
        )
        assert rendered == len(block_audit.blocks_on_page(page)), page.relative_to(ROOT)


def _generates_code_blocks(text: str) -> bool:
    """Whether a generated section of the page renders fences of its own, as the
    contract tests reference does (tests/docs/test_compat_checklist.py checks them)."""
    return any(
        block_audit.parse_blocks(mkdocs_hooks.render(match["name"]), ROOT)
        for match in mkdocs_hooks.GENERATED.finditer(text)
    )


# The audit itself must bite: each kind of bad block is caught.


def _classify(markdown: str) -> Block:
    (block,) = parse_blocks(markdown, ROOT / "docs/example.md")
    return classify(block)


def test_a_python_block_is_an_example():
    assert _classify("```python\nprint(1)\n```\n").category == "example"


def test_an_include_of_a_tested_snippet_section_passes():
    block = _classify(f'```python\n--8<-- "{DURATIONS}:parse"\n```\n')
    assert (block.category, block.problems) == ("include", [])


def test_includes_inside_content_tabs_are_read():
    markdown = (
        '=== "Rust (axum)"\n\n'
        "    ```rust\n"
        '    --8<-- "examples/rust-backend/src/utils/durations.rs:parse"\n'
        "    ```\n"
    )
    assert _classify(markdown).category == "include"


@pytest.mark.parametrize(
    ("path", "executor"),
    [
        (".env.example", "tests/deploy/test_env_example.py"),
        ("examples/python-backend/Dockerfile", "hadolint (nox -s lint)"),
        ("examples/rust-backend/Dockerfile", "hadolint (nox -s lint)"),
    ],
)
def test_deployment_files_count_as_executed_by_their_checks(path: str, executor: str):
    assert block_audit.executed_by(ROOT / path) == executor


@pytest.mark.parametrize(
    ("path", "executor"),
    [
        ("examples/rust-backend/tests/backend/main.rs", "cargo test (nox -s rust)"),
        ("examples/rust-backend/tests/backend/app.rs", "cargo test (nox -s rust)"),
        ("examples/rust-backend/tests/backend/nope.rs", None),
    ],
)
def test_the_twins_integration_tests_count_when_their_target_declares_them(
    path: str, executor: str | None
):
    assert block_audit.executed_by(ROOT / path) == executor


@pytest.mark.parametrize(
    ("markdown", "problem"),
    [
        ("```console\n$ rm -rf build\n```\n", "a console block that no test executes"),
        ("~~~\nplain text\n~~~\n", "a plain block that no test executes"),
        ('```python\n--8<-- "snippets/python/nope.py"\n```\n', "no such file"),
        (
            f'```python\n--8<-- "{DURATIONS}:nope"\n```\n',
            "no section 'nope'",
        ),
        ('```yaml\n--8<-- "docs/data/block-audit.json"\n```\n', "is not executed by"),
        ('```text\n--8<-- ".dockerignore"\n```\n', "is not executed by"),
        (
            f'```python\n--8<-- "{DURATIONS}:parse"\nx = 1\n```\n',
            "mixed",
        ),
        ('```{.sh skip="because"}\nls\n```\n', "skip reason 'because' is not one of"),
    ],
)
def test_bad_blocks_are_unexecuted(markdown: str, problem: str):
    block = _classify(markdown)
    assert block.category == "unexecuted"
    assert any(problem in p for p in block.problems), block.problems


@pytest.mark.parametrize("reason", sorted(block_audit.SKIP_REASONS))
def test_listed_skip_reasons_are_accepted(reason: str):
    assert (
        _classify(f'```{{.sh skip="{reason}"}}\nls\n```\n').category == f"skip:{reason}"
    )
