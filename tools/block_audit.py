"""The block audit: every fenced code block on the site is executed, or says why not.

Each fenced block in ``docs/**/*.md``, ``README.md`` and the docstrings that a reference
page renders (``::: module``) falls into one class:

``include``
    Its body is only ``--8<-- "path[:section]"`` lines, and each file it includes is
    one that the test suite executes (see ``EXECUTORS``).
``example``
    A Python block that ``tests/docs/test_examples.py`` lints and runs with
    pytest-examples, checking every ``#>`` line against what the code printed.
``skip:<reason>``
    A block whose fence carries ``skip="<reason>"`` with a reason from ``SKIP_REASONS``;
    each reason names the check that covers such blocks instead.

Anything else is ``unexecuted``, and ``tests/docs/test_block_audit.py`` fails on it.

Run as a script it lists the problems; with `--write` it also rewrites the committed
counts that the home page shows (`nox -s data` does that)::

    python tools/block_audit.py --write
"""

from __future__ import annotations

import argparse
import ast
import datetime
import json
import re
import shlex
import sys
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA_FILE = ROOT / "docs/data/block-audit.json"
REGENERATE = "nox -s data"

# --8<-- [start:skip-reasons]
SKIP_REASONS = {
    "command": (
        "A shell command for the reader to type. tests/docs/test_commands.py checks "
        "that every `nox -s NAME` in it names a real session, that `.ci/run` runs the "
        "README's test command, and that the README's serve command serves the site."
    ),
    "diagram": (
        "A Mermaid diagram. The browser test renders every one to SVG, and "
        "tests/docs/test_diagrams.py checks the facts a diagram states about the code."
    ),
}
# --8<-- [end:skip-reasons]

CLASS_LABELS = {
    "include": "Included from a file the test suite executes",
    "example": "Python run by pytest-examples",
    **{f"skip:{reason}": f"Skipped: {reason}" for reason in SKIP_REASONS},
    "unexecuted": "Unexecuted (the audit fails)",
}

FENCE_OPEN = re.compile(r"^(?P<indent> *)(?P<fence>`{3,}|~{3,})(?P<info>[^`]*)$")
INCLUDE = re.compile(r'^\s*--8<--\s+"(?P<target>[^"]+)"\s*$')
ATTRIBUTE = re.compile(r'(?P<key>[\w-]+)="(?P<value>[^"]*)"')
PYTHON_LANGUAGES = {"python", "py"}
# Where mkdocstrings finds the module of a `::: name` line (its `paths` in mkdocs.yml).
API_PATHS = ("examples/python-backend", "tools")
API_DIRECTIVE = re.compile(r"^::: (?P<module>[\w.]+)\s*$", flags=re.MULTILINE)


@dataclass(frozen=True)
class Include:
    """One ``--8<--`` target: a file, and optionally a named section of it."""

    path: str
    section: str | None

    @classmethod
    def parse(cls, target: str) -> Include:
        path, _, section = target.partition(":")
        return cls(path, section or None)

    def __str__(self) -> str:
        return f"{self.path}:{self.section}" if self.section else self.path


@dataclass
class Block:
    """A fenced code block and the class the audit gives it."""

    source: Path
    line: int
    end_line: int
    language: str
    attributes: dict[str, str]
    body: str
    category: str = "unexecuted"
    problems: list[str] = field(default_factory=list)

    @property
    def where(self) -> str:
        source = (
            self.source.relative_to(ROOT)
            if self.source.is_relative_to(ROOT)
            else self.source
        )
        return f"{source}:{self.line}"


def audited_files() -> list[Path]:
    """The files whose code blocks reach a reader: pages, and docstrings they render."""
    pages = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
    return pages + documented_modules(pages)


def documented_modules(pages: list[Path]) -> list[Path]:
    """The Python files whose docstrings a page renders with a `::: module` line."""
    modules = []
    for page in pages:
        for match in API_DIRECTIVE.finditer(page.read_text(encoding="utf-8")):
            name = match["module"].replace(".", "/")
            found = [ROOT / base / f"{name}.py" for base in API_PATHS]
            modules += [path for path in found if path.is_file()][:1]
    return modules


