"""The model list: connections gathered and merged, workspace models, access, order."""

import asyncio
from types import SimpleNamespace

import httpx

from reference_backend.utils.models import (
    Connection,
    connection_models,
    listed,
    may_use,
    merge_connections,
    merge_workspace,
    one_key_per_url,
)

ADMIN = SimpleNamespace(id="admin", role="admin")
ALICE = SimpleNamespace(id="alice", role="user")


def row(model_id, user_id="alice", base=None, name=None, active=True):
    return SimpleNamespace(
        id=model_id,
        user_id=user_id,
        base_model_id=base,
        name=name or model_id,
        params={},
        meta={},
        is_active=active,
        created_at=1,
        updated_at=1,
        version_id=None,
    )


def test_keys_are_padded_or_cut_to_one_per_url():
    assert one_key_per_url(["a", "b", "c"], ["k"]) == ["k", "", ""]
    assert one_key_per_url(["a"], ["k", "l"]) == ["k"]


def models_of(answer) -> list[dict] | None:
    async def run():
        transport = httpx.MockTransport(answer)
        async with httpx.AsyncClient(transport=transport) as client:
            return await connection_models(
                client, Connection(0, "http://p/v1", "sk", {}), 0.2
            )

    return asyncio.run(run())


def test_a_connection_lists_its_models_with_its_key():
    def answer(request: httpx.Request) -> httpx.Response:
        assert request.headers["authorization"] == "Bearer sk"
        return httpx.Response(200, json={"data": [{"id": "m"}, "junk"]})

    assert models_of(answer) == [{"id": "m"}]


def test_a_failing_or_slow_connection_contributes_nothing():
    def down(request):
        raise httpx.ConnectError("refused")

    async def slow(request):
        await asyncio.sleep(1)
        return httpx.Response(200, json={"data": [{"id": "m"}]})

    def refusing(request):
        return httpx.Response(401, json={"error": {"message": "no key"}})

    assert [models_of(each) for each in (down, slow, refusing)] == [None] * 3


def test_merged_models_carry_their_connection_and_the_first_one_wins():
    first = Connection(0, "http://a/v1", "", {"prefix_id": "p", "tags": ["t"]})
    second = Connection(1, "http://b/v1", "", {})
    merged = merge_connections(
        [first, second], [[{"id": "m", "name": "M"}], [{"id": "p.m"}, {"id": "x"}]]
    )
    assert list(merged) == ["p.m", "x"]
    assert merged["p.m"]["name"] == "p.M"
    assert merged["p.m"]["urlIdx"] == 0
    assert merged["p.m"]["tags"] == ["t"]
    assert (merged["x"]["owned_by"], merged["x"]["connection_type"]) == (
        "openai",
        "external",
    )


def test_openais_own_non_chat_models_are_left_out():
    openai = Connection(0, "https://api.openai.com/v1", "", {})
    merged = merge_connections([openai], [[{"id": "gpt-4o"}, {"id": "whisper-1"}]])
    assert list(merged) == ["gpt-4o"]


def test_workspace_rows_rename_hide_or_add_models():
    base = [{"id": "m", "name": "m"}, {"id": "gone", "name": "gone"}]
    rows = [
        row("m", name="Renamed"),
        row("gone", active=False),
        row("preset", base="m"),
        row("idle", base="m", active=False),
    ]
    models = merge_workspace(base, rows)
    assert [(model["id"], model["name"]) for model in models] == [
        ("m", "Renamed"),
        ("preset", "preset"),
    ]
    assert models[1]["preset"] is True
    assert models[1]["info"]["base_model_id"] == "m"


def test_users_see_their_own_models_and_admins_all_in_the_set_order():
    models = [
        {"id": "b", "name": "B"},
        {"id": "a", "name": "A", "info": {"user_id": "alice", "meta": {}}},
        {"id": "c", "name": "C", "tags": ["x", {"name": "x"}]},
    ]
    assert [model["id"] for model in listed(models, ALICE, None)] == ["a"]
    ordered = listed(models, ADMIN, ["c"])
    assert [model["id"] for model in ordered] == ["c", "a", "b"]
    assert ordered[0]["tags"] == [{"name": "x"}]


def test_the_last_model_with_an_id_is_the_one_listed():
    models = [{"id": "m", "name": "first"}, {"id": "m", "name": "second"}]
    assert [model["name"] for model in listed(models, ADMIN, None)] == ["second"]


class Rows:
    """Just enough of a session for `may_use`: rows by id."""

    def __init__(self, *rows):
        self.rows = {each.id: each for each in rows}

    def get(self, _table, model_id):
        return self.rows.get(model_id)


def test_users_need_their_own_model_all_the_way_down():
    own_base = row("base")
    db = Rows(own_base, row("theirs", user_id="bob"))
    assert may_use(db, ALICE, row("preset", base="base"))
    assert not may_use(db, ALICE, row("preset", base="theirs"))
    assert not may_use(db, ALICE, row("preset", base="unregistered"))
    assert not may_use(db, ALICE, None)
    assert may_use(db, ADMIN, None)
