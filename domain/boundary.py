"""What every model that takes outside input shares: no silent coercion, no NUL characters in text."""

import re
from decimal import Decimal
from functools import cache
from typing import Annotated, Any, ClassVar

from email_validator import SPECIAL_USE_DOMAIN_NAMES, EmailNotValidError, validate_email
from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictInt,
    TypeAdapter,
    ValidationError,
    ValidationInfo,
    WithJsonSchema,
    field_validator,
)

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


def _whole(value: Any) -> Any:
    """JSON has one number type: 3.0 is the integer 3 (as JSON Schema says), 3.5 and true are not."""
    return int(value) if isinstance(value, float) and value.is_integer() else value


WholeNumber = Annotated[StrictInt, BeforeValidator(_whole)]
# A row's id as the API takes it: a positive integer every JSON client holds exactly (2^53 - 1).
RowId = Annotated[StrictInt, Field(ge=1, le=2**53 - 1), BeforeValidator(_whole)]
# Seeds 001, 004: how satisfied the customer is, 1 to 5 (constraints before the validator, so the
# schema says them too).
Score = Annotated[StrictInt, Field(ge=1, le=5), BeforeValidator(_whole)]


_MONEY_TEXT = r"^[0-9]{1,10}(\.[0-9]{1,2})?$"


def _money(value: Any) -> Any:
    """Decimal text ("199.00") or a JSON number, cents at most; a float's binary error (0.07 is
    0.0700…01) is not a digit. A boolean is not an amount."""
    if isinstance(value, str):
        if not re.match(_MONEY_TEXT, value):
            raise ValueError("must be an amount like 199.00 (at most two decimals)")
        return Decimal(value)
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        raise ValueError("must be an amount like 199.00, as text or a number")
    exact = Decimal(str(value))
    cents = round(exact * 100)
    if abs(exact * 100 - cents) > Decimal("1e-6"):
        raise ValueError("at most two decimal places")
    return Decimal(cents) / 100


# An amount of money in the API: decimal text or a number, cents at most, as the schema says.
Money = Annotated[
    Decimal,
    BeforeValidator(_money),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "string", "pattern": _MONEY_TEXT},
                {"type": "number", "minimum": 0, "maximum": 9_999_999_999.99, "multipleOf": 0.01},
            ]
        }
    ),
    Field(ge=0, le=Decimal("9999999999.99")),
]


def _email(value: str) -> str:
    """A well-formed address (normalised); test and reserved domains too, since nothing is looked up."""
    try:
        return validate_email(value, check_deliverability=False, globally_deliverable=False).normalized
    except EmailNotValidError as e:
        raise ValueError(f"not an e-mail address: {e}") from e


def _any_case(word: str) -> str:
    return "".join(f"[{c.lower()}{c.upper()}]" for c in word)


# Reserved names (RFC 6761: .local, .test, ...) reach no mailbox: refused, and the schema says so.
_RESERVED = "|".join(_any_case(d) for d in SPECIAL_USE_DOMAIN_NAMES)
Email = Annotated[
    str,
    AfterValidator(_email),
    WithJsonSchema({"type": "string", "format": "email", "not": {"pattern": f"[@.]({_RESERVED})$"}}),
]

# What the validators below enforce, said in the schema, so that a request the schema allows is accepted.
# The characters the models strip: Unicode White_Space, spelled out because `\s` differs between
# Python (a schema reader: it adds \x1c-\x1f), JavaScript and the Rust engine that validates.
SPACE = "\\t\\n\\x0b\\x0c\\r \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000"
_SPACE_CHARS = (
    "\t\n\x0b\x0c\r \x85\xa0\u1680"
    + "".join(map(chr, range(0x2000, 0x200B)))
    + "\u2028\u2029\u202f\u205f\u3000"
)
NO_NUL = "^[^\\x00]*$"
NOT_BLANK = f"^[^\\x00]*[^{SPACE}\\x00][^\\x00]*$"


@cache
def _pattern_check(pattern: str) -> TypeAdapter[str]:
    return TypeAdapter(Annotated[str, Field(pattern=pattern)])


def _matches(pattern: str, text: str) -> bool:
    """Whether `text` matches as the schema's validator reads it (pydantic's engine: `$` is the end)."""
    try:
        _pattern_check(pattern).validate_python(text)
    except ValidationError:
        return False
    return True


def _text_patterns(schema: dict[str, Any]) -> None:
    if schema.get("type") == "string" and not {"pattern", "format", "enum", "const"} & schema.keys():
        schema["pattern"] = NOT_BLANK if schema.get("minLength", 0) >= 1 else NO_NUL
    for sub in schema.get("anyOf", []):
        _text_patterns(sub)
    if isinstance(items := schema.get("items"), dict):
        _text_patterns(items)


def _schema_extra(schema: dict[str, Any], model: type[Any]) -> None:
    for prop in schema.get("properties", {}).values():
        _text_patterns(prop)
    schema.update(getattr(model, "schema_rules", {}))


class Boundary(BaseModel):
    """Unknown fields refused, text stripped, and NUL characters refused naming the field."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, json_schema_extra=_schema_extra)
    # JSON Schema keywords a model adds at its top (e.g. `anyOf` of required fields).
    schema_rules: ClassVar[dict[str, Any]] = {}

    @field_validator("*", mode="after")
    @classmethod
    def _text_without_nul(cls, value: Any) -> Any:
        return _without_nul(value)

    @field_validator("*", mode="before")
    @classmethod
    def _text_as_sent(cls, value: Any, info: ValidationInfo) -> Any:
        """A length or a pattern holds for the text as sent, as the schema says, not only once stripped."""
        if not isinstance(value, str) or info.field_name is None:
            return value
        for rule in cls.model_fields[info.field_name].metadata:
            if (most := getattr(rule, "max_length", None)) is not None and len(value) > most:
                raise ValueError(f"must be at most {most} characters")
            pattern = getattr(rule, "pattern", None)
            if pattern and not _matches(pattern, value) and _matches(pattern, value.strip(_SPACE_CHARS)):
                raise ValueError("must not begin or end with space")
        return value
