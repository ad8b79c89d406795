"""Schemathesis hooks for the contract run: a client's Idempotency-Key is its own for each request."""

import re
import uuid
from typing import Any

import schemathesis

from api.idempotency import KEY_PATTERN


@schemathesis.hook
def before_call(context: Any, case: Any, kwargs: dict[str, Any]) -> None:
    """A generated key can repeat across different requests, which the API rightly refuses (422): real
    clients make a key a request. A valid key is made unique; an invalid one is left to be refused."""
    key = (case.headers or {}).get("Idempotency-Key")
    if isinstance(key, str) and len(key) <= 128 and re.match(KEY_PATTERN, key):
        case.headers["Idempotency-Key"] = f"{key[:90]}-{uuid.uuid4().hex}"
