"""POST /api/v1/auths/signout: the browser forgets the session; the server only may.

Upstream revokes a signed-out token only in Redis. Without Redis the token stays
valid until it expires, and a compatible server must behave the same way; a twin
revokes it in a table of its own only when `WEBUI_AUTH_REVOCATION_TABLE` is on.
"""

import httpx

from . import messages
from .api import Account, bearer, cookie, signin
from .cookies import set_cookies
from .targets import Target

# Every cookie upstream clears on signout: the session and its OAuth companions.
CLEARED_COOKIES = {"token", "owui-session", "oui-session", "oauth_id_token"}


def test_signout_clears_the_cookies(client: httpx.Client, user: Account) -> None:
    response = client.post(
        "/api/v1/auths/signout", headers=user.headers | cookie(user.token)
    )
    assert response.status_code == 200
    assert response.json() == {"status": True}
    assert response.headers["cache-control"] == "no-store"
    cookies = set_cookies(response)
    assert set(cookies) == CLEARED_COOKIES
    for name, cleared in cookies.items():
        assert cleared.cleared, f"{name} is not cleared: {cleared}"
        assert cleared.attributes["path"] == "/"


def test_signout_without_a_session(client: httpx.Client) -> None:
    response = client.post("/api/v1/auths/signout")
    assert response.status_code == 200
    assert response.json() == {"status": True}


# --8<-- [start:revoked-only-with-a-store]
def test_signed_out_token_is_revoked_only_with_a_store(
    client: httpx.Client, user: Account, target: Target
) -> None:
    session = signin(client, user.email, user.password).json()["token"]
    client.post("/api/v1/auths/signout", headers=bearer(session))
    after = client.get("/api/v1/auths/", headers=bearer(session))
    if target.redis or target.hardened:
        assert after.status_code == 401
        assert after.json() == {"detail": messages.INVALID_TOKEN}
    else:
        assert after.status_code == 200
        assert after.json()["id"] == user.id
    # Other sessions of the same user are never affected.
    assert client.get("/api/v1/auths/", headers=user.headers).status_code == 200


# --8<-- [end:revoked-only-with-a-store]
