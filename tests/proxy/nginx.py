"""nginx in front of two backends, from the parallel-run template of the handbook.

Debian's nginx runs unprivileged from a fresh prefix directory that holds the rendered
configuration, its logs and its temporary files; nothing under /etc or /var is used.
"""

import os
import pwd
import re
import socket
import string
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from contract.servers import ROOT, wait_until

from server_process import free_port, stop

NGINX = Path("/usr/sbin/nginx")
TEMPLATE = ROOT / "examples" / "parallel-run" / "nginx.conf.template"
SERVED_BY = "X-Served-By"
READY_TIMEOUT = 10.0
CHECK_TIMEOUT = 30.0
LOG_TAIL_LINES = 40
PLACEHOLDER = re.compile(r"\$\{[^}]*\}")


@dataclass(frozen=True)
class Proxy:
    """A running nginx and the prefix directory it reads and writes."""

    base_url: str
    prefix: Path

    @property
    def config(self) -> Path:
        return self.prefix / "nginx.conf"

    def error_log_tail(self) -> str:
        log = self.prefix / "error.log"
        text = log.read_text(errors="replace") if log.exists() else ""
        return "\n".join(text.splitlines()[-LOG_TAIL_LINES:])


def served_by(response: httpx.Response) -> str:
    """Which upstream group answered: the header the template adds to every answer."""
    return response.headers.get(SERVED_BY, "")


def render(proxy_port: int, twin_port: int, open_webui_port: int) -> str:
    """The template with its ports filled in.

    `safe_substitute` leaves nginx's own `$variables` alone; a `${...}` left over
    would be a placeholder nobody filled, so it fails here rather than in nginx.
    """
    rendered = string.Template(TEMPLATE.read_text(encoding="utf-8")).safe_substitute(
        PROXY_PORT=proxy_port, TWIN_PORT=twin_port, OPEN_WEBUI_PORT=open_webui_port
    )
    leftover = PLACEHOLDER.findall(rendered)
    assert not leftover, f"{TEMPLATE.name}: placeholders left unfilled: {leftover}"
    return rendered


def nginx_command(prefix: Path, *options: str) -> list[str]:
    """nginx on the rendered configuration in `prefix`, in the foreground."""
    if not NGINX.is_file():
        pytest.fail(
            f"{NGINX} is missing: the parallel-run proxy test needs Debian's nginx "
            "(apt-get install --no-install-recommends nginx; .ci/run installs it)"
        )
    directives = "daemon off;"
    if os.geteuid() == 0:
        # As root, the workers would switch to `nobody`, who cannot enter pytest's
        # private temporary directories, where their temporary files live.
        directives += f" user {pwd.getpwuid(0).pw_name};"
    return [
        str(NGINX),
        *("-p", f"{prefix}/", "-c", str(prefix / "nginx.conf")),
        # The error log before the configuration is read, which is otherwise
        # /var/log/nginx/error.log.
        *("-e", "error.log", "-g", directives),
        *options,
    ]


def check_config(prefix: Path) -> str:
    """`nginx -T`: check the rendered configuration; return it as nginx read it."""
    checked = subprocess.run(
        nginx_command(prefix, "-T"),
        capture_output=True,
        text=True,
        timeout=CHECK_TIMEOUT,
        check=False,
    )
    if checked.returncode != 0:
        pytest.fail(f"nginx -T rejected the rendered configuration:\n{checked.stderr}")
    return checked.stdout


def port_of(base_url: str) -> int:
    port = httpx.URL(base_url).port
    assert port is not None, base_url
    return port


def wait_until_listening(process: subprocess.Popen, proxy: Proxy) -> None:
    """Connect until nginx accepts."""
    port = port_of(proxy.base_url)

    def accepts() -> bool:
        socket.create_connection(("127.0.0.1", port), timeout=1.0).close()
        return True

    wait_until(process, accepts, READY_TIMEOUT, "nginx", proxy.error_log_tail)


@contextmanager
def running_proxy(twin_url: str, open_webui_url: str, prefix: Path) -> Iterator[Proxy]:
    """nginx on 127.0.0.1, routing between the two backends; stopped afterwards."""
    prefix.mkdir(parents=True, exist_ok=True)
    port = free_port()
    proxy = Proxy(base_url=f"http://127.0.0.1:{port}", prefix=prefix)
    proxy.config.write_text(
        render(port, port_of(twin_url), port_of(open_webui_url)), encoding="utf-8"
    )
    check_config(prefix)
    process = subprocess.Popen(
        nginx_command(prefix),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        # Its own process group, so that stopping the master also stops the worker.
        start_new_session=True,
    )
    try:
        wait_until_listening(process, proxy)
        yield proxy
    finally:
        stop(process)
