"""What customers are told: the notice templates (an editable TOML file) and times as people write them."""

import tomllib
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, ValidationError

SHIPPED_NOTICES = Path(__file__).with_name("notices.toml")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


class Notice(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    subject: str
    body: str


class NoticesError(ValueError):
    """A notices file that cannot be used; the message names the file and the problem."""


def load_notices(path: Path | None = None) -> dict[str, Notice]:
    path = path or SHIPPED_NOTICES
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
        return {name: Notice.model_validate(value) for name, value in raw.items()}
    except (OSError, tomllib.TOMLDecodeError, ValidationError) as e:
        raise NoticesError(f"notices file {path}: {e}") from e


def by_time(at: datetime, zone: str) -> tuple[str, str]:
    """A deadline as people write it, in Chinese and English: 12月4日 18:00前, by 4 Dec 18:00."""
    local = at.astimezone(ZoneInfo(zone))
    clock = f"{local:%H:%M}"
    return f"{local.month}月{local.day}日 {clock}前", f"by {local.day} {_MONTHS[local.month - 1]} {clock}"


def with_local_times(facts: Mapping[str, str]) -> dict[str, str]:
    """The facts, each ISO time among them (`*_due`) also as people write it, `tz` the customer's zone."""
    out = dict(facts)
    zone = facts.get("tz") or "Asia/Shanghai"
    for name, value in facts.items():
        if not name.endswith("_due"):
            continue
        try:
            out[name], out[f"{name}_en"] = by_time(datetime.fromisoformat(value), zone)
        except ValueError:
            continue
    return out
