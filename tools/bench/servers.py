"""Each benchmarked server as a real process on 127.0.0.1, timed from its start."""

import http.client
import shutil
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from bench.plan import Mode
from server_process import free_port, server_env, start, stop

ROOT = Path(__file__).resolve().parents[2]
READY_TIMEOUT_S = 120.0
SECRET = "bench-secret-key"


# region: commands
def uvicorn(app: str, app_dir: Path, workers: int) -> list[str]:
    """Uvicorn as upstream runs it, tuned: uvloop, httptools, no access log."""
    return [
        sys.executable,
        "-m",
        "uvicorn",
        app,
        "--factory",
        f"--app-dir={app_dir}",
        f"--workers={workers}",
        "--loop=uvloop",
        "--http=httptools",
        "--no-access-log",
        "--log-level=warning",
    ]


def command(backend: str, workers: int, binaries: dict[str, Path]) -> tuple[list, dict]:
    """The argv and the backend's own environment; HOST and PORT are added later."""
    if backend == "python":
        argv = uvicorn("bench.asgi:reference_app", ROOT / "tools", workers)
        return argv, {"PYTHONPATH": str(ROOT / "examples/python-backend")}
    if backend == "hello-python":
        return uvicorn("main:create_app", ROOT / "examples/hello-world", workers), {}
    # Per-request logs would cost the twin what --no-access-log spares uvicorn.
    env = {"TOKIO_WORKER_THREADS": str(workers), "RUST_LOG": "warn"}
    return [str(binaries[backend])], env


# endregion: commands


def healthy(port: int) -> bool:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
    try:
        connection.request("GET", "/health")
        return connection.getresponse().status == 200
    except OSError:
        return False
    finally:
        connection.close()


@dataclass(frozen=True)
class Running:
    pid: int
    port: int
    # From the exec of the process to its first 200 on /health.
    start_s: float
    argv: tuple[str, ...]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


@contextmanager
def serving(
    backend: str,
    mode: Mode,
    cores: int,
    database: Path,
    workdir: Path,
    binaries: dict[str, Path],
) -> Iterator[Running]:
    """Start `backend` on a copy of `database`; stop its process group afterwards."""
    data_dir = workdir / "data"
    shutil.rmtree(data_dir, ignore_errors=True)
    data_dir.mkdir(parents=True)
    shutil.copyfile(database, data_dir / "webui.db")
    argv, own_env = command(backend, mode.server_workers(cores), binaries)
    pinned = ["taskset", "-c", mode.server_cpus] if mode.server_cpus else []
    port = free_port()
    env = server_env(port, data_dir, SECRET, own_env)
    if backend in ("python", "hello-python"):
        argv = [*argv, "--host=127.0.0.1", f"--port={port}"]
    log = (workdir / "server.log").open("ab")
    started = time.perf_counter()
    process = start([*pinned, *argv], workdir, env, log)
    try:
        while not healthy(port):
            if process.poll() is not None or (
                time.perf_counter() - started > READY_TIMEOUT_S
            ):
                raise RuntimeError(
                    f"{backend} did not become healthy; see {workdir / 'server.log'}"
                )
            time.sleep(0.002)
        start_s = time.perf_counter() - started
        yield Running(process.pid, port, start_s, tuple(argv))
    finally:
        stop(process)
        log.close()
