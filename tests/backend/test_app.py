"""The app's own answers: JSON for unknown routes and methods, and the trailing slash.

The twin of the Rust backend's `tests/backend/app.rs`, test for test where the two
behave alike. They differ on a root route without its slash: the Rust twin serves it,
FastAPI redirects to it, and the test here says so.
"""

import pytest
from fastapi.testclient import TestClient

from reference_backend.env import Settings
from reference_backend.main import create_app

from .conftest import SECRET


# --8<-- [start:json-errors]
def test_unknown_routes_and_methods_get_fastapis_json(client: TestClient) -> None:
    response = client.get("/api/v1/nowhere")
    assert (response.status_code, response.json()) == (404, {"detail": "Not Found"})
    response = client.delete("/health")
    assert response.status_code == 405
    assert response.json() == {"detail": "Method Not Allowed"}


# --8<-- [end:json-errors]


# --8<-- [start:slash]
def test_both_spellings_of_a_root_route_reach_it(client: TestClient) -> None:
    """With its slash the route answers; without, FastAPI answers 307 to it first."""
    response = client.get("/api/v1/users/")
    assert response.status_code == 401
    assert response.json() == {"detail": "Not authenticated"}
    redirect = client.get("/api/v1/users", follow_redirects=False)
    assert redirect.status_code == 307
    assert redirect.headers["location"] == "http://testserver/api/v1/users/"
    followed = client.get("/api/v1/users")
    assert (followed.status_code, followed.json()) == (401, response.json())


# --8<-- [end:slash]


# --8<-- [start:server-error]
def test_an_unexpected_failure_is_a_json_500_that_tells_nothing(settings) -> None:
    app = create_app(settings)

    @app.get("/fails")
    def fails() -> None:
        raise RuntimeError("a handler's bug, with a secret in its message")

    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.get("/fails")
        assert response.status_code == 500
        assert response.json() == {"detail": "Internal Server Error"}
        assert client.get("/health").status_code == 200


# --8<-- [end:server-error]


# --8<-- [start:body-limit]
def signin_of_size(size: int) -> dict:
    """A sign-in form whose password makes the body `size` bytes long, or about."""
    return {"email": "nobody@example.com", "password": "x" * size}


def test_a_body_over_max_request_body_size_is_a_json_413(tmp_path) -> None:
    env = {"DATA_DIR": str(tmp_path), "WEBUI_SECRET_KEY": SECRET}
    settings = Settings.from_environ({**env, "MAX_REQUEST_BODY_SIZE": "1000"})
    with TestClient(create_app(settings)) as client:
        response = client.post("/api/v1/auths/signin", json=signin_of_size(1000))
        assert response.status_code == 413
        assert response.json() == {"detail": "Request body too large"}
        chunked = client.post(
            "/api/v1/auths/signin",
            content=iter([b'{"email": "a@b.c", "password": "', b"x" * 1000, b'"}']),
            headers={"Content-Type": "application/json"},
        )
        assert (chunked.status_code, chunked.json()) == (413, response.json())
        under = client.post("/api/v1/auths/signin", json=signin_of_size(900))
        assert under.status_code == 400, "a body under the limit is read"


def test_without_a_limit_a_large_body_is_read(client: TestClient) -> None:
    form = signin_of_size(3 * 1024 * 1024)
    response = client.post("/api/v1/auths/signin", json=form)
    assert response.status_code == 400
    assert "incorrect" in response.json()["detail"]


# --8<-- [end:body-limit]


@pytest.mark.parametrize(
    "body",
    [
        '{"chat": {"x": NaN}}',
        '{"chat": {"x": -Infinity}}',
        '{"chat": {"x": 1e999}}',
        '{"chat": {"x": 1' + "0" * 400 + "}}",
        '{"chat": {"title": "\\udc00"}}',
        '{"chat": {"\\ud800": 1}}',
    ],
    ids=["nan", "infinity", "1e999", "400-digits", "lone-surrogate", "surrogate-key"],
)
def test_a_body_that_is_not_json_proper_is_fastapis_422(client, body) -> None:
    """Python's parser takes these; serde, and so the Rust twin, does not."""
    token = client.post(
        "/api/v1/auths/signup",
        json={"name": "A", "email": "a@example.com", "password": "pw-1234"},
    ).json()["token"]
    response = client.post(
        "/api/v1/chats/new",
        content=body,
        headers={
            "Content-Type": "application/json",
            "Authorization": f"Bearer {token}",
        },
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["type"] == "json_invalid"
    listed = client.get("/api/v1/chats/", headers={"Authorization": f"Bearer {token}"})
    assert listed.json() == []


def test_a_surrogate_pair_is_one_character_and_json_proper(client) -> None:
    body = '{"name": "\\ud83d\\ude00", "email": "a@example.com", "password": "pw-1234"}'
    response = client.post(
        "/api/v1/auths/signup",
        content=body,
        headers={"Content-Type": "application/json"},
    )
    assert (response.status_code, response.json()["name"]) == (200, "\U0001f600")
