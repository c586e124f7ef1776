"""The handbook's model provider, started for a test: an OpenAI-compatible server.

`running_provider` starts `examples/model-provider` on a free port of 127.0.0.1 and
stops it afterwards; `openai_connection_env` is what points a server at it. Its reply
to a chat request is built from the request alone, so a test can know the text.
"""

import os
import subprocess
import time
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from server_process import PASSED_THROUGH, free_port, start, stop

READY_TIMEOUT = 20.0
LOG_TAIL_LINES = 40


@dataclass(frozen=True)
class Provider:
    """A running provider: where it answers and what it serves."""

    # http://127.0.0.1:PORT/v1, the form of an OpenAI base URL.
    base_url: str
    models: tuple[str, ...]
    # None when the provider accepts requests without a key.
    api_key: str | None
    log_path: Path

    def headers(self) -> dict[str, str]:
        """The Authorization header the provider expects, if it expects one."""
        return {"Authorization": f"Bearer {self.api_key}"} if self.api_key else {}

    def log_tail(self, lines: int = LOG_TAIL_LINES) -> str:
        text = (
            self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
        )
        return "\n".join(text.splitlines()[-lines:])


def provider_binary() -> str:
    """The binary named by CONTRACT_PROVIDER_BINARY; the test fails if it is missing."""
    binary = os.environ.get("CONTRACT_PROVIDER_BINARY", "")
    if not Path(binary).is_file() or not os.access(binary, os.X_OK):
        pytest.fail(
            "the model provider needs its binary: run `nox -s tests`, or "
            "`cargo build -p model-provider` and set CONTRACT_PROVIDER_BINARY to "
            f"target/debug/model-provider (CONTRACT_PROVIDER_BINARY={binary!r})"
        )
    return binary


def wait_until_ready(process: subprocess.Popen, provider: Provider) -> None:
    """Poll `GET /models` until it answers 200; fail with the log if it never does.

    Not `contract.servers.wait_until`: the contract suite starts providers through
    this module, which therefore cannot import it.
    """
    deadline = time.monotonic() + READY_TIMEOUT
    with httpx.Client(base_url=provider.base_url, headers=provider.headers()) as probe:
        while time.monotonic() < deadline:
            if process.poll() is not None:
                pytest.fail(
                    f"the model provider exited with code {process.returncode}; "
                    f"log tail:\n{provider.log_tail()}"
                )
            try:
                if probe.get("/models").status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.05)
    pytest.fail(
        f"the model provider was not ready within {READY_TIMEOUT:.0f} s; "
        f"log tail:\n{provider.log_tail()}"
    )


@contextmanager
def running_provider(
    workdir: Path,
    *,
    models: Sequence[str] = ("handbook-echo",),
    tokens: int | None = None,
    delay_ms: int | None = None,
    api_key: str | None = None,
) -> Iterator[Provider]:
    """Start a provider logging to `workdir`; stop it when the block ends.

    `tokens` and `delay_ms` default to the provider's own defaults (8 tokens, 20 ms
    apart); with `api_key`, every request must carry it as a Bearer token.
    """
    binary = provider_binary()
    workdir.mkdir(parents=True, exist_ok=True)
    port = free_port()
    settings = {
        "PROVIDER_MODELS": ",".join(models),
        "PROVIDER_TOKENS": tokens,
        "PROVIDER_DELAY_MS": delay_ms,
        "PROVIDER_API_KEY": api_key,
    }
    env = {name: os.environ[name] for name in PASSED_THROUGH if name in os.environ}
    env |= {name: str(value) for name, value in settings.items() if value is not None}
    env["PORT"] = str(port)
    provider = Provider(
        base_url=f"http://127.0.0.1:{port}/v1",
        models=tuple(models),
        api_key=api_key,
        log_path=workdir / "provider.log",
    )
    with ExitStack() as stack:
        log = stack.enter_context(provider.log_path.open("ab"))
        process = start([binary], workdir, env, log)
        stack.callback(stop, process)
        wait_until_ready(process, provider)
        yield provider


def openai_connection_env(provider: Provider) -> dict[str, str]:
    """The Open WebUI settings that make `provider` its one OpenAI connection."""
    return {
        "ENABLE_OPENAI_API": "true",
        "OPENAI_API_BASE_URLS": provider.base_url,
        "OPENAI_API_KEYS": provider.api_key or "",
    }
