"""OpenAI-compatible connections: `/openai/config`, its update, `/openai/models`.

The `+provider` targets start with one connection from the environment
(ENABLE_OPENAI_API, OPENAI_API_BASE_URLS, OPENAI_API_KEYS): the session's provider,
which wants a key. Tests that change the connections restore them afterwards.
"""

import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import replace
from pathlib import Path

import httpx
import pytest
from support.provider import Provider, running_provider

from . import messages
from .api import Account, account_from, http_client, signup, unique_email
from .completions import (
    PROVIDER_MODEL,
    SERVER_CONNECTION_ERROR,
    ask,
    closed_port_url,
    openai_connections,
    reply_to,
    sent_to_provider,
    unique_words,
)
from .servers import PROVIDER_KEY, Server, running_server
from .targets import Target

pytestmark = pytest.mark.needs_provider

OPENAI_DISABLED = {"detail": "OpenAI API is disabled"}
SECOND_KEY = "sk-second-connection"


@pytest.fixture(scope="module")
def second_provider(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Provider]:
    """Another provider, with its own model and its own key."""
    workdir = tmp_path_factory.mktemp("second-provider")
    with running_provider(
        workdir, models=("handbook-second",), api_key=SECOND_KEY
    ) as provider:
        yield provider


def test_the_config_comes_from_the_environment(
    server: Server, client: httpx.Client, admin: Account
) -> None:
    assert server.provider is not None
    response = client.get("/openai/config", headers=admin.headers)
    assert response.status_code == 200
    assert response.json() == {
        "ENABLE_OPENAI_API": True,
        "OPENAI_API_BASE_URLS": [server.provider.base_url],
        "OPENAI_API_KEYS": [PROVIDER_KEY],
        "OPENAI_API_CONFIGS": {},
    }


def test_the_config_is_for_admins(client: httpx.Client, user: Account) -> None:
    attempts = [
        (client.get("/openai/config", headers=user.headers), 401),
        (client.post("/openai/config/update", headers=user.headers, json={}), 401),
    ]
    for response, status in attempts:
        assert (response.status_code, response.json()) == (
            status,
            {"detail": messages.ACCESS_PROHIBITED},
        )
    anonymous = client.get("/openai/config")
    assert (anonymous.status_code, anonymous.json()) == (
        401,
        {"detail": messages.NOT_AUTHENTICATED},
    )


# --8<-- [start:update]
@pytest.mark.parametrize(
    ("keys", "stored_keys"),
    [(["k0", "k1", "k2"], ["k0", "k1"]), (["k0"], ["k0", ""])],
    ids=["extra-key-dropped", "missing-key-padded"],
)
def test_an_update_keeps_one_key_per_url(
    client: httpx.Client, admin: Account, keys: list, stored_keys: list
) -> None:
    """One key per URL, padded with empty keys or cut; per-connection settings are
    kept only for connections that exist (by index)."""
    urls = ["http://127.0.0.1:9/v1", "http://127.0.0.1:10/v1"]
    configs = {"0": {"enable": True, "prefix_id": "a"}, "7": {"enable": True}}
    with openai_connections(
        client,
        admin,
        ENABLE_OPENAI_API=True,
        OPENAI_API_BASE_URLS=urls,
        OPENAI_API_KEYS=keys,
        OPENAI_API_CONFIGS=configs,
    ) as answer:
        expected = {
            "ENABLE_OPENAI_API": True,
            "OPENAI_API_BASE_URLS": urls,
            "OPENAI_API_KEYS": stored_keys,
            "OPENAI_API_CONFIGS": {"0": configs["0"]},
        }
        assert answer == expected
        assert client.get("/openai/config", headers=admin.headers).json() == expected


# --8<-- [end:update]


def test_an_update_with_a_bad_form_is_422(client: httpx.Client, admin: Account):
    before = client.get("/openai/config", headers=admin.headers).json()
    response = client.post(
        "/openai/config/update",
        headers=admin.headers,
        json={"OPENAI_API_BASE_URLS": "http://127.0.0.1:9/v1"},
    )
    assert response.status_code == 422
    detail = response.json()["detail"]
    assert sorted(error["loc"] for error in detail) == [
        ["body", "OPENAI_API_BASE_URLS"],
        ["body", "OPENAI_API_CONFIGS"],
        ["body", "OPENAI_API_KEYS"],
    ]
    assert client.get("/openai/config", headers=admin.headers).json() == before


