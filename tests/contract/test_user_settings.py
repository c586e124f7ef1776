"""/api/v1/users/user/settings: a user's UI settings, patched key by key."""

import httpx

from .api import Account

PATH = "/api/v1/users/user/settings"


def update(client: httpx.Client, user: Account, settings: object) -> httpx.Response:
    return client.post(f"{PATH}/update", headers=user.headers, json=settings)


def test_new_user_has_no_settings(client: httpx.Client, user: Account) -> None:
    response = client.get(PATH, headers=user.headers)
    assert response.status_code == 200
    assert response.json() is None


def test_settings_update_merges(client: httpx.Client, user: Account) -> None:
    """Keys of `ui` are patched one by one (null removes one); other top-level keys
    replace what was there."""
    first = update(client, user, {"ui": {"theme": "dark", "chat": {"bubble": True}}})
    assert first.status_code == 200
    assert first.json() == {"ui": {"theme": "dark", "chat": {"bubble": True}}}
    second = update(client, user, {"ui": {"chat": {"wide": True}}, "extra": [1]})
    assert second.json() == {
        "ui": {"theme": "dark", "chat": {"wide": True}},
        "extra": [1],
    }
    third = update(client, user, {"ui": {"theme": None}, "extra": [2]})
    assert third.json() == {"ui": {"chat": {"wide": True}}, "extra": [2]}
    assert client.get(PATH, headers=user.headers).json() == third.json()


def test_invalid_settings_change_nothing(client: httpx.Client, user: Account) -> None:
    update(client, user, {"ui": {"theme": "dark"}})
    for invalid in ({"ui": "dark"}, [{"ui": {}}]):
        response = update(client, user, invalid)
        assert response.status_code == 422
        assert isinstance(response.json()["detail"], list)
    assert client.get(PATH, headers=user.headers).json() == {"ui": {"theme": "dark"}}
