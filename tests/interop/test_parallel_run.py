"""The parallel run through the handbook's nginx: the twin answers its routes, real
Open WebUI answers the rest, and a session from one holds on the other."""

from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest
from contract import messages
from contract.api import Account, add_user, bearer, cookie, http_client, signin
from proxy.nginx import running_proxy, served_by

from .conftest import distinct_impls
from .deployments import Deployments

# Served by Open WebUI 0.12.4 to any verified user, and by no twin in this repository.
UPSTREAM_ONLY_PATH = "/api/v1/folders/"


@dataclass(frozen=True)
class ParallelRun:
    """A client of the proxy, and the admin of the deployment behind it."""

    client: httpx.Client
    admin: Account


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Open WebUI's side is upstream when the run includes it (else the first target
    named); every other implementation takes the twin's side in turn."""
    if "parallel_run" in metafunc.fixturenames:
        impls = distinct_impls(metafunc.config)
        open_webui = "upstream" if "upstream" in impls else impls[0]
        pairs = [(twin, open_webui) for twin in impls if twin != open_webui]
        metafunc.parametrize(
            "parallel_run",
            pairs,
            ids=[f"{twin}-beside-{other}" for twin, other in pairs],
            indirect=True,
            scope="module",
        )


@pytest.fixture(scope="module")
def parallel_run(
    request: pytest.FixtureRequest,
    deployments: Deployments,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[ParallelRun]:
    twin, open_webui = request.param
    sides = deployments.sides((twin, open_webui))
    with (
        running_proxy(
            sides[twin].server.base_url,
            sides[open_webui].server.base_url,
            tmp_path_factory.mktemp("nginx"),
        ) as proxy,
        http_client(proxy.base_url) as client,
    ):
        yield ParallelRun(client, sides[twin].admin)


def new_user(run: ParallelRun) -> Account:
    return add_user(run.client, run.admin, label="proxied")


def test_signin_is_answered_by_the_twin(parallel_run: ParallelRun) -> None:
    user = new_user(parallel_run)
    response = signin(parallel_run.client, user.email, user.password)
    assert response.status_code == 200
    assert served_by(response) == "twin"


def test_twin_token_works_on_both_sides(parallel_run: ParallelRun) -> None:
    user = new_user(parallel_run)
    token = signin(parallel_run.client, user.email, user.password).json()["token"]
    upstream = parallel_run.client.get(UPSTREAM_ONLY_PATH, headers=bearer(token))
    assert (upstream.status_code, served_by(upstream)) == (200, "open_webui")
    twin = parallel_run.client.get("/api/v1/chats/", headers=bearer(token))
    assert (twin.status_code, served_by(twin)) == (200, "twin")


def test_twin_cookie_works_on_upstream_path(parallel_run: ParallelRun) -> None:
    user = new_user(parallel_run)
    response = signin(parallel_run.client, user.email, user.password)
    session = response.cookies["token"]
    upstream = parallel_run.client.get(UPSTREAM_ONLY_PATH, headers=cookie(session))
    assert (upstream.status_code, served_by(upstream)) == (200, "open_webui")


# --8<-- [start:password-change]
def test_password_change_on_twin_ends_session_on_upstream(
    parallel_run: ParallelRun,
) -> None:
    user = new_user(parallel_run)
    token = signin(parallel_run.client, user.email, user.password).json()["token"]
    changed = parallel_run.client.post(
        "/api/v1/auths/update/password",
        headers=bearer(token),
        json={"password": user.password, "new_password": "rotated-password-1"},
    )
    assert (changed.status_code, served_by(changed)) == (200, "twin")
    stale = parallel_run.client.get(UPSTREAM_ONLY_PATH, headers=bearer(token))
    assert (stale.status_code, served_by(stale)) == (401, "open_webui")
    assert stale.json() == {"detail": messages.INVALID_TOKEN}


# --8<-- [end:password-change]
