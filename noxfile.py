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
    """Ruff on every Python file (lint and format), shellcheck on `.ci/run`."""
    install(session, "lint")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")
    session.run("shellcheck", ".ci/run")


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


@nox.session
def tests(session: nox.Session) -> None:
    """Pytest: snippet tests, the block audit, pytest-examples and the browser test."""
    install(session, "tests")
    session.run("pytest", *session.posargs)


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
