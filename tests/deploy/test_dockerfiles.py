"""The two Dockerfiles, which hadolint lints (`nox -s lint`) and nothing here builds.

These tests check what a build would trip over first: every path a Dockerfile copies
exists in the build context (the repository root) and survives `.dockerignore`, the
Rust build gets the whole workspace, the Python build installs the locked backend
group, and both images serve the way `.env.example` and the docs say.
"""

import ast
import re
import shlex
import subprocess
import tomllib
from pathlib import Path

import pytest

from nox_bootstrap import script_dependencies

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILES = {
    "python": ROOT / "examples/python-backend/Dockerfile",
    "rust": ROOT / "examples/rust-backend/Dockerfile",
}
DOCKERIGNORE = ROOT / ".dockerignore"
INCLUDE_MACRO = re.compile(r'include_(?:str|bytes)!\(\s*"([^"]+)"\s*\)')
UV_PIN = re.compile(r"uv==([\w.]+)")
DATA_DIR = "/app/data"

Instruction = tuple[str, str]


def instructions(path: Path) -> list[Instruction]:
    """(KEYWORD, arguments) per instruction: continuations joined, comments dropped."""
    found: list[Instruction] = []
    current = ""
    for line in path.read_text(encoding="utf-8").splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if stripped.endswith("\\"):
            current += stripped[:-1] + " "
            continue
        keyword, _, rest = (current + stripped).partition(" ")
        found.append((keyword.upper(), rest.strip()))
        current = ""
    assert not current, f"{path.name} ends inside an instruction"
    return found


def stages(path: Path) -> list[list[Instruction]]:
    """The instructions of each build stage, from its FROM on."""
    result: list[list[Instruction]] = []
    for instruction in instructions(path):
        if instruction[0] == "FROM":
            result.append([])
        result[-1].append(instruction)
    return result


def arguments(stage: list[Instruction], keyword: str) -> list[str]:
    return [args for key, args in stage if key == keyword]


def copied_from_context(path: Path) -> list[str]:
    """The build-context paths of every COPY without `--from`."""
    sources = []
    for args in arguments(instructions(path), "COPY"):
        words = shlex.split(args)
        if any(word.startswith("--from=") for word in words):
            continue
        sources += [word for word in words if not word.startswith("--")][:-1]
    return sources


def env_values(stage: list[Instruction]) -> dict[str, str]:
    pairs = (
        word.partition("=") for args in arguments(stage, "ENV") for word in args.split()
    )
    return {name: value for name, _, value in pairs}


def ignore_patterns() -> list[re.Pattern[str]]:
    """`.dockerignore` as regexes, with Docker's meaning of `*`, `?` and `**`."""
    patterns = []
    for line in DOCKERIGNORE.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        assert not line.startswith("!"), "exceptions are not understood by this test"
        pattern, regex, index = line.strip("/"), "", 0
        while index < len(pattern):
            if pattern.startswith("**/", index):
                regex, index = regex + "(?:.*/)?", index + 3
            elif pattern.startswith("**", index):
                regex, index = regex + ".*", index + 2
            elif pattern[index] in "*?":
                regex += "[^/]*" if pattern[index] == "*" else "[^/]"
                index += 1
            else:
                regex, index = regex + re.escape(pattern[index]), index + 1
        patterns.append(re.compile(regex))
    return patterns


def ignored(relative: str) -> bool:
    """Whether Docker leaves the path out: a pattern matches it or a parent of it."""
    parts = relative.split("/")
    prefixes = ["/".join(parts[:end]) for end in range(1, len(parts) + 1)]
    return any(p.fullmatch(prefix) for p in ignore_patterns() for prefix in prefixes)


def source_files(relative: str) -> list[str]:
    """The files under a path that git tracks or would track: the sources, not the
    build outputs and local state that .gitignore names."""
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", relative],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return [line for line in listed.stdout.splitlines() if (ROOT / line).is_file()]


def noxfile_constant(name: str) -> object:
    tree = ast.parse((ROOT / "noxfile.py").read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.Assign) and ast.unparse(node.targets[0]) == name:
            return ast.literal_eval(node.value)
    raise AssertionError(f"noxfile.py has no {name}")


def env_example_default(name: str) -> str:
    text = (ROOT / ".env.example").read_text(encoding="utf-8")
    (value,) = re.findall(rf"^{name}=(.*)$", text, flags=re.MULTILINE)
    return value


