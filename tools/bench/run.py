"""One benchmark run: seed, start each backend in turn, load it, write the run file."""

import http.client
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

from bench import machine, procfs, seed, sizes, stats, wrk
from bench.plan import (
    BACKENDS,
    DURATION_S,
    ENDPOINT,
    ENDPOINTS,
    MODES,
    REPETITIONS,
    WARMUP_S,
    Backend,
    Endpoint,
    Mode,
)
from bench.servers import serving

ROOT = Path(__file__).resolve().parents[2]
# Memory settles after start-up before idle RSS is read.
IDLE_SETTLE_S = 1.0
BCRYPT_SAMPLES = 8
PYTHONPATH = ("tools", "examples/python-backend")


@dataclass(frozen=True)
class Timing:
    warmup_s: float
    duration_s: float
    repetitions: int


FULL = Timing(WARMUP_S, DURATION_S, REPETITIONS)
QUICK = Timing(3.0, 3.0, 1)


def release_binaries() -> dict[str, Path]:
    """What `nox -s bench` built: the twin, the hello-world, the verify timer."""
    release = Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target")) / "release"
    binaries = {
        "rust": release / "reference-backend",
        "hello-rust": release / "hello-world",
        "verify-rate": release / "examples" / "verify_rate",
    }
    for path in binaries.values():
        if not path.is_file():
            raise SystemExit(f"{path} is missing: `nox -s bench` builds it")
    return binaries


# region: bcrypt-bound
def verify_rates(hashed: str, binaries: dict[str, Path]) -> dict:
    """Each backend's own password check, timed on the server's core."""
    argv = {
        "python": [sys.executable, "-m", "bench.verify_rate"],
        "rust": [str(binaries["verify-rate"])],
    }
    path = os.pathsep.join(str(ROOT / folder) for folder in PYTHONPATH)
    samples = {}
    for backend, command in argv.items():
        output = subprocess.run(
            [
                "taskset",
                "-c",
                "0",
                *command,
                hashed,
                seed.PASSWORD,
                str(BCRYPT_SAMPLES),
            ],
            env=os.environ | {"PYTHONPATH": path},
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        samples[backend] = json.loads(output)
    return samples


# endregion: bcrypt-bound


class MemorySampler(threading.Thread):
    """The peak of the tree's anonymous memory while it is loaded, sampled: the kernel
    keeps a high-water mark of RSS only."""

    INTERVAL_S = 0.25

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid = pid
        self.peak = procfs.anonymous_bytes(pid)
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.wait(self.INTERVAL_S):
            self.peak = max(self.peak, procfs.anonymous_bytes(self.pid))

    def stop(self) -> int:
        self.done.set()
        self.join()
        return self.peak


def signin(url: str, email: str) -> str:
    """A session token for `email`, through the server's own signin route."""
    host, port = url.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=30)
    body = json.dumps({"email": email, "password": seed.PASSWORD})
    try:
        connection.request(
            "POST", "/api/v1/auths/signin", body, {"Content-Type": "application/json"}
        )
        response = connection.getresponse()
        answer = response.read()
    finally:
        connection.close()
    if response.status != 200:
        raise RuntimeError(f"signin answered {response.status}: {answer!r}")
    return json.loads(answer)["token"]


def request_env(endpoint: Endpoint, token: str, facts: dict) -> dict[str, str]:
    """What `load.lua` sends to `endpoint`."""
    env = {"BENCH_METHOD": endpoint.method}
    if endpoint.name == "signin":
        return env | {
            "BENCH_EMAILS": ",".join(facts["emails"]),
            "BENCH_PASSWORD": facts["password"],
        }
    if endpoint.name != "health":
        env["BENCH_TOKEN"] = token
    if endpoint.name == "chat-new":
        env["BENCH_BODY"] = seed.new_chat_body()
    return env


