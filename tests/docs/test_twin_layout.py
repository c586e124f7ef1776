"""The Rust twin mirrors the Python backend: same module names, same section names."""

import twin_layout


def test_every_python_module_has_a_rust_twin() -> None:
    missing = [t.python for t in twin_layout.twins() if t.rust is None]
    assert missing == []


def test_every_python_section_has_a_rust_twin() -> None:
    gaps = {t.python: t.missing_sections for t in twin_layout.twins()}
    assert {module: names for module, names in gaps.items() if names} == {}


def test_the_rust_only_modules_exist() -> None:
    absent = [m for m in twin_layout.RUST_ONLY if not (twin_layout.RUST / m).is_file()]
    assert absent == []


def test_the_table_lists_every_module() -> None:
    table = twin_layout.render_table()
    for twin in twin_layout.twins():
        assert f"| `{twin.python}` | `{twin.rust}` |" in table


def test_every_rust_module_is_a_twin_or_explained() -> None:
    """A Rust file is a twin, a submodule of one (`utils/auth/*.rs`), a `mod.rs`, or
    listed in RUST_ONLY with its reason."""
    twins = {t.rust for t in twin_layout.twins()}
    unexplained = []
    for path in sorted(twin_layout.RUST.rglob("*.rs")):
        relative = str(path.relative_to(twin_layout.RUST))
        parent_twin = str(path.parent.relative_to(twin_layout.RUST)) + ".rs"
        if path.name == "mod.rs" or parent_twin in twins:
            continue
        if relative not in twins and relative not in twin_layout.RUST_ONLY:
            unexplained.append(relative)
    assert unexplained == []
