"""Requests that race: many at once, released together, each on its own connection.

A barrier holds every thread until all have their client ready, so the requests
overlap on the server instead of arriving one after another. Every race is bounded:
a fixed number of requests, each with a timeout, and a deadline for the whole race.
"""

import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from . import messages
from .api import Account, body_of, http_client, signup, unique_email
from .servers import Server, running_server
from .storage import read_all, user_roles
from .targets import Target, repeated

# The longest a whole race may take; a request that hangs fails here, not forever.
RACE_DEADLINE_S = 60.0
# What Open WebUI 0.12.4 answers, with a 500, when a signup's insert fails.
UPSTREAM_SIGNUP_ERROR = (500, {"detail": "An internal error occurred during signup."})


def race(
    count: int, request: Callable[[int, httpx.Client], httpx.Response], url: str
) -> list[httpx.Response]:
    """`request(i, client)` for i in range(count), all released at once; the
    responses in the order of i. Each request has the client's timeout."""
    start = threading.Barrier(count, timeout=RACE_DEADLINE_S)

    def run(index: int) -> httpx.Response:
        with http_client(url) as client:
            start.wait()
            return request(index, client)

    began = time.monotonic()
    with ThreadPoolExecutor(count) as threads:
        responses = list(threads.map(run, range(count), timeout=RACE_DEADLINE_S))
    assert time.monotonic() - began < RACE_DEADLINE_S
    return responses


def statuses(responses: list[httpx.Response]) -> Counter:
    return Counter(response.status_code for response in responses)


def test_parallel_chat_creates_all_land(
    server: Server, client: httpx.Client, user: Account
) -> None:
    count = 50
    titles = [f"Race {index:02d}" for index in range(count)]

    def create(index: int, racer: httpx.Client) -> httpx.Response:
        return racer.post(
            "/api/v1/chats/new",
            headers=user.headers,
            json={"chat": {"title": titles[index]}},
        )

    responses = race(count, create, server.base_url)
    assert statuses(responses) == {200: count}, [body_of(r) for r in responses]
    created = {
        response.json()["id"]: response.json()["title"] for response in responses
    }
    assert sorted(created.values()) == titles
    # Without a page, the list holds every chat of the user at once.
    listed = client.get("/api/v1/chats/", headers=user.headers)
    assert listed.status_code == 200
    assert {chat["id"]: chat["title"] for chat in listed.json()} == created
    rows = read_all(server, "SELECT id, title FROM chat WHERE user_id = {}", user.id)
    assert dict(rows) == created


@pytest.fixture
def open_signup(configure: Callable[..., dict]) -> None:
    configure(ENABLE_SIGNUP=True)


@pytest.mark.usefixtures("open_signup")
def test_parallel_signups_with_one_email_make_one_user(
    server: Server, target: Target
) -> None:
    count = 10
    email = unique_email("twin")

    def sign_up(index: int, racer: httpx.Client) -> httpx.Response:
        return signup(racer, email, f"password-{index}", name=f"Twin {index}")

    responses = race(count, sign_up, server.base_url)
    answered = statuses(responses)
    print("statuses:", dict(answered))  # for the report of a passing run (pytest -rP)
    rows = read_all(server, 'SELECT id FROM "user" WHERE email = {}', email)
    assert len(rows) == 1
    winners = [response for response in responses if response.status_code == 200]
    assert [response.json()["id"] for response in winners] == [rows[0][0]]
    losers = [(r.status_code, body_of(r)) for r in responses if r.status_code != 200]
    duplicate = (400, {"detail": messages.EMAIL_TAKEN})
    if target.impl == "upstream":
        # Open WebUI 0.12.4's known defect: every signup checks the email, then
        # hashes the password (a quarter second), then inserts. Those released
        # together all pass the check; the losers' inserts hit the unique index,
        # which it answers with a 500. A signup arriving after the insert gets 400.
        assert answered[500] >= 1, losers
        known = (duplicate, UPSTREAM_SIGNUP_ERROR)
        assert all(loser in known for loser in losers), losers
        return
    assert losers == [duplicate] * (count - 1)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """One item per repetition of the first-admin race, per target (`--repetitions`,
    20 by default; 3 on Open WebUI). The ids count the repetitions."""
    if "first_run" in metafunc.fixturenames:
        runs, ids = repeated(metafunc.config)
        metafunc.parametrize("first_run", runs, ids=ids)


@pytest.fixture
def empty_server(
    first_run: tuple[Target, int], secret: str, tmp_path: Path
) -> Iterator[Server]:
    """A fresh server of the run's target, with a fresh database, for one race."""
    target, _ = first_run
    with running_server(target, tmp_path, secret) as server:
        yield server


def test_parallel_first_signups_make_one_admin(empty_server: Server) -> None:
    count = 5

    def sign_up(index: int, racer: httpx.Client) -> httpx.Response:
        return signup(racer, unique_email(f"first{index}"), "first-password-1")

    responses = race(count, sign_up, empty_server.base_url)
    # Whoever came after the admin's insert found sign-up closed: a 403.
    assert set(statuses(responses)) <= {200, 403}, [body_of(r) for r in responses]
    signed_up = [r.json()["role"] for r in responses if r.status_code == 200]
    roles = user_roles(empty_server)
    print("roles:", roles)  # for the report of a passing run (pytest -rP)
    assert roles == sorted(signed_up)
    if empty_server.target.impl == "upstream":
        # Open WebUI 0.12.4 counts users after its insert, so two signups that both
        # count two users both stay pending: sometimes no admin at all. Never two.
        assert roles.count("admin") <= 1, roles
        return
    assert roles.count("admin") == 1, roles
