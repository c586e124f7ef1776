"""Hot requests read the rows they need, not whole tables, however much data there is.

Open WebUI keeps one `config` row per persistent setting (about 380 on a database it
created), and users, chats and models grow without bound. A request that reads a
whole table is fast on a test database and slow on a real one, so no response check
can see it. PostgreSQL can: `pg_stat_user_tables` counts the rows each table's
sequential scans read (`seq_tup_read`), and `pg_stat_user_indexes` the entries its
index scans returned (`idx_tup_read`: counting users over the primary key reads them
all too). The counters cover the whole database and the server stays a black box, so
the check holds any implementation to the same rule.

Each implementation runs once, on a fresh PostgreSQL database of its own: its first
requested target with `+postgres`, or else its first requested target with PostgreSQL
added, since only PostgreSQL counts reads. Sequential scans are disabled on that
database (they stay possible where nothing else can answer): for a table of a few
pages a scan can be the cheaper plan, and the question here is whether a statement
*can* find its rows by an index, not what the planner makes of a small table.

The fixture fills the tables a request should not sweep with rows shaped like
upstream's, many more than `FEW`, and sends the hot requests. Backends flush their
counters when they go idle, but a backend that flushed less than a second before waits
for its idle timeout, `IDLE_FLUSH_SECONDS`; so the requests are sent in batches, one
per allowance (the tables upstream itself sweeps for them), each followed by that
wait. When a batch reads `FEW` rows of a table it may not sweep, each of its requests
is sent again alone, to name the one that did.
"""

import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass, replace

import httpx
import psycopg
import pytest

from .api import (
    Account,
    account_from,
    add_user,
    bearer,
    http_client,
    new_chat,
    signup,
    unique_email,
)
from .servers import Server, open_webui_url, running_server
from .stores import postgres_database
from .targets import Target, requested_targets

# A request may read fewer rows than this of each table; every filled table holds at
# least four times as many.
FEW = 100

# PostgreSQL's PGSTAT_IDLE_INTERVAL (10 s), with a margin; then reads until two agree.
IDLE_FLUSH_SECONDS = 10.5
SETTLE_SECONDS = 0.3
SETTLE_TIMEOUT = 10.0

FILLER_CREATED_AT = 2_000_000_000  # after the test's own accounts: none is "first"

# Rows like upstream's: dotted config keys with JSON values of every shape, accounts
# with their credentials and keys, and others' chats, messages, shares and models.
FILL = {
    "config": """
        INSERT INTO config ("key", value, updated_at)
        SELECT 'filler.section_' || (g / 25) || '.setting_' || g,
               CAST(CASE mod(g, 4)
                   WHEN 0 THEN 'true'
                   WHEN 1 THEN '"value ' || g || '"'
                   WHEN 2 THEN '[' || g || ', "item"]'
                   ELSE '{"enabled": false, "limit": ' || g || '}'
               END AS JSON),
               1700000000
        FROM generate_series(1, 400) AS g""",
    "user": """
        INSERT INTO "user" (id, name, email, role, profile_image_url,
                            last_active_at, updated_at, created_at)
        SELECT 'filler-user-' || g, 'Filler ' || g, 'filler-' || g || '@example.com',
               'user', '/user.png', 0, %(at)s + g, %(at)s + g
        FROM generate_series(1, 3000) AS g""",
    "auth": """
        INSERT INTO auth (id, email, password, active)
        SELECT 'filler-user-' || g, 'filler-' || g || '@example.com', 'x', true
        FROM generate_series(1, 3000) AS g""",
    "api_key": """
        INSERT INTO api_key (id, user_id, "key", created_at, updated_at)
        SELECT 'key_filler-user-' || g, 'filler-user-' || g,
               'sk-filler' || md5(g::text), 1700000000, 1700000000
        FROM generate_series(1, 3000) AS g""",
    "chat": """
        INSERT INTO chat (id, user_id, title, chat, created_at, updated_at,
                          archived, pinned, meta)
        SELECT 'filler-chat-' || g, 'filler-user-' || (1 + mod(g, 3000)),
               'Chat ' || g,
               CAST('{"title": "Chat", "history": {"messages": {}}}' AS JSON),
               %(at)s + g, %(at)s + g, false, mod(g, 10) = 0, CAST('{}' AS JSON)
        FROM generate_series(1, 3000) AS g""",
    "chat_message": """
        INSERT INTO chat_message (id, chat_id, user_id, role, content, done,
                                  created_at, updated_at)
        SELECT 'filler-message-' || g, 'filler-chat-' || g,
               'filler-user-' || (1 + mod(g, 3000)), 'user',
               CAST('"hello"' AS JSON), true, %(at)s + g, %(at)s + g
        FROM generate_series(1, 3000) AS g""",
    "shared_chat": """
        INSERT INTO shared_chat (id, chat_id, user_id, title, chat, created_at,
                                 updated_at)
        SELECT 'filler-share-' || g, 'filler-chat-' || g,
               'filler-user-' || (1 + mod(g, 3000)), 'Chat ' || g,
               CAST('{}' AS JSON), %(at)s + g, %(at)s + g
        FROM generate_series(1, 500) AS g""",
    "model": """
        INSERT INTO model (id, user_id, base_model_id, name, params, meta,
                           updated_at, created_at, is_active)
        SELECT 'filler/model-' || g, 'filler-user-' || (1 + mod(g, 3000)),
               'base-model', 'Model ' || g, '{}', '{"description": "filler"}',
               %(at)s + g, %(at)s + g, true
        FROM generate_series(1, 500) AS g""",
}

