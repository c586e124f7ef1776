"""The `last_active_at` throttle: one write per user per interval, in each process."""

import time

import pytest
from fastapi.testclient import TestClient

from reference_backend.env import Settings
from reference_backend.main import create_app
from reference_backend.models import users
from reference_backend.utils.misc import Throttle

from .conftest import SECRET


def test_a_key_goes_once_per_interval(monkeypatch):
    now = time.monotonic()
    monkeypatch.setattr(time, "monotonic", lambda: now)
    throttle = Throttle(60)
    assert throttle.ready("a")
    assert not throttle.ready("a")
    assert throttle.ready("b")
    monkeypatch.setattr(time, "monotonic", lambda: now + 59.9)
    assert not throttle.ready("a")
    monkeypatch.setattr(time, "monotonic", lambda: now + 60)
    assert throttle.ready("a")
    assert not throttle.ready("a")


@pytest.mark.parametrize("interval", [0, -1])
def test_zero_or_less_lets_every_call_go(interval):
    throttle = Throttle(interval)
    assert all(throttle.ready("a") for _ in range(3))


def last_active_after_two_requests(tmp_path, interval: str) -> list[int]:
    """Sign up, then send two requests with `last_active_at` reset to 0 before each."""
    settings = Settings.from_environ(
        {
            "DATA_DIR": str(tmp_path),
            "WEBUI_SECRET_KEY": SECRET,
            "DATABASE_USER_ACTIVE_STATUS_UPDATE_INTERVAL": interval,
        }
    )
    with TestClient(create_app(settings)) as client:
        form = {"name": "N", "email": "a@example.com", "password": "password-1"}
        account = client.post("/api/v1/auths/signup", json=form).json()
        headers = {"Authorization": f"Bearer {account['token']}"}
        seen = []
        for _ in range(2):
            with client.app.state.sessions() as db:
                users.update_user(db, account["id"], {"last_active_at": 0})
            assert client.get("/api/v1/auths/", headers=headers).status_code == 200
            with client.app.state.sessions() as db:
                seen.append(users.get_user_by_id(db, account["id"]).last_active_at)
    return seen


def test_only_the_first_request_of_an_interval_writes(tmp_path):
    first, second = last_active_after_two_requests(tmp_path, "60")
    assert first > 0
    assert second == 0


def test_interval_zero_writes_on_every_request(tmp_path):
    first, second = last_active_after_two_requests(tmp_path, "0")
    assert first > 0
    assert second > 0
