"""Facts the diagrams state about the code, checked against the code.

The session names a diagram gives are checked with every other command, in
test_commands.py; here, every path or glob it names must match something.
"""

import re

import pytest

import block_audit
from block_audit import ROOT

REPO_PATH = re.compile(r"\b(?:docs|snippets|tests|tools|examples)/[\w./*-]*")
DIAGRAMS = [b for b in block_audit.audit() if b.category == "skip:diagram"]


@pytest.mark.parametrize("diagram", DIAGRAMS, ids=lambda block: block.where)
def test_every_path_a_diagram_names_exists(diagram: block_audit.Block):
    paths = REPO_PATH.findall(diagram.body)
    missing = [path for path in paths if not any(ROOT.glob(path.rstrip("/") or "."))]
    assert not missing


RUST_SRC = ROOT / "examples/rust-backend/src"
RUST_TWIN_DIAGRAMS = [
    d for d in DIAGRAMS if d.where.startswith("docs/architecture/rust")
]
# Sequence participants that are roles, not types of the Rust twin.
ROLES = {"Client", "Layers", "Handler", "Database", "Redis"}


def test_the_rust_twin_page_has_its_diagrams() -> None:
    assert len(RUST_TWIN_DIAGRAMS) == 2


@pytest.mark.parametrize("diagram", RUST_TWIN_DIAGRAMS, ids=lambda block: block.where)
def test_every_rust_module_and_type_a_diagram_names_exists(
    diagram: block_audit.Block,
) -> None:
    """The Rust twin's diagrams name modules relative to `src/` (`routers/*.rs`) and
    extractors by their type (`participant G as CurrentUser`)."""
    modules = re.findall(r"[\w/*]+\.rs\b", diagram.body)
    missing = [m for m in modules if not any(RUST_SRC.glob(m))]
    source = "\n".join(p.read_text("utf-8") for p in RUST_SRC.rglob("*.rs"))
    types = set(re.findall(r"participant \w+ as (\w+)$", diagram.body, re.M)) - ROLES
    missing += [t for t in sorted(types) if f"pub struct {t}" not in source]
    assert not missing
