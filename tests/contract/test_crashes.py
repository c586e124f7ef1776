"""kill -9 under a write load: every write the server acknowledged survives it.

Per twin target, one store (a DATA_DIR or a PostgreSQL database) lives through 20 rounds
(`--repetitions`). In each, a few clients create chats and retitle them as fast as the
server answers; at a random moment the server's whole process group gets SIGKILL, and a
new server starts on the same store. It must come up healthy with nothing in its log
worse than a warning, SQLite's integrity check must pass, and every write answered with
a 2xx in this round or any before must be there, through the API and in the database.

A write cut off by the kill may have landed or not: a chat's title must be the last
acknowledged one or one tried after it, and a chat whose creation was never answered
may exist only with the title it was created with. Open WebUI is not killed here: the
rounds are about the twins' own durability.
"""

import itertools
import os
import random
import re
import signal
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from .api import Account, account_from, http_client, signup
from .servers import Server, running_server
from .storage import read_all, sqlite_integrity
from .stores import postgres_database
from .targets import Target, repeated

WRITERS = 3
# The kill comes this long after the round's first acknowledged write, drawn per
# round, which the first write must get within LOAD_START_S: each round stays well
# under 3 s of load on an unloaded server.
KILL_AFTER_S = (0.0, 1.5)
LOAD_START_S = 10.0
# A writer cut off by the kill sees its connection drop at once; this bounds the wait.
WRITER_JOIN_S = 10.0
# Each chat is created, then retitled this often, before the writer moves on.
RETITLES = 2
# What a server logs when something went wrong: Python's log levels and tracebacks,
# the Rust twin's JSON levels ("level":"ERROR") and panics.
LOGGED_ERROR = re.compile(r"\b(ERROR|CRITICAL)\b|Traceback|panicked")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """One item per round and twin target, in order (`--repetitions`, 20 by
    default); none on Open WebUI."""
    if "crash_round" in metafunc.fixturenames:
        rounds, ids = repeated(metafunc.config, twins_only=True)
        metafunc.parametrize("crash_round", rounds, ids=ids)


@dataclass
class Chat:
    """One chat as its writer knows it: the titles it sent, in order, and how many
    of them were acknowledged. The id is known once the creation was."""

    titles: list[str]
    acknowledged: int = 0
    id: str | None = None

    def may_hold(self, title: str) -> bool:
        """Whether a restarted server may hold `title` for this chat, whose creation
        was acknowledged: the last acknowledged title, or one sent after it, whose
        answer the kill cut off."""
        return title in self.titles[self.acknowledged - 1 :]


@dataclass(frozen=True)
class Store:
    """Where a twin target's data lives through the rounds, and what starts servers
    on it: each in a workdir of its own, so its log is its own."""

    target: Target
    secret: str
    root: Path
    database_url: str | None
    stack: ExitStack

    def start(self, run: int) -> Server:
        workdir = self.root / f"run-{run:02d}"
        workdir.mkdir()
        return self.stack.enter_context(
            running_server(
                self.target,
                workdir,
                self.secret,
                data_dir=self.root / "data",
                database_url=self.database_url,
            )
        )


@dataclass
class Site:
    """A store, the server now running on it, its owner, and every write tried."""

    store: Store
    server: Server
    owner: Account
    chats: list[Chat] = field(default_factory=list)
    runs: int = 1

    def restart(self) -> Server:
        self.runs += 1
        self.server = self.store.start(self.runs)
        return self.server


@pytest.fixture(scope="module")
def site_of(
    secret: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Callable[[Target], Site]]:
    """A target's site, made with its owner by the target's first round; every
    server and database is gone when the module ends."""
    sites: dict[Target, Site] = {}
    with ExitStack() as stack:

        def site(target: Target) -> Site:
            if target not in sites:
                database_url = None
                if target.postgres:
                    database_url = stack.enter_context(postgres_database())
                root = tmp_path_factory.mktemp(f"crash-{target.spec}")
                store = Store(target, secret, root, database_url, stack)
                server = store.start(1)
                with http_client(server.base_url) as client:
                    password = "crash-owner-1"
                    response = signup(client, "crash-owner@example.com", password)
                sites[target] = Site(store, server, account_from(response, password))
            return sites[target]

        yield site


