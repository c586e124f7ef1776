"""Admin settings written through one implementation govern the other at once.

Open WebUI 0.12.4 keeps its settings in the `config` table, one row per key, and
reads the row on every request (`open_webui/models/config.py`, `Config.get`); its
`PersistentConfig` cache of earlier releases is gone, and Redis plays no part in it.
The twins read the same rows on every request too. So a change made through either
side's admin API holds on the other side at its next request, with no restart.

The exception is an Open WebUI started with `ENABLE_PERSISTENT_CONFIG=false`: it then
serves the values of its environment from memory and keeps an admin's changes there,
never reading or writing the table. The last test shows that split on a deployment of
its own.
"""

import secrets
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import ExitStack, closing

import pytest
from contract import messages, tokens
from contract.api import (
    account_from,
    add_user,
    bearer,
    http_client,
    signin,
    signup,
    unique_email,
)
from contract.servers import running_server
from contract.targets import Target

from .conftest import distinct_impls
from .deployments import ADMIN_EMAIL, ADMIN_PASSWORD, Side

PATH = "/api/v1/auths/admin/config"
PASSWORD = "shared-config-1"


def read(side: Side) -> dict:
    response = side.client.get(PATH, headers=side.admin.headers)
    assert response.status_code == 200, response.text
    return response.json()


def write(side: Side, **changes: object) -> dict:
    """Post the side's settings back with `changes`, as the admin panel does."""
    response = side.client.post(
        PATH, headers=side.admin.headers, json=read(side) | changes
    )
    assert response.status_code == 200, response.text
    answered = response.json()
    assert {key: answered[key] for key in changes} == changes
    return answered


def seen(side: Side, keys: object) -> dict:
    config = read(side)
    return {key: config[key] for key in keys}


def signed_up_role(side: Side) -> str:
    """The role a newcomer gets by signing up on `side`; fails if refused."""
    response = signup(side.client, unique_email("newcomer"), PASSWORD)
    assert response.status_code == 200, response.text
    return response.json()["role"]


@pytest.fixture
def change(pair: tuple[Side, Side]) -> Iterator[Callable[..., dict]]:
    """Change settings through the writer; the ones found before are put back after
    the test, since every test of the pair shares the deployment."""
    writer, _ = pair
    original = read(writer)
    yield lambda **changes: write(writer, **changes)
    restored = writer.client.post(PATH, headers=writer.admin.headers, json=original)
    assert restored.status_code == 200, restored.text


# Each round differs from the one before it, and the first from the defaults: a reader
# that kept the values of its start, or of its first read, fails one round.
ROUNDS = [
    {
        "ENABLE_SIGNUP": True,
        "DEFAULT_USER_ROLE": "user",
        "JWT_EXPIRES_IN": "1h",
        "SHOW_ADMIN_DETAILS": False,
        "ENABLE_API_KEYS": False,
    },
    {
        "ENABLE_SIGNUP": False,
        "DEFAULT_USER_ROLE": "pending",
        "JWT_EXPIRES_IN": "2h",
        "SHOW_ADMIN_DETAILS": True,
        "ENABLE_API_KEYS": True,
    },
]


# --8<-- [start:settings-cross]
def test_reader_reports_the_writers_settings(
    pair: tuple[Side, Side], change: Callable[..., dict]
) -> None:
    _, reader = pair
    for settings in ROUNDS:
        change(**settings)
        assert seen(reader, settings) == settings


# --8<-- [end:settings-cross]


def test_signup_on_reader_follows_the_writers_settings(
    pair: tuple[Side, Side], change: Callable[..., dict]
) -> None:
    _, reader = pair
    change(ENABLE_SIGNUP=True, DEFAULT_USER_ROLE="user")
    assert signed_up_role(reader) == "user"
    change(DEFAULT_USER_ROLE="pending")
    assert signed_up_role(reader) == "pending"
    change(ENABLE_SIGNUP=False)
    refused = signup(reader.client, unique_email("latecomer"), PASSWORD)
    assert refused.status_code == 403
    assert refused.json() == {"detail": messages.ACCESS_PROHIBITED}


def test_token_lifetime_on_reader_follows_the_writer(
    pair: tuple[Side, Side], change: Callable[..., dict]
) -> None:
    _, reader = pair
    member = add_user(reader.client, reader.admin, label="timed")
    for expires_in, seconds in (("1h", 3600), ("2h", 7200)):
        change(JWT_EXPIRES_IN=expires_in)
        response = signin(reader.client, member.email, member.password)
        assert response.status_code == 200
        claims = tokens.claims(response.json()["token"], reader.server.secret)
        assert abs(claims["exp"] - claims["iat"] - seconds) <= 1


def test_admin_details_on_reader_follow_the_writer(
    pair: tuple[Side, Side], change: Callable[..., dict]
) -> None:
    _, reader = pair
    member = add_user(reader.client, reader.admin, label="curious")
    path = "/api/v1/auths/admin/details"
    change(SHOW_ADMIN_DETAILS=False)
    hidden = reader.client.get(path, headers=member.headers)
    assert hidden.status_code == 400
    assert hidden.json() == {"detail": messages.ACTION_PROHIBITED}
    change(SHOW_ADMIN_DETAILS=True)
    shown = reader.client.get(path, headers=member.headers)
    assert shown.status_code == 200
    assert shown.json()["email"] == ADMIN_EMAIL