def fenced_blocks(path: Path) -> list[Block]:
    """Every fenced block of a Markdown file."""
    return parse_blocks(path.read_text(encoding="utf-8"), path)


def parse_blocks(text: str, source: Path) -> list[Block]:
    """Every fenced block of Markdown ``text``, indented ones (in tabs) included."""
    lines = text.splitlines()
    blocks = []
    index = 0
    while index < len(lines):
        opening = FENCE_OPEN.match(lines[index])
        if not opening:
            index += 1
            continue
        fence = opening["fence"]
        closing = re.compile(rf"^ *{re.escape(fence[0])}{{{len(fence)},}} *$")
        end = next(
            (i for i in range(index + 1, len(lines)) if closing.match(lines[i])),
            len(lines),
        )
        language, attributes = parse_info(opening["info"])
        indent = len(opening["indent"])
        body = "\n".join(line[indent:] for line in lines[index + 1 : end])
        blocks.append(Block(source, index + 1, end + 1, language, attributes, body))
        index = end + 1
    return blocks


def parse_info(info: str) -> tuple[str, dict[str, str]]:
    """Split a fence's info string into its language and its ``key="value"`` attributes.

    Both forms that pymdownx.superfences renders are understood: ``python title="x"``
    and the attribute-list form ``{.console skip="command"}``.
    """
    info = info.strip()
    attributes = {m["key"]: m["value"] for m in ATTRIBUTE.finditer(info)}
    words = shlex.split(ATTRIBUTE.sub("", info).strip(" {}"))
    if info.startswith("{"):
        classes = [word[1:] for word in words if word.startswith(".")]
        return (classes[0] if classes else ""), attributes
    return (words[0] if words else ""), attributes


def includes_in(text: str) -> list[Include] | None:
    """The includes that make up ``text``, or None if anything else is in it."""
    lines = [line for line in text.splitlines() if line.strip()]
    matches = [INCLUDE.match(line) for line in lines]
    if not lines or not all(matches):
        return None
    return [Include.parse(m["target"]) for m in matches if m]


def bare_includes(path: Path) -> list[tuple[int, Include]]:
    """Includes outside any fence: Markdown fragments pulled into a page."""
    inside = {
        n
        for block in fenced_blocks(path)
        for n in range(block.line, block.end_line + 1)
    }
    return [
        (number, Include.parse(m["target"]))
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if number not in inside and (m := INCLUDE.match(line))
    ]


def _importing_test(path: Path) -> str | None:
    """A tool module is executed by whichever tests import it."""
    tests = (
        t for t in sorted((ROOT / "tests").rglob("test_*.py")) if imports(t, path.stem)
    )
    return next((str(t.relative_to(ROOT)) for t in tests), None)


def _rust_backend_module(path: Path) -> str | None:
    """The Rust twin runs under the contract suite and `cargo test`, module by module:
    a module counts when its parent declares it (`__main__.rs` is the binary)."""
    src = ROOT / "examples/rust-backend/src"
    if path.name == "__main__.rs":
        declared = "src/__main__.rs" in (src.parent / "Cargo.toml").read_text("utf-8")
    else:
        parent = path.parent / "mod.rs"
        if path.parent == src:
            parent = src / "lib.rs"
        elif not parent.is_file():
            parent = path.parent.with_suffix(".rs")
        text = parent.read_text(encoding="utf-8") if parent.is_file() else ""
        declared = re.search(rf"^pub mod {path.stem};$", text, flags=re.M) is not None
    return "the contract suite (rust target) and cargo test" if declared else None


def _rust_backend_test(path: Path) -> str | None:
    """The twin's integration tests run under `cargo test`: Cargo makes a test target
    of each `tests/NAME/main.rs`, and a file beside it counts when `main.rs` declares
    it (`mod NAME;`)."""
    tests = ROOT / "examples/rust-backend/tests"
    main = path.parent / "main.rs"
    cargo = (tests.parent / "Cargo.toml").read_text(encoding="utf-8")
    if path.parent.parent != tests or "autotests = false" in cargo:
        return None
    text = main.read_text(encoding="utf-8") if main.is_file() else ""
    declared = path == main or re.search(rf"^mod {path.stem};$", text, flags=re.M)
    return "cargo test (nox -s rust)" if declared else None


