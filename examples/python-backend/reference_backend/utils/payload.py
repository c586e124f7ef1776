"""What reaches the provider: parameters from several places, merged in one order.

Upstream does this in `utils/payload.py` and `utils/misc.py`. From weakest to
strongest: the admin's default parameters, the workspace model's, the request's
`params`, and the request's own top-level keys, which nothing overrides.
"""

import copy
import json
from collections.abc import Callable

from fastapi import HTTPException

# Settings of Open WebUI itself, riding along with the model's parameters; a
# provider would refuse them.
OPEN_WEBUI_PARAMS = frozenset(
    {
        "stream_response",
        "stream_delta_chunk_size",
        "function_calling",
        "reasoning_tags",
        "compact_token_threshold",
        "system",
        "note_id",
        "tool_approval_mode",
        "model_controls",
    }
)


def stop_words(words: list[str]) -> list[str]:
    """Stop words as typed in the UI, where `\\n` means a newline."""
    return [word.encode().decode("unicode_escape") for word in words]


# The types OpenAI's API expects for the parameters the UI edits as text.
OPENAI_TYPES: dict[str, Callable] = {
    "temperature": float,
    "top_p": float,
    "min_p": float,
    "max_tokens": int,
    "frequency_penalty": float,
    "presence_penalty": float,
    "reasoning_effort": str,
    "stop": stop_words,
    "response_format": dict,
}


# --8<-- [start:merge-params]
def merge_params(base: dict, override: dict) -> dict:
    """`override` over `base`; their `custom_params` objects merge, not replace."""
    merged = {**base, **override}
    base_custom, override_custom = (
        base.get("custom_params"),
        override.get("custom_params"),
    )
    if isinstance(base_custom, dict) and isinstance(override_custom, dict | None):
        merged["custom_params"] = {**base_custom, **(override_custom or {})}
    return merged


def deep_update(target: dict, changes: dict) -> dict:
    for key, value in changes.items():
        if isinstance(value, dict) and isinstance(target.get(key), dict):
            deep_update(target[key], value)
        else:
            target[key] = value
    return target


def provider_params(params: dict) -> dict:
    """The parameters a provider understands, with `custom_params` spread over them.

    A custom value that is JSON text is sent as the value it spells.
    """
    params = {k: v for k, v in params.items() if k not in OPEN_WEBUI_PARAMS}
    custom = params.pop("custom_params", None) or {}
    parsed = {}
    for key, value in custom.items():
        try:
            parsed[key] = json.loads(value) if isinstance(value, str) else value
        except ValueError:
            parsed[key] = value
    return deep_update(copy.deepcopy(params), parsed)


def apply_params(params: dict, payload: dict) -> dict:
    """Each parameter the payload does not set itself, as the type OpenAI expects.

    A value that does not convert goes as it is: the provider judges it.
    """
    for key, value in provider_params(params).items():
        if value is None or key in payload:
            continue
        try:
            payload[key] = OPENAI_TYPES.get(key, lambda same: same)(value)
        except (TypeError, ValueError, UnicodeDecodeError):
            payload[key] = value
    return payload


# --8<-- [end:merge-params]


# --8<-- [start:model-controls]
def apply_model_controls(params: dict, controls: dict, choices) -> dict:
    """The options picked in a workspace model's menus, or their defaults, spread
    into `custom_params`. A pick the model no longer offers is refused."""
    if not isinstance(choices, dict):
        raise HTTPException(400, "Model control options must be an object.")
    for key, choice in choices.items():
        if key in controls and (
            not isinstance(choice, str) or choice not in controls[key]["options"]
        ):
            raise HTTPException(
                400, f"Model control {key}: the selected option is no longer available."
            )
    for key, control in controls.items():
        choice = choices.get(key, control.get("default"))
        if choice is not None:
            chosen = copy.deepcopy(control["options"][choice]["params"])
            custom = copy.deepcopy(params.get("custom_params") or {})
            params["custom_params"] = deep_update(custom, chosen)
    return params


# --8<-- [end:model-controls]


# --8<-- [start:system-prompt]
def add_system_prompt(system: str | None, messages):
    """The workspace model's system prompt, before the conversation's own.

    Messages that are not a list of objects go as they came: the provider judges them.
    """
    if not system or not isinstance(messages, list):
        return messages
    if not all(isinstance(message, dict) for message in messages):
        return messages
    if messages and messages[0].get("role") == "system":
        first = messages[0]
        if isinstance(first.get("content"), list):
            for part in first["content"]:
                if isinstance(part, dict) and part.get("type") == "text":
                    part["text"] = f"{system}\n{part['text']}"
        else:
            first["content"] = f"{system}\n{first.get('content')}"
        return messages
    return [{"role": "system", "content": system}, *messages]


# --8<-- [end:system-prompt]
