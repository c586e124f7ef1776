"""The parallel run through the handbook's nginx: the twin answers its routes, Open
WebUI's side answers the rest, and a session from one holds on the other.

The twin is the Rust backend when the run has it, else the Python one. Open WebUI's
side is real Open WebUI when the run has it, else the Python backend stands in.
"""

from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest
from contract import messages
from contract.api import Account, add_user, bearer, cookie, http_client, signin
from proxy.nginx import running_proxy, served_by

from .conftest import distinct_impls
from .deployments import Deployments, Side

# Served by Open WebUI 0.12.4 to any verified user, and by no twin in this repository.
UPSTREAM_ONLY_PATH = "/api/v1/folders/"


@dataclass(frozen=True)
class ParallelRun:
    """A client of the proxy, the admin of the deployment behind it, and the server
    in Open WebUI's place."""

    client: httpx.Client
    admin: Account
    open_webui: Side

    def on_open_webui(self, headers: dict[str, str]) -> httpx.Response:
        """A request that only Open WebUI's side answers, with these credentials.

        Upstream is asked through the proxy, on a path that only it serves. A
        reference backend in its place serves only routes the proxy sends to the
        twin, so it is asked directly.
        """
        if self.open_webui.server.target.impl != "upstream":
            return self.open_webui.client.get("/api/v1/auths/", headers=headers)
        response = self.client.get(UPSTREAM_ONLY_PATH, headers=headers)
        assert served_by(response) == "open_webui"
        return response


def roles(impls: list[str]) -> tuple[str, str]:
    """(twin, Open WebUI's side) among the implementations of the run."""
    twin = "rust" if "rust" in impls else "python"
    open_webui = "upstream" if "upstream" in impls else "python"
    return twin, open_webui


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "parallel_run" in metafunc.fixturenames:
        twin, open_webui = roles(distinct_impls(metafunc.config))
        metafunc.parametrize(
            "parallel_run",
            [(twin, open_webui)],
            ids=[f"{twin}-beside-{open_webui}"],
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
        yield ParallelRun(client, sides[twin].admin, sides[open_webui])


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
    assert parallel_run.on_open_webui(bearer(token)).status_code == 200
    twin = parallel_run.client.get("/api/v1/chats/", headers=bearer(token))
    assert (twin.status_code, served_by(twin)) == (200, "twin")


def test_twin_cookie_works_on_open_webui(parallel_run: ParallelRun) -> None:
    user = new_user(parallel_run)
    response = signin(parallel_run.client, user.email, user.password)
    session = response.cookies["token"]
    assert parallel_run.on_open_webui(cookie(session)).status_code == 200


# --8<-- [start:password-change]
def test_password_change_on_twin_ends_session_on_open_webui(
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
    stale = parallel_run.on_open_webui(bearer(token))
    assert stale.status_code == 401
    assert stale.json() == {"detail": messages.INVALID_TOKEN}


# --8<-- [end:password-change]
