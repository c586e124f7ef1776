"""On an empty database each backend creates the same tables: upstream's columns,
types and indexes, so that Open WebUI's migrations can later take the file over."""

import secrets
import sqlite3
from contextlib import closing
from pathlib import Path

import pytest
from contract.servers import running_server
from contract.targets import Target

from .conftest import distinct_impls

# The slice's tables; upstream's file has many more.
SLICE = (
    "auth",
    "user",
    "api_key",
    "config",
    "chat",
    "chat_message",
    "shared_chat",
    "model",
    "model_history",
    "access_grant",
)


def table_schema(db: sqlite3.Connection, table: str) -> dict:
    """Columns (type, not null, default, key) and indexes (unique, partial, columns)."""
    columns = {
        name: (kind.upper(), notnull, default, pk)
        for _cid, name, kind, notnull, default, pk in db.execute(
            f'PRAGMA table_info("{table}")'
        )
    }
    indexes = {}
    for _seq, name, unique, origin, partial in db.execute(
        f'PRAGMA index_list("{table}")'
    ):
        keys = [
            (column, desc)  # column is None for an expression, as in lower(email)
            for _seqno, _cid, column, desc, _collation, key in db.execute(
                f'PRAGMA index_xinfo("{name}")'
            )
            if key  # not the rowid that every index carries
        ]
        # Auto-made indexes (PRIMARY KEY, UNIQUE) are named by SQLite; key them by role.
        label = name if origin == "c" else f"{origin}:{keys}"
        indexes[label] = (unique, partial, keys)
    return {"columns": columns, "indexes": indexes}


def fresh_schema(impl: str, workdir: Path) -> dict[str, dict]:
    """Start `impl` on an empty SQLite file, stop it, and read what it created."""
    with running_server(Target.parse(impl), workdir, secrets.token_hex(16)) as server:
        database = server.data_dir / "webui.db"
    with closing(sqlite3.connect(f"file:{database}?mode=ro", uri=True)) as db:
        return {table: table_schema(db, table) for table in SLICE}


@pytest.fixture(scope="module")
def schemas(request: pytest.FixtureRequest, tmp_path_factory) -> dict[str, dict]:
    return {
        impl: fresh_schema(impl, tmp_path_factory.mktemp(f"schema-{impl}"))
        for impl in distinct_impls(request.config)
    }


def twins(config: pytest.Config) -> list[str]:
    return [impl for impl in distinct_impls(config) if impl != "upstream"]


# --8<-- [start:identical]
def test_the_twins_create_identical_tables(schemas: dict) -> None:
    made = {impl: schemas[impl] for impl in schemas if impl != "upstream"}
    first, *others = made
    for impl in others:
        assert made[impl] == made[first], f"{impl} differs from {first}"


# --8<-- [end:identical]


@pytest.mark.needs_upstream
def test_the_twins_create_upstreams_columns_and_indexes(
    request: pytest.FixtureRequest, schemas: dict
) -> None:
    upstream = schemas["upstream"]
    for impl in twins(request.config):
        for table, made in schemas[impl].items():
            theirs = upstream[table]
            assert made["columns"] == theirs["columns"], f"{impl}: {table} columns"
            missing = set(made["indexes"]) - set(theirs["indexes"])
            assert not missing, f"{impl}: {table} indexes upstream lacks: {missing}"
