"""The unauthenticated service endpoints: health probes, version and app config."""

import httpx
import pytest

from . import shapes
from .api import Account, bearer

VERSION = "0.12.4"


def test_health(client: httpx.Client) -> None:
    response = client.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": True}


def test_health_db(client: httpx.Client) -> None:
    response = client.get("/health/db")
    assert response.status_code == 200
    assert response.json() == {"status": True}


def test_version(client: httpx.Client) -> None:
    response = client.get("/api/version")
    assert response.status_code == 200
    assert response.json() == {"version": VERSION, "deployment_id": ""}


def test_anonymous_config(client: httpx.Client, admin: Account) -> None:
    """With users present there is no `onboarding` key: the page shows sign-in."""
    response = client.get("/api/config")
    assert response.status_code == 200
    config = response.json()
    assert set(config) == shapes.ANONYMOUS_CONFIG
    assert config["status"] is True
    assert config["name"] == "Open WebUI"
    assert config["version"] == VERSION
    assert config["oauth"] == {"providers": {}, "auto_redirect": False}
    assert set(config["features"]) == shapes.ANONYMOUS_FEATURES
    features = config["features"]
    assert features["auth"] is True
    assert features["auth_trusted_header"] is False
    assert features["enable_ldap"] is False
    # The first signup switched self-signup off.
    assert features["enable_signup"] is False
    assert features["enable_login_form"] is True


def test_invalid_token_reads_config_as_anonymous(client: httpx.Client) -> None:
    """A token that does not verify is ignored here, not answered with 401."""
    response = client.get("/api/config", headers=bearer("garbage"))
    assert response.status_code == 200
    assert set(response.json()) == shapes.ANONYMOUS_CONFIG


def test_signed_in_config_adds_auth_features(
    client: httpx.Client, admin: Account
) -> None:
    """Only the keys this slice owns are checked; the rest of upstream's signed-in
    shape belongs to features a reimplementation of auth/users/chats/models lacks."""
    config = client.get("/api/config", headers=admin.headers).json()
    assert config["status"] is True
    assert config["version"] == VERSION
    features = config["features"]
    assert set(features) >= shapes.ANONYMOUS_FEATURES
    assert features["enable_signup"] is False
    assert features["enable_login_form"] is True
    # Signed in, a client learns whether it may offer API keys.
    assert features["enable_api_keys"] is True


# --8<-- [start:websocket-flag]
@pytest.mark.kept_on_open_webui("/api/config")
def test_config_tells_the_browser_to_use_websockets(client: httpx.Client) -> None:
    """ENABLE_WEBSOCKET_SUPPORT is on by default. The frontend picks its Socket.IO
    transport from this flag, and Open WebUI's Socket.IO server, which answers `/ws`,
    refuses the polling transport: a `false` here and chat replies never arrive."""
    features = client.get("/api/config").json()["features"]
    assert features["enable_websocket"] is True


# --8<-- [end:websocket-flag]


@pytest.mark.kept_on_open_webui("/api/config")
def test_signed_in_config_has_what_the_chat_page_reads(
    client: httpx.Client, admin: Account, user: Account
) -> None:
    for account in (admin, user):
        config = client.get("/api/config", headers=account.headers).json()
        assert set(config) == shapes.SIGNED_IN_CONFIG
        assert set(config["features"]) == shapes.SIGNED_IN_FEATURES
        assert config["features"]["enable_websocket"] is True
        assert config["default_models"] is None
        assert set(config["permissions"]) == shapes.PERMISSION_SECTIONS


def test_cors_preflight_from_any_origin_by_default(client: httpx.Client) -> None:
    """CORS_ALLOW_ORIGIN defaults to `*` with credentials allowed, so a preflight is
    answered for whatever origin asks, echoed back rather than `*`."""
    origin = "http://app.example.com"
    response = client.options(
        "/api/v1/auths/signin",
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type",
        },
    )
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == origin
    assert response.headers["access-control-allow-credentials"] == "true"
    assert "POST" in response.headers["access-control-allow-methods"]


def test_cors_headers_on_a_simple_request(client: httpx.Client) -> None:
    origin = "http://app.example.com"
    response = client.get("/api/version", headers={"Origin": origin})
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == origin
    assert response.headers["access-control-allow-credentials"] == "true"
