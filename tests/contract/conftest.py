"""Fixtures of the contract suite: one server per `--target`, and the accounts on it.

Every test runs once per target. The session's server is shared: tests make their own
users and resources with unique names, so they pass in any order. The few tests that
need an empty database or other settings start a fresh server with `launch`.
"""

import secrets
from collections.abc import Callable, Iterator, Mapping
from contextlib import ExitStack

import httpx
import pytest

from .api import Account, account_from, add_user, http_client, signup, unique_email
from .servers import Server, running_server
from .targets import Target, add_target_option, requested_targets


def pytest_addoption(parser: pytest.Parser) -> None:
    add_target_option(parser)


def pytest_configure(config: pytest.Config) -> None:
    """Reject a bad `--target` before collection, as a usage error."""
    requested_targets(config)


# --8<-- [start:targets]
def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "target" in metafunc.fixturenames:
        targets = requested_targets(metafunc.config)
        metafunc.parametrize(
            "target",
            targets,
            ids=[target.spec for target in targets],
            indirect=True,
            scope="session",
        )


# --8<-- [end:targets]


def pytest_collection_modifyitems(
    config: pytest.Config, items: list[pytest.Item]
) -> None:
    """Match each test to the settings of its target.

    A test about a connected provider is deselected where none is connected, and the
    reverse, and a test of the twins alone is deselected on Open WebUI; the summary
    counts them. A test of a route that the parallel-run map keeps
    on Open WebUI states Open WebUI's answer: on a twin it must fail (a strict xfail),
    and the day it passes, the route can move to the twin (`tests/proxy` ties the
    markers to the map).
    """
    deselected = []
    for item in items:
        callspec = getattr(item, "callspec", None)
        target = callspec.params.get("target") if callspec else None
        if not isinstance(target, Target):
            continue
        if (
            (item.get_closest_marker("needs_provider") and not target.provider)
            or (item.get_closest_marker("no_provider") and target.provider)
            or (item.get_closest_marker("twins_only") and target.impl == "upstream")
        ):
            deselected.append(item)
            continue
        kept = item.get_closest_marker("kept_on_open_webui")
        if kept and target.impl != "upstream":
            reason = f"the map keeps {', '.join(kept.args)} on Open WebUI"
            item.add_marker(pytest.mark.xfail(reason=reason, strict=True))
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        dropped = set(deselected)
        items[:] = [item for item in items if item not in dropped]


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    """On a failure, show the tail of each server log the test used."""
    report = yield
    if report.failed:
        for value in getattr(item, "funcargs", {}).values():
            if isinstance(value, Server):
                report.sections.append(
                    (f"{value.target.spec} server log (tail)", value.log_tail())
                )
    return report


@pytest.fixture(scope="session")
def target(request: pytest.FixtureRequest) -> Target:
    return request.param


@pytest.fixture(scope="session")
def secret() -> str:
    """WEBUI_SECRET_KEY of every server this session: random, so no token outlives
    the session."""
    return secrets.token_hex(32)


# --8<-- [start:server]
@pytest.fixture(scope="session")
def server(
    target: Target, secret: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Server]:
    workdir = tmp_path_factory.mktemp(f"server-{target.spec}")
    with running_server(target, workdir, secret) as running:
        yield running


# --8<-- [end:server]


@pytest.fixture(scope="session")
def client(server: Server) -> Iterator[httpx.Client]:
    with http_client(server.base_url) as session_client:
        yield session_client


@pytest.fixture(scope="session")
def admin(client: httpx.Client) -> Account:
    """The first user to sign up on the session's server, and so its admin."""
    password = "admin-password-1"
    account = account_from(signup(client, unique_email("admin"), password), password)
    assert account.role == "admin", "the first signup must become the admin"
    return account


@pytest.fixture
def make_user(client: httpx.Client, admin: Account) -> Callable[..., Account]:
    """Make a new account: `make_user(role="pending")`; role "user" by default."""

    def make(role: str = "user", label: str = "user") -> Account:
        return add_user(client, admin, role=role, label=label)

    return make


@pytest.fixture
def user(make_user: Callable[..., Account]) -> Account:
    """A fresh verified user that no other test touches."""
    return make_user()


@pytest.fixture
def configure(client: httpx.Client, admin: Account) -> Iterator[Callable[..., dict]]:
    """Change admin settings for one test: `configure(ENABLE_SIGNUP=True)`.

    The settings are posted whole, as the admin panel does, and the ones found before
    the test are posted back after it, so other tests see the server's defaults.
    """
    path = "/api/v1/auths/admin/config"
    original = client.get(path, headers=admin.headers).json()

    def apply(**changes: object) -> dict:
        current = client.get(path, headers=admin.headers).json()
        response = client.post(path, headers=admin.headers, json=current | changes)
        assert response.status_code == 200, response.text
        return response.json()

    yield apply
    restored = client.post(path, headers=admin.headers, json=original)
    assert restored.status_code == 200, restored.text


@pytest.fixture(scope="module")
def launch(
    target: Target, secret: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Callable[[Mapping[str, str]], Server]]:
    """Start an extra, empty server of the session's target with extra settings.

    Servers live until the module ends. Open WebUI takes about 20 s to start, so a
    module should start few of them and share each among its tests.
    """
    with ExitStack() as stack:

        def start(extra_env: Mapping[str, str]) -> Server:
            workdir = tmp_path_factory.mktemp(f"fresh-{target.spec}")
            return stack.enter_context(
                running_server(target, workdir, secret, extra_env)
            )

        yield start
