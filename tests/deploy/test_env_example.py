"""`.env.example` lists exactly the variables both backends read, with their defaults.

The names are checked against what the Python `Settings` reads when it runs and against
what the Rust twin's `env.rs` reads; each default is checked by starting the Python
settings with it set and unset: the two must be the same settings.
"""

import ast
import re
from dataclasses import dataclass
from pathlib import Path

import pytest

from reference_backend import env as python_env
from reference_backend.env import Settings

ROOT = Path(__file__).resolve().parents[2]
ENV_EXAMPLE = ROOT / ".env.example"
PYTHON_ENV = Path(python_env.__file__)
RUST_ENV = ROOT / "examples/rust-backend/src/env.rs"
# The twin reads a variable only through `Environ`'s three readers, by a literal name.
RUST_READ = re.compile(r'\.(?:get|flag|choice)\("([A-Z][A-Z0-9_]*)"')
# `NAME=value`, or `# NAME=value` for a variable that is left unset by default.
VARIABLE = re.compile(r"^(?P<hash>#\s*)?(?P<name>[A-Z][A-Z0-9_]*)=(?P<value>.*)$")
ENV_NAME = re.compile(r"[A-Z][A-Z0-9_]*")


@dataclass(frozen=True)
class Entry:
    """One variable of the file: its line, its value and the comment above it."""

    name: str
    value: str
    commented: bool
    comment: str
    line: int


def entries(text: str) -> list[Entry]:
    lines = text.splitlines()
    found = []
    for number, line in enumerate(lines, 1):
        match = VARIABLE.match(line)
        if match:
            above = lines[number - 2] if number > 1 else ""
            comment = "" if VARIABLE.match(above) else above
            found.append(
                Entry(
                    match["name"],
                    match["value"],
                    match["hash"] is not None,
                    comment,
                    number,
                )
            )
    return found


ENTRIES = entries(ENV_EXAMPLE.read_text(encoding="utf-8"))
SET = [entry for entry in ENTRIES if not entry.commented]
UNSET = [entry for entry in ENTRIES if entry.commented]


class RecordingEnviron(dict):
    """An environment that notes every name it is asked about."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.asked: set[str] = set()

    def get(self, name, default=None):
        self.asked.add(name)
        return super().get(name, default)

    def __getitem__(self, name):
        self.asked.add(name)
        return super().__getitem__(name)

    def __contains__(self, name) -> bool:
        self.asked.add(name)
        return super().__contains__(name)


@pytest.fixture(autouse=True)
def in_tmp_cwd(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The generated `.webui_secret_key` and a relative DATA_DIR land here."""
    monkeypatch.chdir(tmp_path)


def python_reads(monkeypatch: pytest.MonkeyPatch) -> set[str]:
    """The names `Settings.from_environ` asks its environment for.

    It copies the environment it is given into a plain dict first, so the copy is
    made with the recording class instead, through the module's own `dict` name.
    """
    made: list[RecordingEnviron] = []

    def recording(*args, **kwargs) -> RecordingEnviron:
        made.append(RecordingEnviron(*args, **kwargs))
        return made[-1]

    monkeypatch.setattr(python_env, "dict", recording, raising=False)
    Settings.from_environ({})
    assert made, "Settings.from_environ no longer copies its environment with dict()"
    return set().union(*(environ.asked for environ in made))


def test_every_variable_is_listed_once_with_a_comment_above_it():
    names = [entry.name for entry in ENTRIES]
    assert len(names) == len(set(names)), names
    for entry in ENTRIES:
        assert entry.comment.startswith("# "), f"line {entry.line}: no comment above"
        assert len(entry.comment) > len("# "), f"line {entry.line}: empty comment"


def test_names_are_those_the_python_settings_read(monkeypatch: pytest.MonkeyPatch):
    assert {entry.name for entry in ENTRIES} == python_reads(monkeypatch)


def python_named_reads() -> set[str]:
    """The literal names `env.py` passes to its readers, as `RUST_READ` finds Rust's.

    Only the name argument counts: a default such as `NORMAL` is upper case too.
    """
    names = set()
    for node in ast.walk(ast.parse(PYTHON_ENV.read_text(encoding="utf-8"))):
        if not isinstance(node, ast.Call):
            continue
        if isinstance(node.func, ast.Attribute) and node.func.attr == "get":
            position = 0
        elif isinstance(node.func, ast.Name) and node.func.id in ("flag", "choice"):
            position = 1
        else:
            continue
        name = node.args[position] if len(node.args) > position else None
        if (
            isinstance(name, ast.Constant)
            and isinstance(name.value, str)
            and ENV_NAME.fullmatch(name.value)
        ):
            names.add(name.value)
    return names


def test_every_name_in_python_env_is_read_with_no_variable_set(
    monkeypatch: pytest.MonkeyPatch,
):
    """Guards the recording: a name read only on some path would be missed by it."""
    assert python_named_reads() == python_reads(monkeypatch)


def test_names_are_those_the_rust_settings_read():
    if not RUST_ENV.is_file():
        pytest.fail(
            f"{RUST_ENV.relative_to(ROOT)} is missing: the Rust backend reads its "
            "settings there, and .env.example must list exactly what it reads"
        )
    rust = set(RUST_READ.findall(RUST_ENV.read_text(encoding="utf-8")))
    assert {entry.name for entry in ENTRIES} == rust


@pytest.mark.parametrize("entry", SET, ids=lambda entry: entry.name)
def test_listed_value_is_the_default(entry: Entry):
    """Setting the variable to the listed value changes nothing."""
    assert Settings.from_environ({entry.name: entry.value}) == Settings.from_environ({})


@pytest.mark.parametrize(
    "entry", [e for e in UNSET if e.value], ids=lambda entry: entry.name
)
def test_commented_example_is_accepted_and_changes_the_settings(entry: Entry):
    example = Settings.from_environ({entry.name: entry.value})
    assert example != Settings.from_environ({})


@pytest.mark.parametrize(
    "entry", [e for e in UNSET if not e.value], ids=lambda entry: entry.name
)
def test_commented_empty_variable_is_refused_when_set_empty(entry: Entry):
    """Left commented because, set as written, it would stop the start."""
    with pytest.raises(ValueError, match="empty"):
        Settings.from_environ({entry.name: ""})
