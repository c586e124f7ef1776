"""The Comparison section's tables, rendered from the run file the site shows.

Every figure on those pages passes through this module, from the committed run that
`shown()` returns; `tests/docs/test_comparison.py` holds the pages to it.
"""

from functools import partial

from bench import claims, cost_model, figures, targets, wrk
from bench.figures import backends, load_medians
from bench.formats import megabytes, mib, number, percent, ratio, seconds
from bench.plan import BACKEND, ENDPOINT, ENDPOINTS, MODES


def _table(header: list[str], rows: list[list[str]], align: str = "") -> str:
    align = align or "-" * len(header)
    marks = ["---:" if mark == "r" else "---" for mark in align]
    lines = ["| " + " | ".join(header) + " |", "| " + " | ".join(marks) + " |"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


# region: endpoint-table
def endpoint_table(name: str, data: dict | None = None) -> str:
    """One endpoint in both modes: req/s, latency percentiles, CPU per request."""
    data = data or figures.load()
    endpoint = ENDPOINT[name]
    rows = []
    for mode in MODES:
        for level in endpoint.levels:
            python = load_medians(data, mode.name, "python", name, level)
            for backend in backends(data):
                medians = load_medians(data, mode.name, backend, name, level)
                if medians is None:
                    continue
                versus = ratio(medians["rps"] / python["rps"]) if python else ""
                rows.append(
                    [
                        mode.title,
                        f"c{level}",
                        BACKEND[backend].title,
                        number(medians["rps"]),
                        "" if backend == "python" else versus,
                        number(medians["p50_ms"]),
                        number(medians["p90_ms"]),
                        number(medians["p99_ms"]),
                        number(medians["cpu_us_per_request"]),
                        f"{medians['failed']:,} of {medians['requests']:,}",
                    ]
                )
    header = [
        "Mode",
        "Connections",
        "Server",
        "Requests/s",
        "× Python",
        "p50 ms",
        "p90 ms",
        "p99 ms",
        "CPU µs per request",
        "Failed (all repetitions)",
    ]
    return _table(header, rows, "lllrrrrrrr")


# endregion: endpoint-table


def setup_table(data: dict | None = None) -> str:
    """Where, when and with what the shown run measured."""
    data = data or figures.load()
    machine, software = data["machine"], data["software"]
    packages = ", ".join(f"{k} {v}" for k, v in software["python_packages"].items())
    crates = ", ".join(f"{k} {v}" for k, v in software["rust_crates"].items())
    rows = [
        ["Date", data["date"]],
        [
            "Commit",
            f"`{data['commit'][:12]}`"
            + (" (uncommitted changes)" if data["dirty"] else ""),
        ],
        ["Command", f"`{data['command']}`"],
        [
            "CPU",
            f"{machine['cpu']}, {machine['cores']} cores"
            + (", virtualised" if machine["virtualised"] else ""),
        ],
        ["Memory", mib(machine["memory_bytes"])],
        ["OS", f"{machine['os']}, Linux {machine['kernel']}"],
        ["Python", f"{software['python']}: {packages}"],
        ["Rust", f"{software['rustc']}: {crates}"],
        ["Load generator", software["wrk"]],
    ]
    return _table(["", "Shown run"], rows)


def method_table(data: dict | None = None) -> str:
    """The run's timing and seed, read from the run file itself."""
    data = data or figures.load()
    parameters = data["parameters"]
    seed = parameters["seed"]
    sizes = seed["parameters"]
    rows = [
        ["Warm-up before each measured run", seconds(parameters["warmup_s"])],
        ["Each measured run", seconds(parameters["duration_s"])],
        *(
            [
                f"… of `{e['method']} {e['path']}` (see its table)",
                seconds(parameters["duration_s"] * e["duration_factor"]),
            ]
            for e in parameters["endpoints"]
            if e["duration_factor"] != 1
        ),
        ["Repetitions (order reversed each time)", str(parameters["repetitions"])],
        [
            "Failed requests a run may have before the harness stops",
            f"{percent(wrk.ERROR_BUDGET)} of its requests",
        ],
        ["Accounts", f"1 admin, {sizes['users']} users"],
        [
            "Chats",
            f"{sizes['chats']:,}; the measured user owns {sizes['bench_user_chats']}",
        ],
        ["Median chat", f"{number(seed['median_chat_bytes'] / 1000)} kB of JSON"],
        [
            "The large chat (`GET /api/v1/chats/{id}`)",
            f"{2 * sizes['large_chat_turns']} messages, "
            f"{number(seed['large_chat_bytes'] / 1000)} kB of JSON",
        ],
        ["Models", str(sizes["models"])],
        ["Seeded database", megabytes(seed["database_bytes"])],
        ["The whole run, seeding included", f"{number(data['elapsed_s'] / 60)} min"],
    ]
    return _table(["Parameter", "Value"], rows)


def targets_table(data: dict | None = None) -> str:
    data = data or figures.load()
    rows = []
    for target in targets.TARGETS:
        value = target.measured(data)
        if value is None:
            rows.append([target.what, target.goal, "not measured yet", ""])
            continue
        met = "met" if target.met(data) else "**missed**"
        rows.append([target.what, target.goal, target.shown_as(value), met])
    return _table(["Target", "Goal", "Measured", ""], rows, "llrl")


def ceiling_table(data: dict | None = None) -> str:
    """/health of each backend as a share of its own framework's hello-world."""
    data = data or figures.load()
    rows = []
    for mode in MODES:
        for level in ENDPOINT["health"].levels:
            for backend, hello in (("python", "hello-python"), ("rust", "hello-rust")):
                own = load_medians(data, mode.name, backend, "health", level)
                ceiling = load_medians(data, mode.name, hello, "health", level)
                if own is None or ceiling is None:
                    continue
                rows.append(
                    [
                        mode.title,
                        f"c{level}",
                        BACKEND[backend].title,
                        number(own["rps"]),
                        BACKEND[hello].title,
                        number(ceiling["rps"]),
                        percent(own["rps"] / ceiling["rps"]),
                    ]
                )
    header = [
        "Mode",
        "Connections",
        "Server",
        "Requests/s",
        "Ceiling",
        "Requests/s",
        "Share",
    ]
    return _table(header, rows, "lllrlrr")


def signin_table(data: dict | None = None) -> str:
    """Signins per second beside each backend's own bcrypt verifies per second."""
    data = data or figures.load()
    rows = []
    for mode in MODES:
        cores = 1 if mode.server_cpus else data["machine"]["cores"]
        for backend in ("python", "rust"):
            signins = figures.rps(data, mode.name, backend, "signin", 4)
            bound = cores * figures.verifies_per_s(data, backend)
            rows.append(
                [
                    mode.title,
                    BACKEND[backend].title,
                    number(signins),
                    number(bound),
                    percent(signins / bound),
                ]
            )
    header = [
        "Mode",
        "Server",
        "Signins/s",
        "bcrypt verifies/s (bound)",
        "Share of bound",
    ]
    return _table(header, rows, "llrrr")


def resources_table(data: dict | None = None) -> str:
    """Start time and memory of each server, and what each needs on disk."""
    data = data or figures.load()
    rows = []
    for mode in MODES:
        for backend in backends(data):
            medians = data["medians"][mode.name][backend]
            rows.append(
                [
                    mode.title,
                    BACKEND[backend].title,
                    seconds(medians["start_s"]),
                    mib(medians["idle_rss_bytes"]),
                    mib(medians["peak_rss_bytes"]),
                    mib(medians["idle_anonymous_bytes"]),
                    mib(medians["peak_anonymous_bytes"]),
                ]
            )
    header = [
        "Mode",
        "Server",
        "Start to first healthy response",
        "Idle RSS",
        "Peak RSS",
        "Idle private",
        "Peak private",
    ]
    return _table(header, rows, "llrrrrr")


def disk_table(data: dict | None = None) -> str:
    data = data or figures.load()
    sizes = data["sizes"]
    rows = [
        ["Rust (axum): the release binary", megabytes(sizes["rust_binary_bytes"])],
        [
            "axum hello-world: the release binary",
            megabytes(sizes["hello_rust_binary_bytes"]),
        ],
        [
            "Python (FastAPI): the `backend` group's packages "
            f"({len(sizes['python_packages'])} distributions)",
            megabytes(sizes["python_packages_bytes"]),
        ],
        [
            "Python (FastAPI): the interpreter and its standard library",
            megabytes(sizes["python_interpreter_bytes"]),
        ],
    ]
    return _table(["What a server needs on disk", "Size"], rows, "lr")


def claims_table(data: dict | None = None) -> str:
    data = data or figures.load()
    rows = [[f"“{c.claim}”", c.compared_with, c.measured(data)] for c in claims.CLAIMS]
    return _table(["The seed claimed", "Measured as", "This run"], rows, "llr")


def cost_parameters() -> str:
    rows = [
        ["Peak load (assumed)", f"{cost_model.PEAK_RPS:,} requests/s"],
        [
            "Target CPU utilisation at the peak (assumed)",
            percent(cost_model.UTILISATION),
        ],
        *(
            [
                f"Share of `{ENDPOINT[name].title}` (assumed)",
                percent(share) if share >= 0.01 else f"{100 * share:.1f} %",
            ]
            for name, share in cost_model.MIX.items()
        ),
    ]
    return _table(["Model input", "Value"], rows, "lr")


def cost_table(data: dict | None = None) -> str:
    data = data or figures.load()
    rows = []
    for backend in ("python", "rust"):
        estimate = cost_model.estimate(data, backend)
        rows.append(
            [
                BACKEND[backend].title,
                number(estimate.cpu_s_per_request * 1e6),
                number(1 / estimate.cpu_s_per_request),
                number(estimate.cores),
                str(estimate.processes),
                mib(estimate.memory_bytes),
            ]
        )
    header = [
        "Server",
        "CPU µs per request (mix)",
        "Requests per core-second",
        "Cores needed",
        "Processes",
        "Memory",
    ]
    return _table(header, rows, "lrrrrr")


def run_kind(data: dict | None = None) -> str:
    """Whether the shown run followed the method, said before any of its figures."""
    data = data or figures.load()
    parameters = data["parameters"]
    how = (
        f"{seconds(parameters['warmup_s'])} warm-up, "
        f"{seconds(parameters['duration_s'])} runs, "
        f"{parameters['repetitions']} repetition(s)"
    )
    if figures.is_full(data):
        return f"The shown run followed the method below: {how}."
    return (
        '!!! warning "A short run, not the full method"\n'
        f"    The shown run is a `--quick` one ({how}). Its figures are noisier than "
        "a full run's, and a ratio of medians over one repetition is a ratio of two "
        "samples. `nox -s bench` replaces it with a full run."
    )


RENDERERS = {
    "bench-run-kind": run_kind,
    "bench-setup": setup_table,
    "bench-method": method_table,
    "bench-targets": targets_table,
    "bench-ceiling": ceiling_table,
    "bench-signin": signin_table,
    "bench-resources": resources_table,
    "bench-disk": disk_table,
    "bench-claims": claims_table,
    "bench-cost-parameters": cost_parameters,
    "bench-cost": cost_table,
    **{f"bench-{e.name}": partial(endpoint_table, e.name) for e in ENDPOINTS},
}
