# /// script
# requires-python = ">=3.11"
# dependencies = ["nox==2026.10.20", "uv==0.13.9"]
# ///
"""Every task of the handbook: `nox` runs what CI runs, `nox -s NAME` runs one.

Without nox installed, `python3 noxfile.py` does the same: it installs the nox pinned
above into `.nox/_bootstrap` first.
"""

import os
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
nox.options.sessions = ["lint", "rust", "docs", "tests", "upstream"]
# Reuse session environments: `uv sync --locked` makes each one exact again anyway.
nox.options.reuse_venv = "yes"

# Quiets mkdocs-material's notice about MkDocs 2; this site pins MkDocs 1.6.
DOCS_ENV = {"NO_MKDOCS_2_WARNING": "1"}
# Linted by hadolint; no session builds them (that needs a Docker engine).
DOCKERFILES = ("examples/python-backend/Dockerfile", "examples/rust-backend/Dockerfile")
# The Rust reference backend: its cargo package, which builds a binary of that name.
RUST_PACKAGE = "reference-backend"
RUST_BACKEND_DIR = "examples/rust-backend"
# The OpenAI-compatible model provider that `+provider` targets connect.
PROVIDER_PACKAGE = "model-provider"


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
    """Ruff, shellcheck on `.ci/run`, hadolint on the Dockerfiles, the CI schema."""
    install(session, "lint")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")
    session.run("shellcheck", ".ci/run")
    session.run("hadolint", *DOCKERFILES)
    # The schema check is offline; the workflow itself only ever runs on GitHub.
    session.run(
        "check-jsonschema",
        "--builtin-schema=vendor.github-workflows",
        ".github/workflows/ci.yml",
    )


def require_cargo(session: nox.Session) -> None:
    """Stop the session, saying why, when cargo is missing: nothing Rust is skipped."""
    if shutil.which("cargo") is None:
        session.error(
            "cargo is not on PATH. The Rust checks and the Rust backend are part of "
            "every run and are never skipped: install Rust with rustup "
            "(https://rustup.rs), then run nox again."
        )


def build_rust_binaries(
    session: nox.Session, *packages: str, release: bool = False
) -> list[Path]:
    """`cargo build` these packages; return their binaries' absolute paths."""
    require_cargo(session)
    profile = ["--release"] if release else []
    selected = [f"--package={package}" for package in packages]
    session.run("cargo", "build", *profile, *selected, "--locked", external=True)
    target_dir = Path(os.environ.get("CARGO_TARGET_DIR", "target"))
    built = target_dir / ("release" if release else "debug")
    return [(built / package).resolve() for package in packages]


def build_test_servers(session: nox.Session) -> dict[str, str]:
    """Build the Rust twin and the model provider; name them as the suites read them."""
    backend, provider = build_rust_binaries(session, RUST_PACKAGE, PROVIDER_PACKAGE)
    return {
        "CONTRACT_RUST_BINARY": str(backend),
        "CONTRACT_PROVIDER_BINARY": str(provider),
    }


# rustdoc of the Rust backend, generated into the docs so that the site links to it.
RUSTDOC_DIR = Path("docs/reference/rustdoc")


def build_rustdoc(session: nox.Session) -> None:
    """`cargo doc` the Rust backend into `docs/reference/rustdoc/` (not committed)."""
    require_cargo(session)
    session.run(
        "cargo", "doc", "--no-deps", "--locked", "-p", RUST_PACKAGE, external=True
    )
    built = Path(os.environ.get("CARGO_TARGET_DIR", "target")) / "doc"
    shutil.rmtree(RUSTDOC_DIR, ignore_errors=True)
    shutil.copytree(built, RUSTDOC_DIR)
    # rustdoc ships its font licences as Markdown; MkDocs would render them as pages.
    for licence in RUSTDOC_DIR.rglob("*.md"):
        licence.rename(licence.with_suffix(".txt"))


@nox.session(venv_backend="none")
def rust(session: nox.Session) -> None:
    """Cargo: `fmt --check`, `clippy -D warnings` and the tests of every crate."""
    require_cargo(session)
    session.run("cargo", "fmt", "--all", "--check", external=True)
    lints = ["--workspace", "--all-targets", "--locked", "--", "-D", "warnings"]
    session.run("cargo", "clippy", *lints, external=True)
    session.run("cargo", "test", "--workspace", "--locked", external=True)


@nox.session
def docs(session: nox.Session) -> None:
    """Build the site into `site/` with `mkdocs build --strict`, rustdoc included."""
    install(session, "docs")
    build_rustdoc(session)
    session.run("mkdocs", "build", "--strict", "--site-dir", "site", env=DOCS_ENV)


@nox.session
def serve(session: nox.Session) -> None:
    """Serve the site at http://127.0.0.1:8000, rebuilding it as files change."""
    install(session, "docs")
    build_rustdoc(session)
    session.run(
        "mkdocs",
        "serve",
        "--strict",
        "--dev-addr",
        "127.0.0.1:8000",
        *session.posargs,
        env=DOCS_ENV,
    )


# The contract suite's targets in a plain run: each reference backend on SQLite alone,
# as a real deployment runs it: on PostgreSQL, with Redis (revocation on signout) and a
# model provider connected (the completion path), and with its hardening options on.
# Interop pairs the two backends.
DEFAULT_TARGETS = (
    "python",
    "python+postgres+redis+provider",
    "python+hardened",
    "rust",
    "rust+postgres+redis+provider",
    "rust+postgres+hardened",
)
BACKEND_DIR = "examples/python-backend"
# Not `.nox/upstream`: that is the session's own venv, which runs pytest.
UPSTREAM_VENV = ".nox/open-webui-0.12.4"
UPSTREAM_REQUIREMENTS = "tests/upstream-requirements.txt"
COVERAGE_FLOOR = 90


