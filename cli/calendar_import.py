"""`ticketflow calendar import`: a year's Chinese holidays and make-up workdays, written into the policy file.

The dates come from the maintained `holidays` package (optional extra `calendar`) and are copied into
policy.toml, so tickets snapshot plain dates: no workflow ever imports a holiday library or depends on its
version at replay time.
"""

import re
import tomllib
from collections.abc import Iterable
from datetime import date
from pathlib import Path

from domain.policy import Policy

_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_HEADER = re.compile(r"^\s*\[", re.MULTILINE)


class ImportProblem(RuntimeError):
    """The import cannot go ahead; the message says why."""


def china(year: int) -> tuple[list[date], list[date]]:
    """Days off and weekend make-up workdays (调休) of `year` in mainland China, from `holidays`."""
    try:
        import holidays
    except ImportError as e:
        raise ImportProblem("the `holidays` package is missing: pip install 'ticketflow[calendar]'") from e
    cn = holidays.country_holidays("CN", years=year)
    off = sorted(d for d in cn if d.year == year)
    makeup = sorted(d for d in getattr(cn, "weekend_workdays", ()) if d.year == year)
    if not off:
        raise ImportProblem(f"the holidays package {holidays.__version__} has no Chinese holidays for {year}")
    return off, makeup


def _section(text: str, calendar: str) -> tuple[int, int]:
    m = re.search(
        rf"^\s*\[calendars\.(?:\"{re.escape(calendar)}\"|{re.escape(calendar)})\]", text, re.MULTILINE
    )
    if m is None:
        raise ImportProblem(f"the policy file has no [calendars.{calendar}] section")
    nxt = _HEADER.search(text, m.end())
    return m.end(), nxt.start() if nxt else len(text)


def _array(dates: Iterable[date]) -> str:
    by_year: dict[int, list[str]] = {}
    for d in sorted(set(dates)):
        by_year.setdefault(d.year, []).append(d.isoformat())
    lines = "".join(f"  {', '.join(ds)},\n" for _, ds in sorted(by_year.items()))
    return f"[\n{lines}]"


def rewrite(text: str, calendar: str, year: int, off: Iterable[date], makeup: Iterable[date]) -> str:
    """`text` with `year`'s dates of `holidays` and `makeup_workdays` in `[calendars.<calendar>]` replaced.

    Other years' dates stay; comments inside the two arrays do not (they are rewritten one line a year).
    """
    start, end = _section(text, calendar)
    body = text[start:end]
    for key, new in (("holidays", list(off)), ("makeup_workdays", list(makeup))):
        m = re.search(rf"^{key}\s*=\s*\[(.*?)\]", body, re.MULTILINE | re.DOTALL)
        kept = [date.fromisoformat(d) for d in _DATE.findall(m.group(1))] if m else []
        dates = [d for d in kept if d.year != year] + new
        line = f"{key} = {_array(dates)}"
        if m:
            body = body[: m.start()] + line + body[m.end() :]
        else:
            body = body.rstrip("\n") + f"\n{line}\n"
    return text[:start] + body + text[end:]


def import_year(policy_file: Path, year: int, calendar: str = "cn-business") -> tuple[int, int]:
    """Refresh one year of `calendar` in the policy file; how many days off and make-up days it now has."""
    off, makeup = china(year)
    text = policy_file.read_text(encoding="utf-8")
    new = rewrite(text, calendar, year, off, makeup)
    Policy.model_validate(tomllib.loads(new))  # never write a policy that would not load
    policy_file.write_text(new, encoding="utf-8")
    return len(off), len(makeup)
