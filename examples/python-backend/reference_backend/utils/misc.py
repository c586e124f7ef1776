"""Input clean-up shared by the chat and model forms."""

import math
import re

from pydantic import BaseModel, model_validator

SURROGATES = re.compile("[\ud800-\udfff]")


def json_safe(value):
    """Strings without NUL bytes or lone surrogates, and NaN or ±Infinity as null.

    Python's JSON parser accepts all of these, but PostgreSQL refuses NUL in text,
    a lone surrogate cannot be encoded as UTF-8, and NaN is not JSON: stored, each
    would break the response. Upstream stores NaN as null too.
    """
    if isinstance(value, str):
        return SURROGATES.sub("", value.replace("\x00", ""))
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {json_safe(key): json_safe(item) for key, item in value.items()}
    if isinstance(value, list):
        return [json_safe(item) for item in value]
    return value


class SanitizedForm(BaseModel):
    """A request body cleaned by `json_safe` before it is validated."""

    @model_validator(mode="before")
    @classmethod
    def _sanitized(cls, data):
        return json_safe(data)
