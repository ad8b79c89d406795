"""Human durations in the policy file: `90s`, `15m`, `2h`, `3d`, `1h30m`."""

import re
from datetime import timedelta
from typing import Annotated, Any

from pydantic import BeforeValidator

_PART = re.compile(r"(\d+(?:\.\d+)?)([smhdw])")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def parse_duration(text: str) -> timedelta:
    """`2h` → 2 hours. Raises ValueError naming the text when it is not a duration."""
    compact = text.replace(" ", "").lower()
    parts = _PART.findall(compact)
    if not compact or "".join(n + u for n, u in parts) != compact:
        raise ValueError(f"{text!r} is not a duration (use forms like 90s, 15m, 2h, 3d)")
    return timedelta(seconds=sum(float(n) * _UNITS[u] for n, u in parts))


def _coerce(value: Any) -> Any:
    # Strings in our short form are parsed here; ISO-8601 strings and numbers fall through to pydantic,
    # which is how a policy snapshot comes back from a workflow history.
    if isinstance(value, str) and _PART.match(value.replace(" ", "").lower()):
        return parse_duration(value)
    return value


Duration = Annotated[timedelta, BeforeValidator(_coerce)]
