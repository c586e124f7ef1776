"""The completion path's sequence diagram, checked against both twins.

A participant that is not a role names a module by its path under each twin's root,
without the suffix (`participant R as routers/completions`): both
`reference_backend/routers/completions.py` and `src/routers/completions.rs` must
exist. A call in a message (`R->>M: all_models() ...`) must name a function that the
receiving module defines on both sides, or, in a reply to a role such as the client
(`S-->>C: relay() ...`), the sending module.
"""

import re
from pathlib import Path

import block_audit
from block_audit import ROOT

PAGE = ROOT / "docs/architecture/completion-path.md"
PYTHON = ROOT / "examples/python-backend/reference_backend"
RUST = ROOT / "examples/rust-backend/src"
# Participants that are parties to the exchange, not modules of the twins.
ROLES = {"Client", "Provider"}
PARTICIPANT = re.compile(r"^\s*participant (\w+) as (\S+)\s*$", re.M)
# `A->>B: text`, with any of Mermaid's sequence arrows.
MESSAGE = re.compile(r"^\s*(\w+)\s*--?(?:>>|>|x|\))[+-]?\s*(\w+)\s*:(.*)$", re.M)
CALL = re.compile(r"\b(\w+)\(\)")


def twin_files(module: str) -> tuple[Path, Path]:
    return PYTHON / f"{module}.py", RUST / f"{module}.rs"


def defines(source: Path, name: str) -> bool:
    """Whether `source` defines a function (or method) `name`."""
    text = source.read_text(encoding="utf-8")
    if source.suffix == ".py":
        pattern = rf"^\s*(?:async\s+)?def {name}\("
    else:
        pattern = rf"^\s*(?:pub(?:\([\w:]+\))?\s+)?(?:async\s+)?fn {name}\b"
    return re.search(pattern, text, re.M) is not None


def problems(diagram: str) -> tuple[list[str], int]:
    """What the diagram names that either twin lacks, and how many calls it names."""
    modules = {
        alias: label
        for alias, label in PARTICIPANT.findall(diagram)
        if label not in ROLES
    }
    found = [
        f"{module}: no {path.relative_to(ROOT)}"
        for module in modules.values()
        for path in twin_files(module)
        if not path.is_file()
    ]
    calls = 0
    for sender, receiver, text in MESSAGE.findall(diagram):
        owner = receiver if receiver in modules else sender
        for name in CALL.findall(text):
            calls += 1
            if owner not in modules:
                found.append(f"{name}(): neither {sender} nor {receiver} is a module")
                continue
            found += [
                f"{name}() is not defined in {path.relative_to(ROOT)}"
                for path in twin_files(modules[owner])
                if path.is_file() and not defines(path, name)
            ]
    return found, calls


def the_diagram() -> str:
    (diagram,) = [
        block.body
        for block in block_audit.fenced_blocks(PAGE)
        if block.language == "mermaid"
    ]
    return diagram


def test_every_module_and_call_of_the_diagram_is_in_both_twins() -> None:
    found, calls = problems(the_diagram())
    assert not found
    assert calls >= 5  # the diagram names the path's functions, not only modules


def test_a_module_or_function_either_twin_lacks_is_reported() -> None:
    diagram = """sequenceDiagram
    participant C as Client
    participant R as routers/completions
    participant X as routers/no_such_module
    C->>R: chat_completion() exists on both sides
    C->>R: no_such_function() does not
    R->>X: anything()
    C->>C: orphan()
"""
    found, calls = problems(diagram)
    assert calls == 4
    assert found == [
        "routers/no_such_module: no "
        "examples/python-backend/reference_backend/routers/no_such_module.py",
        "routers/no_such_module: no "
        "examples/rust-backend/src/routers/no_such_module.rs",
        "no_such_function() is not defined in "
        "examples/python-backend/reference_backend/routers/completions.py",
        "no_such_function() is not defined in "
        "examples/rust-backend/src/routers/completions.rs",
        "orphan(): neither C nor C is a module",
    ]