# Per table: rows read by sequential scans plus entries read by index scans.
ROWS_READ = """
    SELECT t.relname, t.seq_tup_read + COALESCE(i.idx_tup_read, 0)
    FROM pg_stat_user_tables t
    LEFT JOIN (SELECT relid, SUM(idx_tup_read) AS idx_tup_read
               FROM pg_stat_user_indexes GROUP BY relid) i ON i.relid = t.relid"""


@dataclass(frozen=True)
class Caller:
    """Who sends the hot requests, and the chat they open."""

    user: Account
    admin_api_key: str
    chat_id: str


@dataclass(frozen=True)
class Hot:
    """A request the UI sends on every page or every chat, and who sends it."""

    name: str
    method: str
    path: str  # `{chat}` stands for one of the user's chats
    # "user", "api_key" (the admin's key) or "anonymous".
    caller: str = "user"
    body: Callable[[Account], dict] | None = None
    # Tables upstream's own query for this request must scan: no index fits.
    # Requests are batched with those that may sweep the same tables.
    may_scan: frozenset[str] = frozenset()


MODELS = frozenset({"model"})

HOT = [
    Hot("session", "GET", "/api/v1/auths/"),
    Hot("config", "GET", "/api/config"),
    Hot("config anonymous", "GET", "/api/config", caller="anonymous"),
    Hot("chat list page", "GET", "/api/v1/chats/?page=1"),
    Hot("chat list", "GET", "/api/v1/chats/"),
    Hot("pinned chats", "GET", "/api/v1/chats/pinned"),
    Hot("chat", "GET", "/api/v1/chats/{chat}"),
    Hot("new chat", "POST", "/api/v1/chats/new", body=lambda _: {"chat": {}}),
    Hot("user settings", "GET", "/api/v1/users/user/settings"),
    # Upstream's `model` table has no index on user_id or base_model_id.
    Hot("model list", "GET", "/api/v1/models/list", may_scan=MODELS),
    # With a provider connected, upstream adds every workspace model to its list.
    Hot("chat models", "GET", "/api/models", may_scan=MODELS),
    Hot("chat models by API key", "GET", "/api/models", "api_key", may_scan=MODELS),
    Hot(
        "signin",
        "POST",
        "/api/v1/auths/signin",
        body=lambda user: {"email": user.email, "password": user.password},
    ),
]


@dataclass(frozen=True)
class Reads:
    """What a request answered, and the rows read while it (and `with_` it) ran."""

    status: int
    text: str
    rows_read: dict[str, int]
    with_: tuple[str, ...] = ()


def reads_targets(requested: list[Target]) -> list[Target]:
    """One target per implementation: the first with PostgreSQL, or the first with
    PostgreSQL added."""
    chosen: dict[str, Target] = {}
    for target in requested:
        current = chosen.get(target.impl)
        if current is None or (target.postgres and not current.postgres):
            chosen[target.impl] = target
    return [replace(target, postgres=True) for target in chosen.values()]


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Parametrize by `reads_target`, not the suite's `target`: no request here goes
    to the session's server, and each implementation runs once."""
    if "reads_target" in metafunc.fixturenames:
        targets = reads_targets(requested_targets(metafunc.config))
        ids = [target.spec for target in targets]
        metafunc.parametrize("reads_target", targets, ids=ids, scope="module")


def rows_read(stats: psycopg.Connection) -> dict[str, int]:
    stats.execute("SELECT pg_stat_clear_snapshot()")
    return {name: int(read) for name, read in stats.execute(ROWS_READ).fetchall()}