def measure_server(backend: Backend, mode: Mode, context: dict, workdir: Path) -> dict:
    """Start `backend`, load each of its endpoints at each level, stop it."""
    cores, facts, timing = context["cores"], context["facts"], context["timing"]
    with serving(
        backend.name, mode, cores, context["database"], workdir, context["binaries"]
    ) as server:
        time.sleep(IDLE_SETTLE_S)
        idle = procfs.rss_bytes(server.pid)
        idle_anonymous = procfs.anonymous_bytes(server.pid)
        sampler = MemorySampler(server.pid)
        sampler.start()
        signs_in = set(backend.endpoints) - {"health"}
        token = signin(server.url, facts["bench_user"]) if signs_in else ""
        loads = []
        for endpoint in (ENDPOINT[name] for name in backend.endpoints):
            path = endpoint.path.format(chat_id=facts["large_chat_id"])
            for level in endpoint.levels:
                if level in mode.skip_levels:
                    continue
                load = wrk.Load(
                    url=server.url + path,
                    connections=level,
                    threads=mode.wrk_threads(level, cores),
                    seconds=timing.duration_s * endpoint.duration_factor,
                    env=request_env(endpoint, token, facts),
                    cpus=mode.wrk_cpus,
                )
                wrk.run(replace(load, seconds=timing.warmup_s))
                procfs.wait_idle(server.pid)
                before = procfs.cpu_seconds(server.pid)
                summary = wrk.run(load)
                cpu_s = procfs.cpu_seconds(server.pid) - before
                procfs.wait_idle(server.pid)
                loads.append(
                    {
                        "endpoint": endpoint.name,
                        "connections": level,
                        "threads": load.threads,
                        "seconds": summary["duration_us"] / 1e6,
                        "cpu_s": cpu_s,
                        "wrk": load.argv(),
                    }
                    | summary
                )
                print(
                    f"  {mode.name:8} {backend.name:12} {endpoint.name:9} c{level:<3} "
                    f"{summary['requests'] / load.seconds:10.0f} req/s",
                    flush=True,
                )
        peak = procfs.peak_rss_bytes(server.pid)
        peak_anonymous = sampler.stop()
    return {
        "mode": mode.name,
        "backend": backend.name,
        "argv": list(server.argv),
        "start_s": server.start_s,
        "idle_rss_bytes": idle,
        "peak_rss_bytes": peak,
        "idle_anonymous_bytes": idle_anonymous,
        "peak_anonymous_bytes": peak_anonymous,
        "loads": loads,
    }


def measure(argv: list[str], out: Path, quick: bool) -> Path:
    wrk_version = wrk.require()
    cores = os.cpu_count() or 1
    if cores < 2:
        raise SystemExit("the one-core mode pins server and wrk to two different cores")
    timing = QUICK if quick else FULL
    binaries = release_binaries()
    provenance = machine.provenance(argv)
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="bench-") as scratch:
        workdir = Path(scratch)
        database = workdir / "seed.db"
        facts = seed.build(database)
        context = {
            "cores": cores,
            "facts": facts,
            "timing": timing,
            "database": database,
            "binaries": binaries,
        }
        bound = verify_rates(facts["password_hash"], binaries)
        runs = []
        for mode in MODES:
            for repetition in range(timing.repetitions):
                # Alternate the order, so that no backend always runs first or last.
                order = BACKENDS if repetition % 2 == 0 else BACKENDS[::-1]
                for position, backend in enumerate(order):
                    run = measure_server(backend, mode, context, workdir / backend.name)
                    runs.append(run | {"repetition": repetition, "position": position})
    data = {
        "schema": 1,
        **provenance,
        "machine": machine.describe(),
        "software": machine.software(wrk_version),
        "parameters": {
            **asdict(timing),
            "idle_settle_s": IDLE_SETTLE_S,
            "modes": [asdict(mode) for mode in MODES],
            "endpoints": [asdict(endpoint) for endpoint in ENDPOINTS],
            "seed": {
                key: value
                for key, value in facts.items()
                if key not in ("emails", "password_hash")
            },
        },
        "sizes": sizes.measure(binaries),
        "bcrypt": bound,
        "elapsed_s": time.monotonic() - started,
        "runs": runs,
        "medians": stats.medians(runs),
    }
    out.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H%MZ")
    path = out / f"{stamp}{'-quick' if quick else ''}.json"
    _write(path, data)
    return path


def _write(path: Path, data: dict) -> None:
    path.write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")


# region: site-build
def time_site_build(path: Path, builds: int) -> None:
    """Time `mkdocs build --strict` of the whole site, and add it to the run file."""
    samples = []
    for _ in range(builds):
        with tempfile.TemporaryDirectory(prefix="bench-site-") as site:
            started = time.perf_counter()
            build = ["mkdocs", "build", "--strict", "--quiet", f"--site-dir={site}"]
            subprocess.run(
                [sys.executable, "-m", *build],
                cwd=ROOT,
                env=os.environ | {"NO_MKDOCS_2_WARNING": "1"},
                check=True,
            )
            samples.append(time.perf_counter() - started)
    data = json.loads(path.read_text(encoding="utf-8"))
    data["site_build_s_samples"] = samples
    data["site_build_s"] = statistics.median(samples)
    _write(path, data)


# endregion: site-build