def test_the_models_of_every_connection(
    client: httpx.Client, admin: Account, user: Account
) -> None:
    """Each provider model under its own id, with the provider's entry kept under
    `openai`. A user sees only the models a workspace entry grants: none here."""
    response = client.get("/openai/models", headers=admin.headers)
    assert response.status_code == 200
    provided = {
        "id": PROVIDER_MODEL,
        "object": "model",
        "created": 1_700_000_000,
        "owned_by": "handbook",
        "connection_type": "external",
    }
    assert response.json() == {
        "data": [
            provided
            | {
                "owned_by": "openai",
                "name": PROVIDER_MODEL,
                "openai": provided,
                "provider": "",
                "urlIdx": 0,
            }
        ]
    }
    assert client.get("/openai/models", headers=user.headers).json() == {"data": []}


def test_the_models_of_one_connection_as_it_lists_them(
    client: httpx.Client, admin: Account, user: Account
) -> None:
    response = client.get("/openai/models/0", headers=admin.headers)
    assert response.status_code == 200
    assert response.json() == {
        "object": "list",
        "data": [
            {
                "id": PROVIDER_MODEL,
                "object": "model",
                "created": 1_700_000_000,
                "owned_by": "handbook",
            }
        ],
    }
    refused = client.get("/openai/models/0", headers=user.headers)
    assert (refused.status_code, refused.json()) == (
        401,
        {"detail": messages.ACCESS_PROHIBITED},
    )
    unparsed = client.get("/openai/models/first", headers=admin.headers)
    assert unparsed.status_code == 422
    assert unparsed.json()["detail"][0]["loc"] == ["path", "url_idx"]


def test_a_connection_index_out_of_range(server: Server, admin: Account) -> None:
    """A declared difference. Open WebUI fails on the index it cannot find with a
    bare 500 (and drops the connection after it, hence a client of its own); the
    twins, whose 5xx always means a bug, answer 404 with a JSON detail."""
    with http_client(server.base_url) as own:
        response = own.get("/openai/models/5", headers=admin.headers)
    if server.target.impl == "upstream":
        assert (response.status_code, response.text) == (500, "Internal Server Error")
    else:
        assert (response.status_code, response.json()) == (
            404,
            {"detail": "Connection not found"},
        )


def test_a_connection_that_is_down_or_slow(
    client: httpx.Client, admin: Account, tmp_path: Path
) -> None:
    """Asked for one connection's models, a closed port is a connection error; a
    provider slower than the 2 s model-list timeout is an "unexpected" error whose
    message is empty (the timeout's own text), as upstream words it."""
    with (
        running_provider(
            tmp_path, models=("handbook-slow",), models_delay_ms=10_000
        ) as slow,
        openai_connections(
            client,
            admin,
            OPENAI_API_BASE_URLS=[closed_port_url(), slow.base_url],
            OPENAI_API_KEYS=["", ""],
            OPENAI_API_CONFIGS={},
        ),
    ):
        down = client.get("/openai/models/0", headers=admin.headers)
        started = time.monotonic()
        late = client.get("/openai/models/1", headers=admin.headers)
        waited = time.monotonic() - started
    assert (down.status_code, down.json()) == (500, SERVER_CONNECTION_ERROR)
    assert (late.status_code, late.json()) == (500, {"detail": "Unexpected error: "})
    assert 1.5 <= waited < 5.0


# --8<-- [start:keys]
def test_each_connection_sends_its_own_key(
    server: Server, client: httpx.Client, admin: Account, second_provider: Provider
) -> None:
    """Both providers want a key; each model is asked through its own connection."""
    assert server.provider is not None
    with openai_connections(
        client,
        admin,
        OPENAI_API_BASE_URLS=[server.provider.base_url, second_provider.base_url],
        OPENAI_API_KEYS=[PROVIDER_KEY, SECOND_KEY],
        OPENAI_API_CONFIGS={},
    ):
        listed = client.get("/api/models", headers=admin.headers).json()["data"]
        connection_of = {model["id"]: model.get("urlIdx") for model in listed}
        assert (connection_of[PROVIDER_MODEL], connection_of["handbook-second"]) == (
            0,
            1,
        )
        words = unique_words()
        body = {"model": "handbook-second", "messages": ask(words)}
        response = client.post(
            "/api/chat/completions", headers=admin.headers, json=body
        )
    assert response.status_code == 200, response.text
    assert response.json()["choices"][0]["message"]["content"] == reply_to(words)
    [sent] = sent_to_provider(second_provider, words)
    assert sent["authorization"] == f"Bearer {SECOND_KEY}"
    assert sent_to_provider(server.provider, words) == []


# --8<-- [end:keys]


def test_a_prefix_id_names_the_connections_models(
    server: Server, client: httpx.Client, admin: Account
) -> None:
    """A connection's prefix goes before its models' ids and names; the provider
    gets the id without it."""
    assert server.provider is not None
    prefix = f"p{uuid.uuid4().hex[:6]}"
    with openai_connections(
        client, admin, OPENAI_API_CONFIGS={"0": {"enable": True, "prefix_id": prefix}}
    ):
        listed = client.get("/api/models", headers=admin.headers).json()["data"]
        prefixed = f"{prefix}.{PROVIDER_MODEL}"
        [entry] = [model for model in listed if model["id"] == prefixed]
        assert entry["name"] == prefixed
        assert entry["openai"]["id"] == prefixed
        words = unique_words()
        body = {"model": prefixed, "messages": ask(words)}
        response = client.post(
            "/api/chat/completions", headers=admin.headers, json=body
        )
    assert response.status_code == 200, response.text
    [sent] = sent_to_provider(server.provider, words)
    assert sent["body"]["model"] == PROVIDER_MODEL


