# /// script
# requires-python = ">=3.11"
# dependencies = ["nox==2026.10.20", "uv==0.13.9"]
# ///
"""Every task of the handbook: `nox` runs what CI runs, `nox -s NAME` runs one.

Without nox installed, `python3 noxfile.py` does the same: it installs the nox pinned
above into `.nox/_bootstrap` first.
"""

import shutil
import sys
from pathlib import Path

try:
    import nox
except ModuleNotFoundError:
    if __name__ != "__main__":
        raise
    from tools.nox_bootstrap import run_pinned_nox

    run_pinned_nox(sys.argv[1:])

nox.needs_version = ">=2026.10.20"
nox.options.default_venv_backend = "uv|virtualenv"
nox.options.error_on_external_run = True
nox.options.sessions = ["lint", "rust", "docs", "tests"]
# Reuse session environments: `uv sync --locked` makes each one exact again anyway.
nox.options.reuse_venv = "yes"

# Quiets mkdocs-material's notice about MkDocs 2; this site pins MkDocs 1.6.
DOCS_ENV = {"NO_MKDOCS_2_WARNING": "1"}


def install(session: nox.Session, *groups: str) -> None:
    """Install the dependency groups at the versions in uv.lock, and nothing else."""
    if session.venv_backend != "uv":
        session.install("uv")
    session.run_install(
        "uv",
        "sync",
        "--locked",
        "--no-default-groups",
        *(f"--group={group}" for group in groups),
        env={"UV_PROJECT_ENVIRONMENT": session.virtualenv.location},
    )


@nox.session
def lint(session: nox.Session) -> None:
    """Ruff on every Python file, shellcheck on `.ci/run`, the workflow's schema."""
    install(session, "lint")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")
    session.run("shellcheck", ".ci/run")
    # The schema check is offline; the workflow itself only ever runs on GitHub.
    session.run(
        "check-jsonschema",
        "--builtin-schema=vendor.github-workflows",
        ".github/workflows/ci.yml",
    )


@nox.session(venv_backend="none")
def rust(session: nox.Session) -> None:
    """Cargo: `fmt --check`, `clippy -D warnings` and the tests of every crate."""
    if shutil.which("cargo") is None:
        session.error(
            "cargo is not on PATH. The Rust checks are part of every run and are never "
            "skipped: install Rust with rustup (https://rustup.rs), then run nox again."
        )
    session.run("cargo", "fmt", "--all", "--check", external=True)
    lints = ["--workspace", "--all-targets", "--locked", "--", "-D", "warnings"]
    session.run("cargo", "clippy", *lints, external=True)
    session.run("cargo", "test", "--workspace", "--locked", external=True)


@nox.session
def docs(session: nox.Session) -> None:
    """Build the site into `site/` with `mkdocs build --strict`."""
    install(session, "docs")
    session.run("mkdocs", "build", "--strict", "--site-dir", "site", env=DOCS_ENV)


@nox.session
def serve(session: nox.Session) -> None:
    """Serve the site at http://127.0.0.1:8000, rebuilding it as files change."""
    install(session, "docs")
    session.run(
        "mkdocs",
        "serve",
        "--strict",
        "--dev-addr",
        "127.0.0.1:8000",
        *session.posargs,
        env=DOCS_ENV,
    )


# The contract suite's targets in a plain run: the Python backend on SQLite, and on
# PostgreSQL with Redis (revocation on signout).
DEFAULT_TARGETS = ("python", "python+postgres+redis")
BACKEND_DIR = "examples/python-backend"
# Not `.nox/upstream`: that is the session's own venv, which runs pytest.
UPSTREAM_VENV = ".nox/open-webui-0.12.4"
UPSTREAM_REQUIREMENTS = "tests/upstream-requirements.txt"
COVERAGE_FLOOR = 90


@nox.session
def tests(session: nox.Session) -> None:
    """Pytest: snippets, the docs checks, backend units and the contract suite.

    The backend's coverage counts the contract suite's server processes too, and the
    session fails below the floor. Interop needs two implementations: `nox -s upstream`.
    """
    install(session, "tests")
    session.run("coverage", "erase")
    targets = [f"--target={target}" for target in DEFAULT_TARGETS]
    session.run(
        "coverage",
        "run",
        "-m",
        "pytest",
        "--ignore=tests/interop",
        *targets,
        *session.posargs,
        env={
            "CONTRACT_BACKEND_COVERAGE": str(Path("pyproject.toml").resolve()),
            "COVERAGE_FILE": str(Path(".coverage").resolve()),
        },
    )
    session.run("coverage", "combine", "--quiet")
    session.run("coverage", "report", f"--fail-under={COVERAGE_FLOOR}")


@nox.session(name="backend-python")
def backend_python(session: nox.Session) -> None:
    """Run the FastAPI reference backend in the foreground, configured by env."""
    install(session, "backend")
    session.chdir(BACKEND_DIR)
    session.run("python", "-m", "reference_backend", *session.posargs)


@nox.session
def upstream(session: nox.Session) -> None:
    """Install Open WebUI 0.12.4 (several GB) and pass the contract suite against it.

    Also runs the interop tests: upstream and the Python backend on one database.
    """
    install(session, "tests")
    python = f"{UPSTREAM_VENV}/bin/python"
    if not Path(python).exists():
        session.run("uv", "venv", "--python=python3.11", UPSTREAM_VENV)
    session.run(
        "uv",
        "pip",
        "sync",
        f"--python={python}",
        "--require-hashes",
        UPSTREAM_REQUIREMENTS,
    )
    targets = ("upstream", "upstream+redis", "python")
    session.run(
        "pytest",
        "tests/contract",
        "tests/interop",
        *(f"--target={target}" for target in targets),
        *session.posargs,
        env={"CONTRACT_UPSTREAM_VENV": str(Path(UPSTREAM_VENV).resolve())},
    )


@nox.session(name="upstream-lock", venv_backend="none")
def upstream_lock(session: nox.Session) -> None:
    """Pin `tests/upstream.in` again, with hashes, into the requirements file."""
    session.run(
        sys.executable,
        "-m",
        "uv",
        "pip",
        "compile",
        "--python-version=3.11",
        "--python-platform=x86_64-manylinux_2_28",
        "--generate-hashes",
        "--quiet",
        "tests/upstream.in",
        f"--output-file={UPSTREAM_REQUIREMENTS}",
    )


@nox.session(venv_backend="none")
def data(session: nox.Session) -> None:
    """Regenerate the committed counts the site shows (`docs/data/`)."""
    session.run(sys.executable, "tools/block_audit.py", "--write")


@nox.session(name="vendor-mermaid", venv_backend="none")
def vendor_mermaid(session: nox.Session) -> None:
    """Fetch a Mermaid release from npm into the site: `-- VERSION` names it."""
    if len(session.posargs) != 1:
        session.error("give the version: nox -s vendor-mermaid -- VERSION")
    session.run(sys.executable, "tools/vendor_mermaid.py", *session.posargs)


if __name__ == "__main__":
    nox.main()
