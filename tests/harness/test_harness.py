"""The benchmark harness, end to end but small: seed, serve, load, read /proc.

`nox -s bench` runs for most of an hour and CI does not run it; these tests keep each
of its parts working on every run, against both backends, in a few seconds.
"""

import os
import sqlite3
from pathlib import Path

import pytest

from bench import procfs, run, seed, stats, wrk
from bench.plan import ENDPOINT, MODE
from bench.servers import serving

SMALL = seed.Seed(users=3, chats=9, bench_user_chats=6, models=2, large_chat_turns=20)


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    database = tmp_path_factory.mktemp("seed") / "seed.db"
    return database, seed.build(database, SMALL)


@pytest.fixture(scope="module")
def binaries() -> dict[str, Path]:
    """The Rust twin that `nox -s tests` built; a run without it fails, never skips."""
    binary = Path(os.environ.get("CONTRACT_RUST_BINARY", ""))
    if not binary.is_file():
        pytest.fail("set CONTRACT_RUST_BINARY to the Rust twin: `nox -s tests` does")
    try:
        wrk.require()
    except SystemExit as missing:
        pytest.fail(str(missing))
    return {"rust": binary}


def test_the_seed_has_the_rows_and_sizes_the_benchmarks_rely_on(seeded) -> None:
    database, facts = seeded
    with sqlite3.connect(database) as db:
        count = lambda table: db.execute(f"SELECT count(*) FROM {table}").fetchone()[0]  # noqa: E731
        assert (count("user"), count("chat"), count("model")) == (4, 9, 2)
        (owner,) = db.execute(
            "SELECT user_id FROM chat WHERE id = ?", (facts["large_chat_id"],)
        ).fetchone()
        (email,) = db.execute(
            "SELECT email FROM user WHERE id = ?", (owner,)
        ).fetchone()
        owned = db.execute("SELECT count(*) FROM chat WHERE user_id = ?", (owner,))
        messages = db.execute(
            "SELECT count(*) FROM chat_message WHERE chat_id = ?",
            (facts["large_chat_id"],),
        )
        assert (email, owned.fetchone()[0]) == (facts["bench_user"], 6)
        assert messages.fetchone()[0] == 2 * SMALL.large_chat_turns
    assert facts["large_chat_bytes"] > facts["median_chat_bytes"]


@pytest.mark.parametrize("backend", ["python", "rust"])
def test_a_server_under_wrk_answers_and_uses_cpu_and_memory(
    backend: str, seeded, binaries, tmp_path: Path
) -> None:
    database, facts = seeded
    one_core = MODE["one-core"]
    with serving(backend, one_core, 2, database, tmp_path, binaries) as server:
        token = run.signin(server.url, facts["bench_user"])
        results = {}
        for name in ("chat-list", "chat-new", "signin"):
            endpoint = ENDPOINT[name]
            path = endpoint.path.format(chat_id=facts["large_chat_id"])
            # As in the benchmark, signin runs longer: one signin takes about half a
            # second of a core in a debug build, so two in one second may not finish.
            seconds = endpoint.duration_factor
            load = wrk.Load(
                url=server.url + path,
                connections=2,
                threads=1,
                seconds=seconds,
                env=run.request_env(endpoint, token, facts),
                cpus=one_core.wrk_cpus,
            )
            before = procfs.cpu_seconds(server.pid)
            summary = wrk.run(load)
            cpu_s = procfs.cpu_seconds(server.pid) - before
            results[name] = summary | {"cpu_s": cpu_s, "seconds": float(seconds)}
        assert 0 < server.start_s < 60
        assert 0 < procfs.rss_bytes(server.pid) <= procfs.peak_rss_bytes(server.pid)
    for name, result in results.items():
        figures = stats.load_metrics(result)
        assert figures["rps"] > 0, name
        assert figures["p50_ms"] <= figures["p99_ms"], name
        assert result["cpu_s"] > 0, name


def test_a_run_with_failed_requests_measures_nothing(
    seeded, binaries, tmp_path
) -> None:
    database, facts = seeded
    with serving("rust", MODE["one-core"], 2, database, tmp_path, binaries) as server:
        load = wrk.Load(
            url=server.url + "/api/v1/chats/",
            connections=1,
            threads=1,
            seconds=1,
            env=run.request_env(ENDPOINT["chat-list"], "not-a-token", facts),
        )
        with pytest.raises(RuntimeError, match="failed requests"):
            wrk.run(load)


def test_cpu_time_counts_the_threads_of_a_process() -> None:
    before = procfs.cpu_seconds(os.getpid())
    sum(i * i for i in range(3_000_000))
    assert procfs.cpu_seconds(os.getpid()) > before
