"""The sign-in throttle: 15 attempts per email within the window, then refusals."""

import time

import pytest
import redis

from reference_backend.utils.rate_limit import RateLimiter


def attempts_until_limited(limiter: RateLimiter, client, prefix: str) -> int:
    for attempt in range(1, 100):
        if limiter.is_limited(client, prefix, "Ada@Example.com"):
            return attempt
    raise AssertionError("never limited")


def test_memory_limiter_refuses_the_sixteenth_attempt():
    limiter = RateLimiter(limit=15, window=180)
    assert attempts_until_limited(limiter, None, "unused") == 16
    assert not limiter.is_limited(None, "unused", "someone-else@example.com")


def test_old_buckets_leave_the_window(monkeypatch):
    limiter = RateLimiter(limit=2, window=120)
    now = time.time()
    monkeypatch.setattr(time, "time", lambda: now - 600)
    assert not limiter.is_limited(None, "p", "a@example.com")
    assert not limiter.is_limited(None, "p", "a@example.com")
    monkeypatch.setattr(time, "time", lambda: now)
    assert not limiter.is_limited(None, "p", "a@example.com")


@pytest.fixture
def redis_client():
    client = redis.Redis(host="127.0.0.1", port=6379, decode_responses=True)
    prefix = f"unit-{time.time_ns()}"
    yield client, prefix
    for key in client.scan_iter(f"{prefix}:*"):
        client.delete(key)
    client.close()


def test_redis_limiter_counts_in_upstreams_keys(redis_client):
    client, prefix = redis_client
    limiter = RateLimiter(limit=15, window=180)
    assert attempts_until_limited(limiter, client, prefix) == 16
    keys = list(client.scan_iter(f"{prefix}:ratelimit:ada@example.com:*"))
    assert len(keys) == 1
    assert 0 < client.ttl(keys[0]) <= 240


def test_unreachable_redis_falls_back_to_memory():
    client = redis.Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.2)
    limiter = RateLimiter(limit=1, window=60)
    assert not limiter.is_limited(client, "p", "a@example.com")
    assert limiter.is_limited(client, "p", "a@example.com")
