"""The compatibility checklist: one item per contract test, read from its source.

A backend that takes over from Open WebUI 0.12.4 keeps every promise that the contract
suite checks, so the suite itself is the checklist. This module reads
``tests/contract/test_*.py`` with `ast` and never imports them: importing would pull in
the suite's fixtures and HTTP client, and the site builds without either. It renders
two generated sections, so neither page can fall behind the suite:

``compat-checklist``
    Each test as one sentence, taken from its docstring or else from its name,
    grouped by module and linked to the test's entry on the reference page.
``contract-tests``
    Each test under a heading of its own, with its docstring and its source, which
    pymdownx.snippets includes from the test module by line range at build time.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SUITE = ROOT / "tests/contract"
# The reference page, as the checklist page (docs/migration/compatibility.md) links it.
REFERENCE_LINK = "../testing/contract-tests.md"


@dataclass(frozen=True)
class ContractTest:
    """One test function of the suite, and where its source is."""

    module: str
    name: str
    docstring: str | None
    first_line: int
    last_line: int

    @property
    def path(self) -> str:
        return f"{SUITE.relative_to(ROOT).as_posix()}/{self.module}.py"

    @property
    def anchor(self) -> str:
        """Unique on the reference page: a hyphen never occurs in a Python name."""
        return f"{self.module}-{self.name}"

    @property
    def claim(self) -> str:
        """The checklist item: what a compatible backend does."""
        return one_line(self.docstring) if self.docstring else sentence(self.name)


@dataclass(frozen=True)
class ContractModule:
    """One test module: what its docstring says it covers, and its tests in order."""

    name: str
    docstring: str
    tests: tuple[ContractTest, ...]


def sentence(name: str) -> str:
    """A test's name as the sentence it stands for: ``test_a_b`` is "A b."."""
    words = name.removeprefix("test_").replace("_", " ")
    return f"{words[:1].upper()}{words[1:]}."


def one_line(text: str) -> str:
    return " ".join(text.split())


def paragraphs(text: str) -> list[str]:
    """A docstring's paragraphs, each on one line, as Markdown paragraphs."""
    return [one_line(part) for part in text.split("\n\n") if part.strip()]


def read_module(path: Path) -> ContractModule:
    """The tests pytest collects from one module: its top-level `test_*` functions."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    tests = tuple(
        ContractTest(
            module=path.stem,
            name=node.name,
            docstring=ast.get_docstring(node),
            # A test's decorators (its parameters) are part of it.
            first_line=min(d.lineno for d in [node, *node.decorator_list]),
            last_line=node.end_lineno or node.lineno,
        )
        for node in tree.body
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        and node.name.startswith("test_")
    )
    return ContractModule(path.stem, ast.get_docstring(tree) or "", tests)


def contract_modules() -> list[ContractModule]:
    return [read_module(path) for path in sorted(SUITE.glob("test_*.py"))]


def contract_tests() -> list[ContractTest]:
    return [test for module in contract_modules() for test in module.tests]


def _summary(modules: list[ContractModule]) -> str:
    count = sum(len(module.tests) for module in modules)
    return f"{count} contract tests in {len(modules)} modules of `tests/contract/`."


def render_checklist() -> str:
    """The checklist page's items: per module, each test as a linked sentence."""
    modules = contract_modules()
    lines = [_summary(modules)]
    for module in modules:
        lines += ["", f"## `{module.name}.py`", "", *paragraphs(module.docstring)[:1]]
        lines.append("")
        lines += [
            f"- {test.claim} ([`{test.name}`]({REFERENCE_LINK}#{test.anchor}))"
            for test in module.tests
        ]
    return "\n".join(lines)


def render_reference() -> str:
    """The reference page: every test under its own heading, its source included."""
    modules = contract_modules()
    lines = [_summary(modules)]
    for module in modules:
        lines += ["", f"## `{module.name}.py` {{ #{module.name} }}", ""]
        lines += _paragraph_lines(module.docstring)
        for test in module.tests:
            lines += ["", f"### `{test.name}` {{ #{test.anchor} }}", ""]
            lines += _paragraph_lines(test.docstring or "")
            lines += [
                f'```python title="{test.path}" linenums="{test.first_line}"',
                f'--8<-- "{test.path}:{test.first_line}:{test.last_line}"',
                "```",
            ]
    return "\n".join(lines)


def _paragraph_lines(text: str) -> list[str]:
    return [line for paragraph in paragraphs(text) for line in (paragraph, "")]
