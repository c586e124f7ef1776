"""Shared deployments: two servers of different implementations on one SQLite file.

Both run at once on the same DATA_DIR with the same secret, as two replicas of one
deployment would during a migration from one implementation to the other.
"""

import secrets
import sqlite3
from contextlib import ExitStack, closing
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from contract.api import Account, account_from, http_client, signin, signup
from contract.servers import Server, running_server
from contract.targets import Target

ADMIN_EMAIL = "interop-admin@example.com"
ADMIN_PASSWORD = "interop-admin-1"


@dataclass(frozen=True)
class Side:
    """One server of a deployment, with a client and the admin's session on it."""

    server: Server
    client: httpx.Client
    admin: Account


def start_order(impls: tuple[str, ...]) -> list[str]:
    """Upstream first: its Alembic migrations must create the schema, since they fail
    on tables they did not make. Otherwise the order the pair names."""
    return sorted(impls, key=lambda impl: impl != "upstream")


def sqlite_schema(database: Path) -> list[tuple]:
    """Every table, index and trigger definition in the file, in a stable order."""
    with closing(sqlite3.connect(f"file:{database}?mode=ro", uri=True)) as db:
        return sorted(db.execute("SELECT type, name, tbl_name, sql FROM sqlite_master"))


class Deployments:
    """One shared deployment per unordered pair, started when a test first needs it
    and stopped at the end of the session."""

    def __init__(self, stack: ExitStack, tmp: pytest.TempPathFactory) -> None:
        self._stack = stack
        self._tmp = tmp
        self._started: dict[frozenset[str], dict[str, Side]] = {}
        self._schemas: dict[frozenset[str], list[tuple]] = {}

    def sides(self, impls: tuple[str, str]) -> dict[str, Side]:
        key = frozenset(impls)
        if key not in self._started:
            self._started[key] = self._start(key, start_order(impls))
        return self._started[key]

    def schema_before_second_server(self, impls: tuple[str, str]) -> list[tuple]:
        """The schema as the first server of the pair left it, alone."""
        self.sides(impls)
        return self._schemas[frozenset(impls)]

    def _start(self, key: frozenset[str], order: list[str]) -> dict[str, Side]:
        secret = secrets.token_hex(32)
        data_dir = self._tmp.mktemp(f"shared-{'-'.join(order)}")
        sides = {}
        for impl in order:
            server = self._stack.enter_context(
                running_server(
                    Target(impl),
                    self._tmp.mktemp(f"interop-{impl}"),
                    secret,
                    data_dir=data_dir,
                )
            )
            client = self._stack.enter_context(http_client(server.base_url))
            if not sides:
                # The first signup on the empty database makes the admin.
                signup(client, ADMIN_EMAIL, ADMIN_PASSWORD)
                self._schemas[key] = sqlite_schema(data_dir / "webui.db")
            admin = account_from(
                signin(client, ADMIN_EMAIL, ADMIN_PASSWORD), ADMIN_PASSWORD
            )
            sides[impl] = Side(server, client, admin)
        return sides
