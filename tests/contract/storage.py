"""Reads of a server's database, for the few facts HTTP cannot show: how a password is
stored. A compatible server shares upstream's schema, so the same query fits all."""

import sqlite3

import psycopg

from .servers import Server

PASSWORD_QUERY = "SELECT password FROM auth WHERE email = {}"


def stored_password_hash(server: Server, email: str) -> str:
    if server.database_url:
        with psycopg.connect(server.database_url) as connection:
            row = connection.execute(PASSWORD_QUERY.format("%s"), (email,)).fetchone()
    else:
        # Read-only, so the test cannot lock or change the server's file.
        uri = f"file:{server.data_dir / 'webui.db'}?mode=ro"
        connection = sqlite3.connect(uri, uri=True)
        try:
            row = connection.execute(PASSWORD_QUERY.format("?"), (email,)).fetchone()
        finally:
            connection.close()
    assert row is not None, f"no auth row for {email}"
    return row[0]