def test_a_disabled_api_lists_and_answers_nothing(
    server: Server, client: httpx.Client, admin: Account
) -> None:
    """ENABLE_OPENAI_API off in the stored config, whatever the environment says."""
    assert server.provider is not None
    words = unique_words()
    body = {"model": PROVIDER_MODEL, "messages": ask(words)}
    with openai_connections(client, admin, ENABLE_OPENAI_API=False):
        models = client.get("/openai/models", headers=admin.headers)
        relayed = client.post(
            "/openai/chat/completions", headers=admin.headers, json=body
        )
        listed = client.get("/api/models", headers=admin.headers).json()["data"]
        answered = client.post(
            "/api/chat/completions", headers=admin.headers, json=body
        )
    assert (models.status_code, models.json()) == (503, OPENAI_DISABLED)
    assert (relayed.status_code, relayed.json()) == (503, OPENAI_DISABLED)
    assert PROVIDER_MODEL not in [model["id"] for model in listed]
    assert (answered.status_code, answered.json()) == (
        400,
        {"detail": "Model not found"},
    )
    assert sent_to_provider(server.provider, words) == []


def test_env_lists_get_one_key_per_url_once_models_are_listed(
    launch: Callable[[Mapping[str, str]], Server], tmp_path: Path
) -> None:
    """The `;`-separated lists are stored as the environment gives them; the first
    model list cuts (or pads) the keys to one per URL and stores that."""
    with running_provider(tmp_path, api_key="sk-env") as own:
        fresh = launch(
            {
                "OPENAI_API_BASE_URLS": f"{own.base_url};{closed_port_url()}",
                "OPENAI_API_KEYS": "sk-env;sk-spare;sk-extra",
            }
        )
        with http_client(fresh.base_url) as client:
            password = "admin-password-1"
            admin = account_from(
                signup(client, unique_email("admin"), password), password
            )
            seeded = client.get("/openai/config", headers=admin.headers).json()
            models = listed_ids(client, admin)
            stored = client.get("/openai/config", headers=admin.headers).json()
    assert seeded["OPENAI_API_KEYS"] == ["sk-env", "sk-spare", "sk-extra"]
    assert PROVIDER_MODEL in models
    assert stored["OPENAI_API_KEYS"] == ["sk-env", "sk-spare"]
    assert stored["OPENAI_API_BASE_URLS"] == seeded["OPENAI_API_BASE_URLS"]


def listed_ids(client: httpx.Client, caller: Account) -> list[str]:
    response = client.get("/api/models", headers=caller.headers)
    assert response.status_code == 200, response.text
    return [model["id"] for model in response.json()["data"]]


# --8<-- [start:restart]
def test_the_stored_config_wins_over_the_environment_after_a_restart(
    target: Target, secret: str, tmp_path: Path
) -> None:
    """The environment seeds the stored connections on the first start only; an
    admin's change is what the next start uses, whatever the environment says then.

    Both starts use SQLite in one data directory, whatever the target's database: a
    PostgreSQL target gets a fresh database per start.
    """
    target = replace(target, postgres=False, redis=False)
    data_dir = tmp_path / "data"
    changed = {
        "ENABLE_OPENAI_API": True,
        "OPENAI_API_BASE_URLS": ["http://127.0.0.1:9/v1"],
        "OPENAI_API_KEYS": ["sk-stored"],
        "OPENAI_API_CONFIGS": {"0": {"enable": False}},
    }
    with (
        running_server(target, tmp_path / "first", secret, data_dir=data_dir) as first,
        http_client(first.base_url) as client,
    ):
        password = "admin-password-1"
        admin = account_from(signup(client, unique_email("admin"), password), password)
        updated = client.post(
            "/openai/config/update", headers=admin.headers, json=changed
        )
        assert updated.status_code == 200, updated.text
    later_env = {
        "OPENAI_API_BASE_URLS": "http://127.0.0.1:10/v1",
        "OPENAI_API_KEYS": "sk-from-env",
    }
    with (
        running_server(
            target, tmp_path / "second", secret, later_env, data_dir=data_dir
        ) as second,
        http_client(second.base_url) as client,
    ):
        response = client.get("/openai/config", headers=admin.headers)
    assert response.status_code == 200
    assert response.json() == changed


# --8<-- [end:restart]
