"""A cost model built on the measured CPU time and memory: a model, not a measurement.

Its inputs are assumptions, shown on the page beside the measured figures they
multiply; change them here and `nox -s docs` shows the consequence.
"""

import math
from dataclasses import dataclass

from bench import figures
from bench.plan import ENDPOINT

# region: parameters
# Requests per second at the busiest hour, and how they split across the endpoints:
# most traffic reads sessions and chats; signins are rare.
PEAK_RPS = 500
MIX = {
    "session": 0.30,
    "chat-list": 0.25,
    "chat": 0.25,
    "chat-new": 0.199,
    "signin": 0.001,
}
# Plan for the cores to be this busy at the peak, no busier.
UTILISATION = 0.6
# endregion: parameters


@dataclass(frozen=True)
class Estimate:
    cpu_s_per_request: float
    cores: float
    # Python: one single-threaded worker process per core; Rust: one process.
    processes: int
    memory_bytes: float


def estimate(data: dict, backend: str) -> Estimate:
    cpu = sum(
        share
        * figures.load_medians(
            data, "one-core", backend, name, ENDPOINT[name].typical_level
        )["cpu_us_per_request"]
        / 1e6
        for name, share in MIX.items()
    )
    cores = PEAK_RPS * cpu / UTILISATION
    if backend == "python":
        processes = math.ceil(cores)
        memory = processes * figures.server(
            data, "one-core", backend, "peak_anonymous_bytes"
        )
    else:
        processes = 1
        memory = figures.server(data, "machine", backend, "peak_anonymous_bytes")
    return Estimate(cpu, cores, processes, memory)
