"""The twins' revocation table is one table for both (`WEBUI_AUTH_REVOCATION_TABLE`).

Every implementation of the run shares one database, the twins with their hardening
options on. A token signed out through a twin is refused by every twin. Open WebUI
knows nothing of the table: there the token still works, so without Redis a signout
holds only for the requests the twins serve, which is why the Security page says to
keep Redis for a parallel run.
"""

import itertools
import secrets
from collections.abc import Iterator
from contextlib import ExitStack

import pytest
from contract import messages
from contract.api import account_from, bearer, http_client, signin, signup
from contract.servers import running_server
from contract.targets import Target

from .conftest import distinct_impls
from .deployments import ADMIN_EMAIL, ADMIN_PASSWORD, Side, start_order

TWINS = ("python", "rust")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """(the twin that signs out, the implementation that is asked next)."""
    impls = distinct_impls(metafunc.config)
    pairs = [
        (writer, reader)
        for writer, reader in itertools.permutations(impls, 2)
        if writer in TWINS
    ]
    metafunc.parametrize(
        "signed_out_on, asked", pairs, ids=[f"{w}-to-{r}" for w, r in pairs]
    )


@pytest.fixture(scope="module")
def sides(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, Side]]:
    impls = start_order(tuple(distinct_impls(request.config)))
    secret = secrets.token_hex(32)
    data_dir = tmp_path_factory.mktemp("revocation-shared")
    with ExitStack() as stack:
        started = {}
        for impl in impls:
            server = stack.enter_context(
                running_server(
                    Target(impl, hardened=impl in TWINS),
                    tmp_path_factory.mktemp(f"revocation-{impl}"),
                    secret,
                    data_dir=data_dir,
                )
            )
            client = stack.enter_context(http_client(server.base_url))
            if not started:
                signup(client, ADMIN_EMAIL, ADMIN_PASSWORD)
            admin = account_from(
                signin(client, ADMIN_EMAIL, ADMIN_PASSWORD), ADMIN_PASSWORD
            )
            started[impl] = Side(server, client, admin)
        yield started


def test_a_signed_out_token_is_refused_by_every_twin(
    sides: dict[str, Side], signed_out_on: str, asked: str
) -> None:
    writer, reader = sides[signed_out_on], sides[asked]
    token = signin(writer.client, ADMIN_EMAIL, ADMIN_PASSWORD).json()["token"]
    assert reader.client.get("/api/v1/auths/", headers=bearer(token)).status_code == 200
    writer.client.post("/api/v1/auths/signout", headers=bearer(token))
    after = reader.client.get("/api/v1/auths/", headers=bearer(token))
    if asked in TWINS:
        assert after.status_code == 401
        assert after.json() == {"detail": messages.INVALID_TOKEN}
    else:
        assert after.status_code == 200, "Open WebUI reads no revocation table"
