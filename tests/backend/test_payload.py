"""Parameters from the admin, the workspace model and the request, in that order."""

import copy

import pytest
from fastapi import HTTPException

from reference_backend.utils.payload import (
    add_system_prompt,
    apply_model_controls,
    apply_params,
    merge_params,
    provider_params,
)


def test_the_override_wins_and_custom_params_merge():
    base = {"temperature": 0.1, "custom_params": {"a": 1, "b": 1}}
    override = {"temperature": 0.9, "custom_params": {"b": 2}}
    assert merge_params(base, override) == {
        "temperature": 0.9,
        "custom_params": {"a": 1, "b": 2},
    }


def test_open_webui_settings_never_reach_the_provider():
    params = {"system": "s", "stream_response": True, "model_controls": {}, "seed": 3}
    assert provider_params(params) == {"seed": 3}


def test_custom_params_spell_json_and_spread_deep():
    params = {
        "response_format": {"type": "text", "strict": True},
        "custom_params": {"response_format": '{"type": "json"}', "top_k": "not json"},
    }
    assert provider_params(params) == {
        "response_format": {"type": "json", "strict": True},
        "top_k": "not json",
    }


# --8<-- [start:own-keys-win]
def test_the_payloads_own_keys_win_and_values_take_openais_types():
    payload = {"model": "m", "temperature": 1}
    params = {
        "temperature": "0.2",
        "max_tokens": "12",
        "top_p": None,
        "stop": ["a\\nb"],
    }
    assert apply_params(params, payload) == {
        "model": "m",
        "temperature": 1,
        "max_tokens": 12,
        "stop": ["a\nb"],
    }


# --8<-- [end:own-keys-win]


def test_a_value_that_does_not_convert_goes_as_it_is():
    assert apply_params({"temperature": "warm"}, {}) == {"temperature": "warm"}


def test_the_system_prompt_comes_first():
    assert add_system_prompt("S", [{"role": "user", "content": "u"}]) == [
        {"role": "system", "content": "S"},
        {"role": "user", "content": "u"},
    ]
    own = [{"role": "system", "content": "mine"}]
    assert add_system_prompt("S", own) == [{"role": "system", "content": "S\nmine"}]
    parts = [{"role": "system", "content": [{"type": "text", "text": "mine"}]}]
    assert add_system_prompt("S", parts)[0]["content"] == [
        {"type": "text", "text": "S\nmine"}
    ]
    assert add_system_prompt(None, own) is own


CONTROLS = {
    "speed": {
        "label": "Speed",
        "default": "slow",
        "options": {
            "slow": {"label": "Slow", "params": {"reasoning": {"effort": "high"}}},
            "fast": {"label": "Fast", "params": {"reasoning": {"effort": "low"}}},
        },
    }
}


def test_a_models_menus_become_custom_params_picked_or_by_default():
    params = {"custom_params": {"reasoning": {"summary": "auto"}}}
    assert apply_model_controls(copy.deepcopy(params), CONTROLS, {}) == {
        "custom_params": {"reasoning": {"summary": "auto", "effort": "high"}}
    }
    picked = apply_model_controls({}, CONTROLS, {"speed": "fast"})
    assert picked == {"custom_params": {"reasoning": {"effort": "low"}}}


@pytest.mark.parametrize("choices", [{"speed": "warp"}, {"speed": ["fast"]}, []])
def test_a_pick_the_model_does_not_offer_is_refused(choices):
    with pytest.raises(HTTPException) as refused:
        apply_model_controls({}, CONTROLS, choices)
    assert refused.value.status_code == 400