def _backend_module(path: Path) -> str | None:
    """The reference backend runs under the contract suite, module by module."""
    package = ROOT / "examples/python-backend/reference_backend"
    inside = (package / "__init__.py").is_file() and package in path.parents
    suite = ROOT / "tests/contract/conftest.py"
    return "the contract suite (tests/contract)" if inside and suite.is_file() else None


def _pytest_module(path: Path) -> str | None:
    return (
        "pytest (nox -s tests)" if path.name.startswith(("test_", "conftest")) else None
    )


def _hadolint(path: Path) -> str | None:
    """A Dockerfile is linted by hadolint in `nox -s lint`, which names each one; no
    test builds it (that takes a Docker engine)."""
    noxfile = (ROOT / "noxfile.py").read_text(encoding="utf-8")
    named = f'"{path.relative_to(ROOT).as_posix()}"' in noxfile
    return "hadolint (nox -s lint)" if named and "hadolint" in noxfile else None


def _settings_test(path: Path) -> str | None:
    """A file of settings is checked by the test module named after it, which reads
    it: `.env.example` by `test_env_example.py`."""
    stem = re.sub(r"\W+", "_", path.name).strip("_")
    tests = sorted((ROOT / "tests").rglob(f"test_{stem}.py"))
    reading = [t for t in tests if f'"{path.name}"' in t.read_text(encoding="utf-8")]
    return str(reading[0].relative_to(ROOT)) if reading else None


def _tool(name: str) -> Callable[[Path], str]:
    return lambda _path: name


# Which files the test suite executes: a path pattern (a regex over the path from the
# repository root) and how to tell that a file matching it really is executed.
EXECUTORS: dict[str, Callable[[Path], str | None]] = {
    r"examples/rust-backend/src/[\w/]+\.rs": _rust_backend_module,
    r"examples/rust-backend/tests/\w+/\w+\.rs": _rust_backend_test,
    r"tools/\w+\.py": _importing_test,
    r"examples/python-backend/reference_backend/[\w/]+\.py": _backend_module,
    r"tests/.+\.py": _pytest_module,
    r"mkdocs\.yml": _tool("mkdocs build --strict (nox -s docs)"),
    r"noxfile\.py": _tool("nox"),
    r"pyproject\.toml": _tool("uv sync --locked (every nox session)"),
    r"Cargo\.toml": _tool("cargo (nox -s rust)"),
    r"\.ci/run": _tool("CI"),
    r"examples/parallel-run/[\w.-]+": _tool(
        "nginx, started by tests/proxy/test_nginx_routing.py"
    ),
    r"\.env\.example": _settings_test,
    r"examples/[\w-]+/Dockerfile": _hadolint,
    # Runs on GitHub only; here it is checked against GitHub's workflow schema.
    r"\.github/workflows/[\w.-]+\.yml": _tool("check-jsonschema (nox -s lint)"),
}


