"""Reply scripts (话术, seeds 003 and 004): a template's sections and variables, and rendering one for a
ticket (`{customer}`, `{ticket_no}`, `{due}` filled by the desk; the rest by the handler)."""

import string
from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, Field

from domain.boundary import SPACE, Boundary
from domain.enums import Category, Kind


class Section(StrEnum):
    GREETING = "greeting"  # 问候
    SOOTHING = "soothing"  # 安抚与致歉
    ASKING = "asking"  # 询问细节
    EXPLAINING = "explaining"  # 解释说明
    PROGRESS = "progress"  # 进度同步
    CLOSING = "closing"  # 结束语


# What the desk fills from the ticket itself; every other variable the handler gives.
TICKET_VARIABLES = ("customer", "ticket_no", "due")
_VARIABLE = r"\{[A-Za-z_][A-Za-z0-9_]*\}"


class ScriptFields(Boundary):
    section: Section
    kind: Kind | None = Field(default=None, description="None: any kind")
    category: Category | None = Field(default=None, description="None: any category")
    title: str = Field(min_length=1, max_length=200)
    body: str = Field(
        min_length=1,
        max_length=5_000,
        # Braces only around a plain variable name: `{customer}`; what render() fills.
        # and at least one character that is not space.
        pattern=f"^[{SPACE}]*(?:[^{{}}{SPACE}\\x00]|{_VARIABLE})(?:[^{{}}\\x00]|{_VARIABLE})*$",
        description="text with {variables}",
    )


class Script(BaseModel):
    id: int
    section: Section
    kind: Kind | None = None
    category: Category | None = None
    title: str
    body: str
    version: int
    author: str
    updated_at: datetime
    variables: list[str] = []


class ScriptError(ValueError):
    """A template that cannot be used or filled: the message names the variable."""


def variables(body: str) -> list[str]:
    """The `{names}` of a template, each once, in order; ScriptError for a malformed one."""
    try:
        parsed = list(string.Formatter().parse(body))
    except ValueError as e:
        raise ScriptError(f"body: {e}") from e
    names: dict[str, None] = {}
    for _, name, spec, conversion in parsed:
        if name is None:
            continue
        if not name.isidentifier() or spec or conversion:
            raise ScriptError(f"body: {{{name}}} is not a plain variable name")
        names.setdefault(name, None)
    return list(names)


def render(body: str, values: dict[str, str]) -> str:
    """The template filled; ScriptError naming every variable without a value."""
    missing = [n for n in variables(body) if not values.get(n, "").strip()]
    if missing:
        raise ScriptError(f"values: no value for {', '.join(missing)}")
    return body.format_map({n: values[n] for n in variables(body)})
