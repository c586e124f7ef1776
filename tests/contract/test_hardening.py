"""The twins' hardening options, each against the default it changes.

Every option is off by default, and Open WebUI has none of them: on Open WebUI and on a
default twin these tests pin the compatible behaviour, on a `+hardened` twin
(`servers.HARDENED_ENV`) the hardened one. A row of the hostile catalogues holds what
a status alone shows (`hardened` in the row: a token without `exp`, a Basic scheme, a
10 KB email, a padded email, the role "superadmin", a 10 MB body); this module holds
what needs a second request or a look at the database.
"""

import re
import uuid

import httpx

from . import messages
from .api import Account, bearer, signin
from .servers import Server
from .storage import read_all, stored_password_hash
from .targets import Target
from .tokens import claims

# How a new argon2id hash states its parameters, and OWASP's floor for them
# (Password Storage Cheat Sheet: 19 MiB of memory, 2 passes, 1 lane).
ARGON2ID = re.compile(r"^\$argon2id\$v=19\$m=(\d+),t=(\d+),p=(\d+)\$")
OWASP_FLOOR = {"m": 19_456, "t": 2, "p": 1}
REVOCATION_TABLE = "twin_revoked_token"
TABLES = {
    "sqlite": "SELECT name FROM sqlite_master WHERE type = 'table'",
    "postgres": "SELECT tablename FROM pg_tables WHERE schemaname = 'public'",
}


def tables(server: Server) -> set[str]:
    query = TABLES["postgres" if server.database_url else "sqlite"]
    return {name for (name,) in read_all(server, query)}


# --8<-- [start:strict-emails]
def test_signin_trims_the_email_only_when_strict(
    client: httpx.Client, user: Account, target: Target
) -> None:
    response = signin(client, f"  {user.email.upper()}\t", user.password)
    if target.hardened:
        assert response.status_code == 200, response.text
        assert response.json()["id"] == user.id
    else:
        assert response.status_code == 400
        assert response.json() == {"detail": messages.INVALID_CRED}


def test_an_updated_email_is_stored_trimmed_only_when_strict(
    client: httpx.Client, admin: Account, make_user, target: Target
) -> None:
    other = make_user(label="trim")
    address = f"Trimmed-{uuid.uuid4().hex[:8]}@Example.com"
    response = client.post(
        f"/api/v1/users/{other.id}/update",
        headers=admin.headers,
        json={
            "role": "user",
            "name": other.name,
            "email": f" {address} ",
            "profile_image_url": "/user.png",
        },
    )
    assert response.status_code == 200, response.text
    stored = address.lower() if target.hardened else f" {address.lower()} "
    assert response.json()["email"] == stored


# --8<-- [end:strict-emails]


def test_new_password_hashes(server: Server, user: Account, target: Target) -> None:
    """bcrypt by default, as upstream; argon2id at or above OWASP's floor hardened."""
    hashed = stored_password_hash(server, user.email)
    if not target.hardened:
        assert hashed.startswith("$2b$12$"), hashed[:7]
        return
    match = ARGON2ID.match(hashed)
    assert match, hashed[:40]
    parameters = dict(zip("mtp", map(int, match.groups()), strict=True))
    assert all(parameters[name] >= floor for name, floor in OWASP_FLOOR.items()), (
        parameters
    )


# --8<-- [start:revocation-table]
def test_signout_writes_the_revocation_table_only_when_hardened(
    server: Server, client: httpx.Client, user: Account, target: Target
) -> None:
    session = signin(client, user.email, user.password).json()["token"]
    signed_out = client.post("/api/v1/auths/signout", headers=bearer(session))
    assert signed_out.status_code == 200
    if not target.hardened:
        # Off, the schema stays exactly upstream's.
        assert REVOCATION_TABLE not in tables(server)
        return
    token = claims(session, server.secret)
    rows = read_all(
        server,
        f"SELECT jti, expires_at FROM {REVOCATION_TABLE} WHERE jti = {{}}",
        token["jti"],
    )
    assert rows == [(token["jti"], token["exp"])]
    refused = client.get("/api/v1/auths/", headers=bearer(session))
    assert refused.status_code == 401
    assert refused.json() == {"detail": messages.INVALID_TOKEN}


# --8<-- [end:revocation-table]