def imports(test: Path, module: str) -> bool:
    """Whether the Python file ``test`` exists and imports ``module``."""
    if not test.is_file():
        return False
    for node in ast.walk(ast.parse(test.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module == module:
            return True
        if isinstance(node, ast.Import) and any(a.name == module for a in node.names):
            return True
    return False


def executed_by(path: Path) -> str | None:
    """What in the test suite executes ``path``, or None if nothing does."""
    relative = path.relative_to(ROOT).as_posix()
    for pattern, executor in EXECUTORS.items():
        if re.fullmatch(pattern, relative):
            return executor(path)
    return None


def include_problems(include: Include) -> list[str]:
    """Why an include inside a code block is not acceptable (nothing if it is)."""
    path = ROOT / include.path
    if not path.is_file():
        return [f"{include}: no such file"]
    if include.section and not has_section(path, include.section):
        return [f"{include}: no section {include.section!r} in {include.path}"]
    if executed_by(path) is None:
        return [f"{include}: {include.path} is not executed by the test suite"]
    return []


def section_text(path: Path, section: str) -> str | None:
    """The lines between a file's `[start:section]` and `[end:section]` markers."""
    text = path.read_text(encoding="utf-8")
    start, end = (text.find(f"--8<-- [{edge}:{section}]") for edge in ("start", "end"))
    if start < 0 or end < start:
        return None
    return text[text.index("\n", start) + 1 : text.rindex("\n", 0, end) + 1]


def has_section(path: Path, section: str) -> bool:
    return section_text(path, section) is not None


def blocks_on_page(page: Path) -> list[Block]:
    """The blocks a reader sees on a page: its own and those of Markdown it includes."""
    blocks = fenced_blocks(page)
    for _, include in bare_includes(page):
        path = ROOT / include.path
        if include.section:
            text = section_text(path, include.section) or ""
        else:
            text = path.read_text(encoding="utf-8")
        blocks += parse_blocks(text, path)
    return blocks


def classify(block: Block) -> Block:
    """Give ``block`` its class, and the problems that make it fail the audit."""
    reason = block.attributes.get("skip")
    included = includes_in(block.body)
    if reason is not None:
        if reason in SKIP_REASONS:
            block.category = f"skip:{reason}"
        else:
            block.problems.append(
                f"skip reason {reason!r} is not one of {sorted(SKIP_REASONS)}"
            )
    elif included is not None:
        block.category = "include"
        block.problems.extend(
            p for include in included for p in include_problems(include)
        )
    elif "--8<--" in block.body:
        block.problems.append("an include mixed with pasted code")
    elif block.language in PYTHON_LANGUAGES:
        block.category = "example"
    else:
        block.problems.append(
            f"a {block.language or 'plain'} block that no test executes: include it "
            'from a tested file, or mark it skip="<reason>" with a reason from '
            f"{sorted(SKIP_REASONS)}"
        )
    if block.problems:
        block.category = "unexecuted"
    return block


def audit() -> list[Block]:
    """Classify every fenced block of every audited file."""
    return [
        classify(block) for path in audited_files() for block in fenced_blocks(path)
    ]


def bare_include_problems() -> list[str]:
    """Includes outside fences may only pull in Markdown that the audit also reads."""
    audited = set(audited_files())
    problems = []
    for path in audited_files():
        for line, include in bare_includes(path):
            target = ROOT / include.path
            where = f"{path.relative_to(ROOT)}:{line}"
            if target not in audited:
                problems.append(f"{where}: {include} is not audited Markdown; fence it")
            elif include.section and not has_section(target, include.section):
                problems.append(
                    f"{where}: no section {include.section!r} in {include.path}"
                )
    return problems


def counts(blocks: list[Block]) -> dict[str, int]:
    """Blocks per class, every class listed, in the order of ``CLASS_LABELS``."""
    found = Counter(block.category for block in blocks)
    return {category: found[category] for category in CLASS_LABELS}


def render_table(data: dict) -> str:
    """The Markdown table of the committed counts, for the home page."""
    rows = [
        "| Code blocks on this site | Count |",
        "| --- | ---: |",
        *(
            f"| {CLASS_LABELS[name]} | {count} |"
            for name, count in data["counts"].items()
        ),
        "",
        f"Counted by `{data['command']}` on {data['date']}; "
        "`tests/docs/test_block_audit.py` fails when the count is stale.",
    ]
    return "\n".join(rows)


def load() -> dict:
    return json.loads(DATA_FILE.read_text(encoding="utf-8"))


def write() -> bool:
    """Rewrite the committed counts if they changed; return whether they did."""
    current = counts(audit())
    if DATA_FILE.is_file() and load()["counts"] == current:
        return False
    data = {
        "command": REGENERATE,
        "date": datetime.date.today().isoformat(),
        "counts": current,
    }
    DATA_FILE.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--write", action="store_true", help=f"rewrite {DATA_FILE.name} if it is stale"
    )
    args = parser.parse_args(argv)
    blocks = audit()
    for block in blocks:
        for problem in block.problems:
            print(f"{block.where}: {problem}")
    print(json.dumps(counts(blocks)))
    if args.write:
        changed = write()
        print(f"{DATA_FILE.name}: {'rewritten' if changed else 'already current'}")
    return 1 if any(block.problems for block in blocks) else 0


if __name__ == "__main__":
    sys.exit(main())