def test_api_keys_on_reader_follow_the_writer(
    pair: tuple[Side, Side], change: Callable[..., dict]
) -> None:
    _, reader = pair
    # An admin of its own: admins need no extra permission to hold a key.
    holder = add_user(reader.client, reader.admin, role="admin", label="keyholder")
    made = reader.client.post("/api/v1/auths/api_key", headers=holder.headers)
    assert made.status_code == 200, made.text
    key = bearer(made.json()["api_key"])
    change(ENABLE_API_KEYS=False)
    refused = reader.client.get("/api/v1/chats/", headers=key)
    assert refused.status_code == 403
    assert refused.json() == {"detail": messages.API_KEY_NOT_ALLOWED}
    remade = reader.client.post("/api/v1/auths/api_key", headers=holder.headers)
    assert remade.status_code == 403
    assert remade.json() == {"detail": messages.API_KEY_CREATION_NOT_ALLOWED}
    change(ENABLE_API_KEYS=True)
    assert reader.client.get("/api/v1/chats/", headers=key).status_code == 200


# Open WebUI with ENABLE_PERSISTENT_CONFIG=false beside a twin, on a file of their own:
# the setting is documented, and an operator may well have it on.


@pytest.fixture(scope="module")
def unpersisted(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Side, Side]]:
    """(Open WebUI with ENABLE_PERSISTENT_CONFIG=false, the twin), sharing one file.

    Open WebUI starts first, on the empty file, and its first signup makes the admin;
    the twin is the Rust backend when the run has it, else the Python one."""
    twin = "rust" if "rust" in distinct_impls(request.config) else "python"
    data_dir = tmp_path_factory.mktemp("unpersisted-data")
    secret = secrets.token_hex(32)
    with ExitStack() as stack:
        sides = []
        for impl, env in (
            ("upstream", {"ENABLE_PERSISTENT_CONFIG": "false"}),
            (twin, {}),
        ):
            server = stack.enter_context(
                running_server(
                    Target(impl),
                    tmp_path_factory.mktemp(f"unpersisted-{impl}"),
                    secret,
                    env,
                    data_dir=data_dir,
                )
            )
            client = stack.enter_context(http_client(server.base_url))
            if not sides:
                signup(client, ADMIN_EMAIL, ADMIN_PASSWORD)
            admin = account_from(
                signin(client, ADMIN_EMAIL, ADMIN_PASSWORD), ADMIN_PASSWORD
            )
            sides.append(Side(server, client, admin))
        yield sides[0], sides[1]


def stored(side: Side, key: str) -> str | None:
    """The JSON text of `key` in the shared file, or None if it has no row."""
    database = side.server.data_dir / "webui.db"
    with closing(sqlite3.connect(f"file:{database}?mode=ro", uri=True)) as db:
        row = db.execute("SELECT value FROM config WHERE key = ?", (key,)).fetchone()
    return None if row is None else row[0]


@pytest.mark.needs_upstream
def test_without_persistent_config_each_side_keeps_its_own_settings(
    unpersisted: tuple[Side, Side],
) -> None:
    open_webui, twin = unpersisted
    keys = ("ENABLE_SIGNUP", "DEFAULT_USER_ROLE", "JWT_EXPIRES_IN")
    # Open WebUI closed signup after its first account in its memory only; the twin
    # seeded the missing row from its own environment, where signup is open.
    assert read(open_webui)["ENABLE_SIGNUP"] is False
    assert stored(twin, "ui.enable_signup") == "true"
    assert read(twin)["ENABLE_SIGNUP"] is True
    # The twin's write reaches the table, which Open WebUI does not read: it keeps
    # its environment's defaults and the signup it closed.
    twins = {"ENABLE_SIGNUP": True, "DEFAULT_USER_ROLE": "user", "JWT_EXPIRES_IN": "2h"}
    write(twin, **twins)
    assert stored(twin, "auth.jwt_expiry") == '"2h"'
    assert seen(open_webui, keys) == {
        "ENABLE_SIGNUP": False,
        "DEFAULT_USER_ROLE": "pending",
        "JWT_EXPIRES_IN": "4w",
    }
    assert signed_up_role(twin) == "user"
    # Open WebUI's write stays in its memory: the table and the twin keep the twin's.
    own = {
        "ENABLE_SIGNUP": True,
        "DEFAULT_USER_ROLE": "pending",
        "JWT_EXPIRES_IN": "3h",
    }
    write(open_webui, **own)
    assert seen(open_webui, keys) == own
    assert stored(twin, "auth.jwt_expiry") == '"2h"'
    assert seen(twin, keys) == twins
    assert signed_up_role(open_webui) == "pending"
    assert signed_up_role(twin) == "user"
