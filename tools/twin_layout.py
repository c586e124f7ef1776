"""The two backends file by file: each Python module, its Rust twin and their sections.

A reader finds a Python file's twin by the same name in the mirrored place, and a
section of one under the same name in the other. This module reads both trees, so the
table on the Rust twin page and the test that holds the layout to it share one source.
"""

import re
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PYTHON = ROOT / "examples/python-backend/reference_backend"
RUST = ROOT / "examples/rust-backend/src"
SECTION = re.compile(r"--8<-- \[start:([\w-]+)\]")

# region: framework
# What FastAPI and Starlette do for an app, axum leaves to it: these sections of the
# Python twin have their Rust side in a module of its own.
FRAMEWORK = {
    ("main.py", "validation-error"): "errors.rs",
    ("routers/auths.py", "route-class"): "errors.rs",
}
# Rust modules without a Python file, and why.
RUST_ONLY = {
    "lib.rs": "the crate root: declares the modules",
    "errors.rs": "FastAPI's HTTPException and its JSON error handlers",
    "extract.rs": "FastAPI's request validation: 422 bodies with `loc`",
}
# endregion: framework


@dataclass(frozen=True)
class Twin:
    python: str
    rust: str | None
    python_sections: tuple[str, ...]
    rust_sections: tuple[str, ...]

    @property
    def missing_sections(self) -> list[str]:
        """Sections of the Python file found neither in its twin nor where FRAMEWORK
        says they live."""
        missing = []
        for name in self.python_sections:
            elsewhere = FRAMEWORK.get((self.python, name))
            found = sections(RUST / elsewhere) if elsewhere else self.rust_sections
            if name not in found:
                missing.append(name)
        return missing


def sections(path: Path) -> tuple[str, ...]:
    """A file's section names, and its submodules' (`auth.rs`: `auth/*.rs`)."""
    files = [path, *sorted(path.with_suffix("").glob("*.rs"))]
    found = []
    for file in files:
        if file.is_file():
            found += SECTION.findall(file.read_text(encoding="utf-8"))
    return tuple(dict.fromkeys(found))


def rust_twin(python_module: Path) -> Path:
    """`models/users.py` → `models/users.rs`."""
    return RUST / python_module.relative_to(PYTHON).with_suffix(".rs")


def twins() -> list[Twin]:
    """Every Python module of the backend with content, and its Rust twin if any."""
    found = []
    for module in sorted(PYTHON.rglob("*.py")):
        if module.name == "__init__.py":
            continue  # package markers: Rust's lib.rs and mod.rs declare modules
        rust = rust_twin(module)
        found.append(
            Twin(
                python=str(module.relative_to(PYTHON)),
                rust=str(rust.relative_to(RUST)) if rust.is_file() else None,
                python_sections=sections(module),
                rust_sections=sections(rust) if rust.is_file() else (),
            )
        )
    return found


def render_table() -> str:
    """The Markdown table of modules for the Rust twin page."""
    rows = [
        "| Python (`reference_backend/`) | Rust (`src/`) | Sections in both |",
        "| --- | --- | --- |",
    ]
    for twin in twins():
        shared = [s for s in twin.python_sections if s not in twin.missing_sections]
        listed = ", ".join(f"`{s}`" for s in shared) or "—"
        rows.append(f"| `{twin.python}` | `{twin.rust}` | {listed} |")
    for module, why in RUST_ONLY.items():
        rows.append(f"| — | `{module}` | {why} |")
    return "\n".join(rows)