def write(client: httpx.Client, owner: Account, chat: Chat, title: str) -> None:
    """Send one title of `chat`: its creation, or a retitle once it has an id."""
    chat.titles.append(title)
    path = "/api/v1/chats/new" if chat.id is None else f"/api/v1/chats/{chat.id}"
    response = client.post(path, headers=owner.headers, json={"chat": {"title": title}})
    assert response.status_code == 200, response.text
    chat.id = response.json()["id"]
    chat.acknowledged = len(chat.titles)


def writer(site: Site, label: str, load: "Load") -> None:
    """Write until the server dies or the load stops; keep any other failure."""
    try:
        with http_client(site.server.base_url) as client:
            for number in itertools.count(1):
                if load.stop.is_set():
                    return
                chat = Chat(titles=[])
                site.chats.append(chat)
                for version in range(RETITLES + 1):
                    write(client, site.owner, chat, f"{label}-{number} v{version}")
                    load.under_way.set()
    except httpx.TransportError:
        pass  # the kill
    except AssertionError as failure:
        load.failures.append(failure)


@dataclass
class Load:
    """What the writers share: when to stop, whether a write was acknowledged yet,
    and what failed other than by the kill."""

    stop: threading.Event = field(default_factory=threading.Event)
    under_way: threading.Event = field(default_factory=threading.Event)
    failures: list[AssertionError] = field(default_factory=list)


def load_and_kill(site: Site, label: str, kill_after: float) -> Load:
    """Run the writers, SIGKILL the server's process group `kill_after` seconds
    after the first acknowledged write, and wait for the writers to see it."""
    load = Load()
    writers = [
        threading.Thread(target=writer, args=(site, f"{label}-w{n}", load))
        for n in range(WRITERS)
    ]
    for thread in writers:
        thread.start()
    load.under_way.wait(timeout=LOAD_START_S)
    time.sleep(kill_after)
    os.killpg(site.server.pid, signal.SIGKILL)
    site.server.process.wait(timeout=WRITER_JOIN_S)
    load.stop.set()
    for thread in writers:
        thread.join(timeout=WRITER_JOIN_S)
    assert not any(thread.is_alive() for thread in writers), "a writer hangs"
    return load


def test_acknowledged_writes_survive_a_kill(
    crash_round: tuple[Target, int], site_of: Callable[[Target], Site]
) -> None:
    target, number = crash_round
    site = site_of(target)
    # Seeded per round, so a failing round can be run again as it was.
    kill_after = random.Random(f"{target.spec}-{number}").uniform(*KILL_AFTER_S)
    context = f"round {number}, killed {kill_after:.2f} s into the load"
    load = load_and_kill(site, f"r{number}", kill_after)
    # Restarted first, so that the next round has a server whatever fails here.
    restarted, owner = site.restart(), site.owner
    assert load.under_way.is_set(), f"{context}: no write acknowledged"
    assert not load.failures, f"{context}: {load.failures}"
    stored = dict(
        read_all(restarted, "SELECT id, title FROM chat WHERE user_id = {}", owner.id)
    )
    known = {chat.id: chat for chat in site.chats if chat.id is not None}
    lost = sorted(chat_id for chat_id in known if chat_id not in stored)
    assert not lost, f"{context}: acknowledged chats lost: {lost}"
    stale = {
        chat_id: (stored[chat_id], chat.titles)
        for chat_id, chat in known.items()
        if not chat.may_hold(stored[chat_id])
    }
    assert not stale, f"{context}: titles older than acknowledged: {stale}"
    # Creations whose answer the kill cut off: present with their first title, or not.
    unanswered = {chat.titles[0] for chat in site.chats if chat.id is None}
    strays = {i: title for i, title in stored.items() if i not in known}
    assert set(strays.values()) <= unanswered, f"{context}: {strays}"
    with http_client(restarted.base_url) as client:
        listed = client.get("/api/v1/chats/", headers=owner.headers)
    assert listed.status_code == 200, listed.text
    assert {chat["id"]: chat["title"] for chat in listed.json()} == stored
    if not restarted.database_url:
        assert sqlite_integrity(restarted) == ["ok"], context
    log = restarted.log_path.read_text(errors="replace")
    assert not LOGGED_ERROR.search(log), f"{context}:\n{log}"
