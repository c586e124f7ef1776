"""Real server processes for the suites: started on 127.0.0.1, stopped afterwards.

Every implementation runs as a separate process with a fresh DATA_DIR, so a test sees
exactly what a client would, and no test leaves state in another server.
"""

import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path

import httpx
import pytest
from support.provider import Provider, openai_connection_env, running_provider

from server_process import free_port, server_env, start, stop

from .stores import REDIS_URL, postgres_database, redis_namespace
from .targets import Target

ROOT = Path(__file__).resolve().parents[2]
PYTHON_BACKEND = ROOT / "examples" / "python-backend"

# Open WebUI imports torch and runs its migrations before it answers: it needs longer.
READY_TIMEOUT = {"python": 60.0, "rust": 60.0, "upstream": 180.0}
LOG_TAIL_LINES = 60

# Keeps Open WebUI off the network and off the local embedding model: the contract is
# about auth, users, chats and models, and must not depend on downloads.
UPSTREAM_ENV = {
    "OFFLINE_MODE": "true",
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "ENABLE_OLLAMA_API": "false",
    "ENABLE_OPENAI_API": "false",
    "RAG_EMBEDDING_ENGINE": "openai",
    "RAG_EMBEDDING_MODEL_AUTO_UPDATE": "false",
    "RAG_RERANKING_MODEL_AUTO_UPDATE": "false",
    "ENABLE_VERSION_UPDATE_CHECK": "false",
    "ANONYMIZED_TELEMETRY": "false",
    "DO_NOT_TRACK": "true",
    "SCARF_NO_ANALYTICS": "true",
}


# A `+provider` target's provider wants this key, so a backend that sends none or the
# wrong one fails. The outbound timeouts are short so that the tests of a slow model
# list and a provider that never answers finish fast; every implementation reads them
# (Open WebUI's defaults: 300 s for a request, 10 s for a connection's model list).
PROVIDER_KEY = "sk-contract-provider"
PROVIDER_TIMEOUTS = {
    "AIOHTTP_CLIENT_TIMEOUT": "5",
    "AIOHTTP_CLIENT_TIMEOUT_MODEL_LIST": "2",
}

# A `+hardened` target: every hardening option of the twins on, as `.env.example`
# documents them. The body limit leaves room for the suite's 1 MB title and refuses
# its 10 MB chat.
HARDENED_ENV = {
    "WEBUI_AUTH_REQUIRE_TOKEN_EXPIRY": "true",
    "WEBUI_AUTH_BEARER_ONLY": "true",
    "WEBUI_AUTH_REVOCATION_TABLE": "true",
    "WEBUI_AUTH_STRICT_EMAILS": "true",
    "WEBUI_AUTH_STRICT_ROLES": "true",
    "PASSWORD_HASH_ALGORITHM": "argon2",
    "MAX_REQUEST_BODY_SIZE": str(4 * 1024 * 1024),
}


@dataclass(frozen=True)
class Server:
    """A running server and where its state lives."""

    target: Target
    base_url: str
    data_dir: Path
    log_path: Path
    secret: str
    # None means SQLite in data_dir, the default.
    database_url: str | None
    # The model provider it is connected to, on a `+provider` target.
    provider: Provider | None = None
    # The process, whose id is also its group's, to signal; set once it runs.
    process: subprocess.Popen | None = field(default=None, compare=False, repr=False)

    @property
    def pid(self) -> int:
        assert self.process is not None, "the server is not started yet"
        return self.process.pid

    def log_tail(self, lines: int = LOG_TAIL_LINES) -> str:
        text = (
            self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
        )
        return "\n".join(text.splitlines()[-lines:])


def command(target: Target, port: int) -> tuple[list[str], dict[str, str], Path | None]:
    """The argv, the implementation's own env and the cwd (None: the server's dir)."""
    if target.impl == "upstream":
        # `nox -s upstream` installs Open WebUI into a venv and names it here.
        venv = os.environ.get("CONTRACT_UPSTREAM_VENV", "")
        executable = Path(venv) / "bin" / "open-webui"
        if not venv or not executable.exists():
            pytest.fail(
                "the upstream target needs Open WebUI 0.12.4: run `nox -s upstream`, "
                "or set CONTRACT_UPSTREAM_VENV to a venv where it is installed"
            )
        argv = [str(executable), "serve", "--host", "127.0.0.1", "--port", str(port)]
        return argv, dict(UPSTREAM_ENV), None
    if target.impl == "rust":
        # `nox -s tests` builds the binary and names it here.
        binary = os.environ.get("CONTRACT_RUST_BINARY", "")
        if not Path(binary).is_file() or not os.access(binary, os.X_OK):
            pytest.fail(
                "the rust target needs the Rust backend's binary: run `nox -s tests`, "
                "or `cargo build -p reference-backend` and set CONTRACT_RUST_BINARY to "
                f"target/debug/reference-backend (CONTRACT_RUST_BINARY={binary!r})"
            )
        return [binary], {}, ROOT
    env = {"PYTHONPATH": str(PYTHON_BACKEND)}
    rcfile = os.environ.get("CONTRACT_BACKEND_COVERAGE")
    if not rcfile:
        return [sys.executable, "-m", "reference_backend"], env, ROOT
    # The server's data joins the test run's: same data file, combined afterwards.
    if "COVERAGE_FILE" in os.environ:
        env["COVERAGE_FILE"] = os.environ["COVERAGE_FILE"]
    coverage = ["-m", "coverage", "run", "--parallel-mode", f"--rcfile={rcfile}"]
    return [sys.executable, *coverage, "-m", "reference_backend"], env, ROOT