def test_the_lint_session_lints_every_dockerfile():
    found = {str(p.relative_to(ROOT)) for p in ROOT.glob("examples/*/Dockerfile")}
    assert set(noxfile_constant("DOCKERFILES")) == found
    assert found == {str(p.relative_to(ROOT)) for p in DOCKERFILES.values()}


@pytest.mark.parametrize("path", [".git/HEAD", "target/debug/x", ".nox/lint/bin/ruff"])
def test_dockerignore_leaves_out_build_outputs(path: str):
    assert ignored(path)


@pytest.mark.parametrize(
    "path",
    [
        ".venv/bin/python",
        "site/index.html",
        "data/webui.db",
        "examples/python-backend/data/webui.db",
        "examples/rust-backend/.webui_secret_key",
        ".env",
    ],
)
def test_dockerignore_leaves_out_local_state(path: str):
    assert ignored(path)


@pytest.mark.parametrize("impl", sorted(DOCKERFILES))
def test_everything_copied_is_in_the_build_context(impl: str):
    for source in copied_from_context(DOCKERFILES[impl]):
        files = source_files(source)
        assert files, f"{source}: nothing to copy"
        assert [f for f in files if ignored(f)] == [], f"{source}: .dockerignore drops"


def test_the_rust_build_gets_the_whole_workspace():
    copied = copied_from_context(DOCKERFILES["rust"])

    def within(path: str) -> bool:
        return any(
            path == source or path.startswith(source.rstrip("/") + "/")
            for source in copied
        )

    assert within("Cargo.toml")
    assert within("Cargo.lock")
    workspace = tomllib.loads((ROOT / "Cargo.toml").read_text(encoding="utf-8"))
    members = workspace["workspace"]["members"]
    assert [member for member in members if not within(member)] == []
    # Files the crates compile in from elsewhere in the repository.
    missing = []
    for member in members:
        for rust_file in sorted((ROOT / member).rglob("*.rs")):
            text = rust_file.read_text(encoding="utf-8")
            for include in INCLUDE_MACRO.findall(text):
                target = (rust_file.parent / include).resolve()
                inside = target.is_relative_to(ROOT) and target.is_file()
                if not (inside and within(target.relative_to(ROOT).as_posix())):
                    missing.append(f"{rust_file.relative_to(ROOT)}: {include}")
    assert missing == []


def test_the_rust_build_makes_the_binary_the_image_runs():
    manifest = tomllib.loads(
        (ROOT / "examples/rust-backend/Cargo.toml").read_text(encoding="utf-8")
    )
    (binary,) = (target["name"] for target in manifest["bin"])
    package = manifest["package"]["name"]
    builder, runtime = stages(DOCKERFILES["rust"])
    assert builder[0][1].startswith("rust:1.95-slim-bookworm ")
    (build,) = (args for args in arguments(builder, "RUN") if "cargo build" in args)
    assert f"cargo build --release -p {package} --locked" in build
    assert f"target/release/{binary} /usr/local/bin/{binary}" in build
    assert runtime[0][1] == "debian:bookworm-slim"
    assert arguments(runtime, "CMD") == [f'["/usr/local/bin/{binary}"]']


def test_the_python_build_installs_the_locked_backend_group():
    builder, runtime = stages(DOCKERFILES["python"])
    text = DOCKERFILES["python"].read_text(encoding="utf-8")
    # The uv that runs every nox session, from the noxfile's own pins.
    pinned = [UV_PIN.fullmatch(d) for d in script_dependencies()]
    assert UV_PIN.findall(text) == [m[1] for m in pinned if m]
    assert "pyproject.toml uv.lock ./" in arguments(builder, "COPY")
    groups = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert "backend" in groups["dependency-groups"]
    assert any(
        "uv sync --locked --no-default-groups --group backend" in args
        for args in arguments(builder, "RUN")
    )
    assert runtime[0][1] == builder[0][1].removesuffix(" AS builder")
    assert arguments(runtime, "CMD") == ['["python", "-m", "reference_backend"]']


@pytest.mark.parametrize("impl", sorted(DOCKERFILES))
def test_the_image_serves_as_the_docs_say(impl: str):
    runtime = stages(DOCKERFILES[impl])[-1]
    assert arguments(runtime, "EXPOSE") == [env_example_default("PORT")]
    assert env_values(runtime)["DATA_DIR"] == DATA_DIR
    assert arguments(runtime, "VOLUME") == [f'["{DATA_DIR}"]']
    (user,) = arguments(runtime, "USER")
    assert re.fullmatch(r"[1-9][0-9]*:[1-9][0-9]*", user), "not root, by number"
