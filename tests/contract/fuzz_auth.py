"""Schemathesis hooks for `test_schema_fuzz.py`: every generated request is the admin's.

The fuzzer calls the admin routes too, and some of them end sessions on purpose: a
revocation rotates the admin's session stamp, and a token minted once would be
refused from then on, leaving every later request to test only the 401. So each
request gets a token signed just before it is sent, with the stamp the database holds
then. The test passes what is needed in FUZZ_* variables: schemathesis imports this
module in its own process (SCHEMATHESIS_HOOKS).
"""

import os
import sqlite3
import time
import uuid

import jwt
import psycopg
import schemathesis

STAMP_QUERY = "SELECT session_stamp FROM auth WHERE id = {}"


def session_stamp(database: str, user_id: str) -> str | None:
    """The admin's current stamp, read-only; None when the account has none."""
    if database.startswith("postgresql"):
        with psycopg.connect(database) as connection:
            row = connection.execute(STAMP_QUERY.format("%s"), (user_id,)).fetchone()
    else:
        connection = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
        try:
            row = connection.execute(STAMP_QUERY.format("?"), (user_id,)).fetchone()
        finally:
            connection.close()
    return row[0] if row else None


def admin_token(secret: str, user_id: str, database: str) -> str:
    """A session token for `user_id`, valid now: signed with the server's secret and
    carrying the session stamp its database holds."""
    now = int(time.time())
    claims = {
        "id": user_id,
        "typ": "session",
        "session_stamp": session_stamp(database, user_id),
        "iat": now,
        "exp": now + 3600,
        "jti": str(uuid.uuid4()),
    }
    return jwt.encode(claims, secret, algorithm="HS256")


# refresh_interval=None: no caching, a token per request.
@schemathesis.auth(refresh_interval=None)
class AdminSession:
    def get(self, case, context) -> str:
        env = os.environ
        return admin_token(
            env["FUZZ_SECRET"], env["FUZZ_USER_ID"], env["FUZZ_DATABASE"]
        )

    def set(self, case, data: str, context) -> None:
        case.headers = {**(case.headers or {}), "Authorization": f"Bearer {data}"}