@nox.session
def tests(session: nox.Session) -> None:
    """Pytest: snippets, docs checks, backend units, the contract suite and interop.

    Builds the Rust backend first: the contract suite runs on both backends, and the
    interop suite runs them on one database, each way. The Python backend's coverage
    counts the server processes too, and the session fails below the floor.
    """
    install(session, "tests")
    servers = build_test_servers(session)
    build_rustdoc(session)  # the docs tests build the site, which links to it
    session.run("coverage", "erase")
    targets = [f"--target={target}" for target in DEFAULT_TARGETS]
    session.run(
        "coverage",
        "run",
        "-m",
        "pytest",
        *targets,
        *session.posargs,
        env={
            "CONTRACT_BACKEND_COVERAGE": str(Path("pyproject.toml").resolve()),
            "COVERAGE_FILE": str(Path(".coverage").resolve()),
            **servers,
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


@nox.session(name="backend-rust", venv_backend="none")
def backend_rust(session: nox.Session) -> None:
    """Run the Rust reference backend (a release build) in the foreground, by env."""
    (binary,) = build_rust_binaries(session, RUST_PACKAGE, release=True)
    session.chdir(RUST_BACKEND_DIR)
    session.run(str(binary), *session.posargs, external=True)


# The contract targets beside Open WebUI: each implementation as a real deployment runs
# it, with a model provider connected, and Open WebUI with Redis.
UPSTREAM_TARGETS = (
    "upstream+provider",
    "upstream+redis",
    "python+provider",
    "rust+provider",
)


@nox.session
def upstream(session: nox.Session) -> None:
    """Install Open WebUI 0.12.4 (several GB) and pass the contract suite against it.

    Also runs the interop tests (upstream and both backends, each pair on one database,
    in every direction) and the browser flow through Open WebUI's own frontend, with
    and without the twin behind the parallel-run proxy.
    """
    install(session, "tests")
    servers = build_test_servers(session)
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
    session.run(
        "pytest",
        "tests/contract",
        "tests/interop",
        "tests/frontend",
        *(f"--target={target}" for target in UPSTREAM_TARGETS),
        # `tests` repeats the races and crash rounds 20 times on each twin and
        # database; here they run a few times beside Open WebUI's.
        "--repetitions=3",
        *session.posargs,
        env={"CONTRACT_UPSTREAM_VENV": str(Path(UPSTREAM_VENV).resolve()), **servers},
    )


# What the Security and reliability page reports: these contract modules on each twin,
# on SQLite and on PostgreSQL, and with the hardening options on. tools/reliability.py
# refuses a run of anything less.
RELIABILITY_MODULES = (
    "tests/contract/test_hostile_tokens.py",
    "tests/contract/test_hostile_input.py",
    "tests/contract/test_races.py",
    "tests/contract/test_crashes.py",
    "tests/contract/test_shutdown.py",
    "tests/contract/test_signin_timing.py",
    "tests/contract/test_schema_fuzz.py",
)
RELIABILITY_TARGETS = (
    "python",
    "rust",
    "python+postgres",
    "rust+postgres",
    "python+hardened",
    "rust+hardened",
)


@nox.session
def reliability(session: nox.Session) -> None:
    """Run the hostile, race, crash, shutdown, timing and fuzzing tests; write figures.

    Writes `docs/data/reliability.json`, which the Security and reliability page shows,
    from the run's JUnit file; a run with a failed or missing test writes nothing.
    """
    install(session, "tests")
    servers = build_test_servers(session)
    junit = Path(session.create_tmp()).resolve() / "reliability.xml"
    session.run(
        "pytest",
        *RELIABILITY_MODULES,
        *(f"--target={target}" for target in RELIABILITY_TARGETS),
        f"--junitxml={junit}",
        # xunit1 keeps the properties a test records (the fuzzing counts) without
        # the warning xunit2 gives, which this suite's settings make an error.
        "-o",
        "junit_family=xunit1",
        *session.posargs,
        env=servers,
    )
    session.run("python", "tools/reliability.py", f"--junit={junit}", "--write")


# What `nox -s contention` repeats beside a CPU hog: the contract suite on each twin,
# where a dropped keep-alive connection showed once under load.
CONTENTION_ARGS = ("tests/contract", "--target=python", "--target=rust")


@nox.session
def contention(session: nox.Session) -> None:
    """Run the contract suite ten times back to back beside a CPU hog; count failures.

    `-- ARGS` replaces the pytest arguments, e.g. `-- tests/contract --target=rust`.
    """
    install(session, "tests")
    servers = build_test_servers(session)
    session.run(
        "python",
        "tools/contention.py",
        "--runs=10",
        "--",
        *(session.posargs or CONTENTION_ARGS),
        env=servers,
    )


@nox.session
def bench(session: nox.Session) -> None:
    """Measure both backends with wrk; write `docs/data/bench/`, redraw the charts.

    Needs Debian's wrk. `-- --quick` tries the harness out with short runs; the site
    never shows such a run. `-- --charts-only` redraws the charts from the shown run.
    """
    install(session, "bench")
    require_cargo(session)
    # The twin and the hello-world ceiling, and the twin's own password-check timer.
    binaries = ["--bin=reference-backend", "--bin=hello-world", "--example=verify_rate"]
    session.run(
        "cargo",
        "build",
        "--release",
        "--locked",
        "--workspace",
        *binaries,
        external=True,
    )
    build_rustdoc(session)  # the run times the site's build, which links to it
    session.run(
        "python",
        "-m",
        "bench",
        *session.posargs,
        env={"PYTHONPATH": os.pathsep.join(["tools", BACKEND_DIR])},
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
