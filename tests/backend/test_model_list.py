"""The model list: connections gathered and merged, workspace models, order."""

import asyncio
import time

import httpx
import pytest

from reference_backend.utils.models import (
    Connection,
    ModelRegistry,
    connection_models,
    listed,
    merge_connections,
    merge_workspace,
    one_key_per_url,
    unique,
)


def row(model_id, base=None, name=None, active=True):
    """A `model` row as the API returns it."""
    return {
        "id": model_id,
        "user_id": "alice",
        "base_model_id": base,
        "name": name or model_id,
        "params": {"system": "private"},
        "meta": {},
        "access_grants": [],
        "is_active": active,
        "created_at": 1,
        "updated_at": 1,
        "version_id": None,
    }


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
    # The system prompt stays private: the list shows every user the entries.
    assert [model["info"]["params"] for model in models] == [{}, {}]


def test_the_set_order_comes_first_then_names():
    models = [
        {"id": "b", "name": "B"},
        {"id": "a", "name": "A", "info": {"user_id": "alice", "meta": {}}},
        {"id": "c", "name": "C", "tags": ["x", {"name": "x"}]},
    ]
    ordered = listed(models, ["c"])
    assert [model["id"] for model in ordered] == ["c", "a", "b"]
    assert ordered[0]["tags"] == [{"name": "x"}]


def test_the_last_model_with_an_id_is_the_one_listed():
    models = [{"id": "m", "name": "first"}, {"id": "m", "name": "second"}]
    assert [model["name"] for model in unique(models)] == ["second"]


@pytest.mark.parametrize(("ttl", "kept"), [(None, True), (0, True), (1, False)])
def test_a_ttl_of_zero_keeps_the_provider_list_until_a_refresh(monkeypatch, ttl, kept):
    registry = ModelRegistry()
    registry.gathered["alice"] = (time.monotonic(), {"m": {"id": "m"}})
    later = time.monotonic() + 5
    monkeypatch.setattr(time, "monotonic", lambda: later)
    assert (registry.cached("alice", ttl) is not None) is kept
    registry.clear()
    assert registry.cached("alice", ttl) is None
