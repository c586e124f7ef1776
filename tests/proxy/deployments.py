"""The parallel run as a real deployment runs it, behind nginx rendered from the
handbook's parallel-run template: what the browser flow (tests/frontend) and the API
client test (tests/interop/test_api_clients.py) run on.

- baseline: Open WebUI alone; both of the template's upstreams point at it, so every
  request, whichever group the template names, is answered by Open WebUI.
- parallel run: Open WebUI and the twin on one DATA_DIR and one secret, the template
  rendered as shipped, so the twin answers the routes the template gives it.

Each gets a fresh DATA_DIR and its own model provider, connected to every server.
"""

import secrets
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

from contract.servers import Server, running_server
from contract.targets import Target
from support.provider import Provider, openai_connection_env, running_provider

from .nginx import Proxy, running_proxy

BASELINE = "baseline"
PARALLEL_RUN = "parallel-run"
MODES = (BASELINE, PARALLEL_RUN)


@dataclass(frozen=True)
class Deployment:
    """What one mode runs: the proxy the browser uses and the processes behind it."""

    mode: str
    proxy: Proxy
    open_webui: Server
    # None in the baseline, where no twin runs.
    twin: Server | None
    provider: Provider


def server_env(provider: Provider) -> dict[str, str]:
    """Open WebUI's defaults as a real deployment has them: a model provider, and
    Socket.IO over websockets (the contract suite turns the OpenAI API off)."""
    return openai_connection_env(provider) | {"ENABLE_WEBSOCKET_SUPPORT": "true"}


def workdir(parent: Path, name: str) -> Path:
    path = parent / name
    path.mkdir(parents=True, exist_ok=True)
    return path


@contextmanager
def deployment(mode: str, twin_impl: str, parent: Path) -> Iterator[Deployment]:
    """Start the servers and the proxy of `mode` under `parent`; stop them after."""
    secret = secrets.token_hex(32)
    data_dir = workdir(parent, "data")
    with ExitStack() as stack:
        provider = stack.enter_context(running_provider(parent / "provider"))
        env = server_env(provider)
        # Open WebUI first: its migrations create the schema the twin then uses.
        open_webui = stack.enter_context(
            running_server(
                Target("upstream"),
                workdir(parent, "open-webui"),
                secret,
                extra_env=env,
                data_dir=data_dir,
            )
        )
        twin = None
        if mode == PARALLEL_RUN:
            twin = stack.enter_context(
                running_server(
                    Target(twin_impl),
                    workdir(parent, f"twin-{twin_impl}"),
                    secret,
                    extra_env=env,
                    data_dir=data_dir,
                )
            )
        proxy = stack.enter_context(
            running_proxy(
                (twin or open_webui).base_url,
                open_webui.base_url,
                parent / "nginx",
            )
        )
        yield Deployment(mode, proxy, open_webui, twin, provider)
