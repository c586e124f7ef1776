"""A fingerprint of a server's whole database: what "the request changed nothing" means.

Every table's row count and a sha256 of its rows, read the way `storage.py` reads: the
SQLite file read-only, or PostgreSQL through psycopg. Rows are hashed in a sorted
order, so the fingerprint depends on the data, not on the order a database returns it.
"""

import hashlib
import json
from collections.abc import Iterable

from .servers import Server
from .storage import read_only

# Columns a read is allowed to write: every implementation records when a user was
# last seen on an authenticated request, refused or not.
VOLATILE_COLUMNS = {("user", "last_active_at")}

SQLITE_TABLES = "SELECT name FROM sqlite_master WHERE type = 'table'"
POSTGRES_TABLES = (
    "SELECT table_name FROM information_schema.tables "
    "WHERE table_schema = 'public' AND table_type = 'BASE TABLE'"
)

Fingerprint = dict[str, tuple[int, str]]


def table_digest(table: str, columns: list[str], rows: Iterable[tuple]) -> tuple:
    """The row count and the sha256 of the rows' kept columns, in sorted order."""
    kept = [
        i for i, name in enumerate(columns) if (table, name) not in VOLATILE_COLUMNS
    ]
    lines = sorted(
        json.dumps([row[i] for i in kept], default=str, sort_keys=True) for row in rows
    )
    digest = hashlib.sha256("\n".join(lines).encode()).hexdigest()
    return len(lines), digest


def read_tables(cursor, tables: Iterable[str]) -> Fingerprint:
    fingerprint = {}
    for table in sorted(tables):
        # Table names come from the database's own catalogue, quoted as identifiers.
        cursor.execute(f'SELECT * FROM "{table}"')
        columns = [column[0] for column in cursor.description]
        fingerprint[table] = table_digest(table, columns, cursor.fetchall())
    return fingerprint


def fingerprint(server: Server) -> Fingerprint:
    """{table: (row count, sha256 of its rows)} for every table of the database."""
    listing = POSTGRES_TABLES if server.database_url else SQLITE_TABLES
    with read_only(server) as (cursor, _):
        tables = [row[0] for row in cursor.execute(listing).fetchall()]
        return read_tables(cursor, tables)