def open_webui_url(database_url: str) -> str:
    """DATABASE_URL as Open WebUI needs it, given to every implementation alike.

    Upstream hands the URL to SQLAlchemy, whose default PostgreSQL driver is psycopg2;
    Open WebUI 0.12.4 ships psycopg 3 only, so its URL names that driver. The twins
    take that spelling too, so one .env serves all three.
    """
    return database_url.replace("postgresql://", "postgresql+psycopg://", 1)


def wait_until(
    process: subprocess.Popen,
    ready: Callable[[], bool],
    timeout: float,
    name: str,
    log_tail: Callable[[], str],
) -> None:
    """Poll `ready` until it holds; fail with the log if the process exits or stalls.

    `ready` may raise OSError or httpx.TransportError while the process starts.
    """
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(
                f"{name} exited with code {process.returncode} before it was ready; "
                f"log tail:\n{log_tail()}"
            )
        try:
            if ready():
                return
        except (OSError, httpx.TransportError):
            pass
        time.sleep(0.25)
    pytest.fail(f"{name} was not ready within {timeout:.0f} s; log tail:\n{log_tail()}")


def wait_until_ready(process: subprocess.Popen, server: Server) -> None:
    """Poll `/health` until it answers 200."""
    with httpx.Client(base_url=server.base_url, timeout=2.0) as client:
        wait_until(
            process,
            lambda: client.get("/health").status_code == 200,
            READY_TIMEOUT[server.target.impl],
            server.target.spec,
            server.log_tail,
        )


@contextmanager
def running_server(
    target: Target,
    workdir: Path,
    secret: str,
    extra_env: Mapping[str, str] | None = None,
    data_dir: Path | None = None,
    database_url: str | None = None,
) -> Iterator[Server]:
    """Start one server of `target` in `workdir`; stop it and drop its stores after.

    `data_dir` defaults to a fresh directory; the interop suite passes one shared by two
    servers. `database_url` is the same for a `+postgres` target: a database to use
    instead of a fresh one, left in place after; the crash suite restarts a server on
    what a killed one left. `extra_env` overrides the defaults, for tests that need
    other settings.
    """
    data_dir = data_dir or workdir / "data"
    data_dir.mkdir(parents=True, exist_ok=True)
    port = free_port()
    argv, impl_env, cwd = command(target, port)
    with ExitStack() as stack:
        # API keys are on everywhere, so api-key tests can run; one fresh server
        # turns them off. No OpenAI connection unless the target has a provider:
        # every implementation's default, api.openai.com, would put the network in
        # the contract.
        defaults = {"ENABLE_API_KEYS": "true", "ENABLE_OPENAI_API": "false"}
        env = server_env(port, data_dir, secret, impl_env | defaults)
        if not target.postgres:
            database_url = None
        elif not database_url:
            database_url = stack.enter_context(postgres_database())
        if database_url:
            env["DATABASE_URL"] = open_webui_url(database_url)
        if target.redis:
            prefix = stack.enter_context(redis_namespace())
            env |= {"REDIS_URL": REDIS_URL, "REDIS_KEY_PREFIX": prefix}
        provider = None
        if target.provider:
            provider = stack.enter_context(
                running_provider(workdir / "provider", api_key=PROVIDER_KEY)
            )
            env |= openai_connection_env(provider) | PROVIDER_TIMEOUTS
        if target.hardened:
            env |= HARDENED_ENV
        env |= dict(extra_env or {})
        server = Server(
            target=target,
            base_url=f"http://127.0.0.1:{port}",
            data_dir=data_dir,
            log_path=workdir / "server.log",
            secret=secret,
            database_url=database_url,
            provider=provider,
        )
        log = stack.enter_context(server.log_path.open("ab"))
        process = start(argv, cwd or workdir, env, log)
        stack.callback(stop, process)
        server = replace(server, process=process)
        wait_until_ready(process, server)
        yield server
