"""What every model that takes outside input shares: no silent coercion, no NUL characters in text."""

import re
from typing import Annotated, Any

from pydantic import AwareDatetime, BaseModel, BeforeValidator, ConfigDict, field_validator

_NUMBER = re.compile(r"^\s*[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?\s*$")


def _without_nul(value: Any) -> Any:
    if isinstance(value, str) and "\x00" in value:
        raise ValueError("must not contain a NUL character")
    if isinstance(value, list | tuple):
        for item in value:
            _without_nul(item)
    return value


def _iso_text(value: Any) -> Any:
    """A time is ISO 8601 text (or a datetime); a number, or text that is one, is not a timestamp."""
    if isinstance(value, bool | int | float) or (isinstance(value, str) and _NUMBER.match(value)):
        raise ValueError("must be an ISO 8601 date-time with a time zone, e.g. 2026-12-04T18:00:00+08:00")
    return value


IsoDatetime = Annotated[AwareDatetime, BeforeValidator(_iso_text)]


class Boundary(BaseModel):
    """Unknown fields refused, text stripped, and NUL characters refused naming the field."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    @field_validator("*", mode="after")
    @classmethod
    def _text_without_nul(cls, value: Any) -> Any:
        return _without_nul(value)
