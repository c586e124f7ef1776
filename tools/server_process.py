"""A server as a child process: a free port, a clean environment, a group to stop.

The contract suite and the benchmark harness start the backends the same way; what
differs is what each waits for and measures.
"""

import os
import signal
import socket
import subprocess
from collections.abc import Mapping
from pathlib import Path
from typing import IO

# Only these variables pass from the caller to a server, so that the server sees the
# settings chosen for it and nothing a developer's shell happens to export.
PASSED_THROUGH = ("PATH", "HOME", "LANG", "LC_ALL", "LC_CTYPE", "TMPDIR", "TZ", "USER")
STOP_TIMEOUT = 10.0


def free_port() -> int:
    """A port nothing listens on now; the server binds it a moment later."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def server_env(
    port: int, data_dir: Path, secret: str, own: Mapping[str, str]
) -> dict[str, str]:
    """A backend's environment: on 127.0.0.1:`port`, its data in `data_dir`."""
    env = {name: os.environ[name] for name in PASSED_THROUGH if name in os.environ}
    return (
        env
        | dict(own)
        | {
            "HOST": "127.0.0.1",
            "PORT": str(port),
            "DATA_DIR": str(data_dir),
            "WEBUI_SECRET_KEY": secret,
        }
    )


def start(
    argv: list[str], cwd: Path, env: Mapping[str, str], log: IO
) -> subprocess.Popen:
    """Start the server in its own process group, so stopping it stops its workers."""
    return subprocess.Popen(
        argv,
        cwd=cwd,
        env=dict(env),
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def stop(process: subprocess.Popen) -> None:
    """SIGTERM to the server's process group, then SIGKILL if it lingers."""
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