def settled(stats: psycopg.Connection, last_request: float) -> dict[str, int]:
    """The counters once every backend flushed what it did until `last_request`."""
    time.sleep(max(0.0, last_request + IDLE_FLUSH_SECONDS - time.monotonic()))
    deadline = time.monotonic() + SETTLE_TIMEOUT
    previous = rows_read(stats)
    while time.monotonic() < deadline:
        time.sleep(SETTLE_SECONDS)
        current = rows_read(stats)
        if current == previous:
            return current
        previous = current
    pytest.fail(f"the server's statistics still changed after {SETTLE_TIMEOUT} s")


def fill(database_url: str) -> None:
    """Upstream-sized tables, vacuumed and analyzed as a live database would be."""
    with psycopg.connect(database_url, autocommit=True) as connection:
        for table, statement in FILL.items():
            connection.execute(statement, {"at": FILLER_CREATED_AT})
            connection.execute(f'VACUUM ANALYZE "{table}"')


def send(client: httpx.Client, hot: Hot, caller: Caller) -> httpx.Response:
    headers = {
        "user": caller.user.headers,
        "api_key": bearer(caller.admin_api_key),
        "anonymous": {},
    }[hot.caller]
    body = hot.body(caller.user) if hot.body else None
    path = hot.path.format(chat=caller.chat_id)
    return client.request(hot.method, path, headers=headers, json=body)


@pytest.fixture(scope="module")
def on_postgres(
    reads_target: Target, secret: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Server]:
    """A server of the target on a database of its own, with sequential scans
    disabled before the server's first connection."""
    workdir = tmp_path_factory.mktemp(f"reads-{reads_target.spec}")
    with ExitStack() as stack:
        database_url = stack.enter_context(postgres_database())
        name = database_url.rsplit("/", 1)[1]
        with psycopg.connect(database_url, autocommit=True) as connection:
            connection.execute(f'ALTER DATABASE "{name}" SET enable_seqscan = off')
        # The database is ours: the server is told its URL instead of making one.
        extra_env = {"DATABASE_URL": open_webui_url(database_url)}
        own_database = replace(reads_target, postgres=False)
        server = stack.enter_context(
            running_server(own_database, workdir, secret, extra_env)
        )
        yield replace(server, target=reads_target, database_url=database_url)


@pytest.fixture(scope="module")
def reads(on_postgres: Server) -> dict[str, Reads]:
    """Each hot request, sent on the filled database, with the rows read meanwhile."""
    database_url = on_postgres.database_url
    assert database_url is not None
    with (
        http_client(on_postgres.base_url) as client,
        psycopg.connect(database_url, autocommit=True) as stats,
    ):
        admin_password = "admin-password-1"
        admin = account_from(
            signup(client, unique_email("admin"), admin_password), admin_password
        )
        user = add_user(client, admin)
        key = client.post("/api/v1/auths/api_key", headers=admin.headers)
        assert key.status_code == 200, key.text
        chats = [new_chat(client, user, {"title": f"Mine {n}"}) for n in range(3)]
        caller = Caller(user, key.json()["api_key"], chats[0]["id"])
        fill(database_url)
        before = settled(stats, time.monotonic())

        def batch(hots: list[Hot]) -> dict[str, Reads]:
            nonlocal before
            responses = [send(client, hot, caller) for hot in hots]
            after = settled(stats, time.monotonic())
            read = {table: after[table] - before.get(table, 0) for table in after}
            before = after
            names = tuple(hot.name for hot in hots)
            return {
                hot.name: Reads(response.status_code, response.text[:300], read, names)
                for hot, response in zip(hots, responses, strict=True)
            }

        found: dict[str, Reads] = {}
        for may_scan in dict.fromkeys(hot.may_scan for hot in HOT):
            together = [hot for hot in HOT if hot.may_scan == may_scan]
            read = batch(together)
            found |= read
            rows_read = read[together[0].name].rows_read
            swept = any(
                rows >= FEW
                for table, rows in rows_read.items()
                if table not in may_scan
            )
            if swept and len(together) > 1:
                for hot in together:  # name the request that swept a table
                    found |= batch([hot])
        return found


@pytest.mark.parametrize("hot", HOT, ids=[hot.name for hot in HOT])
def test_a_hot_request_reads_few_rows_of_each_table(
    hot: Hot,
    reads_target: Target,
    reads: dict[str, Reads],
) -> None:
    """On a database filled like upstream's, a request reads few rows of each table."""
    found = reads[hot.name]
    assert found.status == 200, found.text
    swept = {
        table: rows
        for table, rows in found.rows_read.items()
        if rows >= FEW and table not in hot.may_scan
    }
    sent = ", ".join(found.with_)
    assert swept == {}, (
        f"{hot.method} {hot.path} read whole tables: rows read per table while "
        f"sending {sent}; every filled table holds at least {4 * FEW} rows"
    )
