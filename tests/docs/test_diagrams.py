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
