"""The handbook's model provider, started for a test: an OpenAI-compatible server.

`running_provider` starts `examples/model-provider` on a free port of 127.0.0.1 and
stops it afterwards; `openai_connection_env` is what points a server at it. Its reply
to a chat request is built from the request alone, so a test can know the text, and
`Provider.events` reads what it logged: each request it received, and each stream
that ended early.
"""

import json
import os
import subprocess
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from server_process import PASSED_THROUGH, free_port, start, stop

READY_TIMEOUT = 20.0
READY_LINE = "model-provider listening on "
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
        return "\n".join(self._log_lines()[-lines:])

    def _log_lines(self) -> list[str]:
        if not self.log_path.exists():
            return []
        return self.log_path.read_text(errors="replace").splitlines()

    def events(self, kind: str | None = None) -> list[dict]:
        """The JSON lines of the log, oldest first; only those of `kind` if given.

        Kinds: "request" (n, method, path, authorization, body: every request as it
        arrived), "stream_closed" (id, tokens_sent: the client left before the end)
        and "stream_cut" (id, tokens_sent: a `cut_after` directive ended it).
        A completion's id is `chatcmpl-{n}`, n being its request's number.
        """
        events = []
        for line in self._log_lines():
            try:
                event = json.loads(line)
            except ValueError:
                continue  # the ready line, or a line the provider is still writing
            if isinstance(event, dict) and kind in (None, event.get("event")):
                events.append(event)
        return events

    def wait_for_event(
        self, matches: Callable[[dict], bool], timeout: float
    ) -> dict | None:
        """The first logged event that `matches`, polling up to `timeout` seconds."""
        deadline = time.monotonic() + timeout
        while True:
            found = next(filter(matches, self.events()), None)
            if found is not None or time.monotonic() >= deadline:
                return found
            time.sleep(0.02)


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


def wait_until_ready(
    process: subprocess.Popen, provider: Provider, log_offset: int
) -> None:
    """Wait for the line the provider prints once it listens; fail with the log if
    it exits or never prints it.

    The line, not a probe request: a probe would fill the request log, and a provider
    started with a slow model list would answer it late. `log_offset` skips what an
    earlier provider wrote to the same log.
    """
    deadline = time.monotonic() + READY_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(
                f"the model provider exited with code {process.returncode}; "
                f"log tail:\n{provider.log_tail()}"
            )
        with provider.log_path.open("rb") as log:
            log.seek(log_offset)
            if READY_LINE.encode() + provider.base_url.encode() in log.read():
                return
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
    models_delay_ms: int | None = None,
) -> Iterator[Provider]:
    """Start a provider logging to `workdir`; stop it when the block ends.

    `tokens` and `delay_ms` default to the provider's own defaults (8 tokens, 20 ms
    apart); with `api_key`, every request must carry it as a Bearer token;
    `models_delay_ms` makes its model list that slow.
    """
    binary = provider_binary()
    workdir.mkdir(parents=True, exist_ok=True)
    port = free_port()
    settings = {
        "PROVIDER_MODELS": ",".join(models),
        "PROVIDER_TOKENS": tokens,
        "PROVIDER_DELAY_MS": delay_ms,
        "PROVIDER_API_KEY": api_key,
        "PROVIDER_MODELS_DELAY_MS": models_delay_ms,
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
        log_offset = log.tell()
        process = start([binary], workdir, env, log)
        stack.callback(stop, process)
        wait_until_ready(process, provider, log_offset)
        yield provider


def openai_connection_env(provider: Provider) -> dict[str, str]:
    """The Open WebUI settings that make `provider` its one OpenAI connection."""
    return {
        "ENABLE_OPENAI_API": "true",
        "OPENAI_API_BASE_URLS": provider.base_url,
        "OPENAI_API_KEYS": provider.api_key or "",
    }
