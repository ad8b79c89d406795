"""`ticketflow calendar import`: one year's dates replaced in the policy file, other years and keys kept."""

import shutil
from datetime import date
from pathlib import Path

from typer.testing import CliRunner

from cli.calendar_import import rewrite
from cli.main import app
from domain.policy import SHIPPED_POLICY, load_policy

ROOT = Path(__file__).resolve().parents[2]

TEXT = """[targets]
acknowledge = "1h"

[calendars.cn-business]     # a comment
timezone = "Asia/Shanghai"
holidays = [
  2025-10-01,
  2026-01-01, 2026-01-02,
]

[report]
hour = 9
"""


def test_rewrite_replaces_one_year_and_keeps_the_rest() -> None:
    out = rewrite(TEXT, "cn-business", 2026, [date(2026, 10, 1)], [date(2026, 10, 10)])
    assert "holidays = [\n  2025-10-01,\n  2026-10-01,\n]" in out
    assert "makeup_workdays = [\n  2026-10-10,\n]" in out
    assert out.startswith('[targets]\nacknowledge = "1h"\n\n[calendars.cn-business]     # a comment\n')
    assert out.endswith("\n[report]\nhour = 9\n")


def test_import_command_writes_the_official_2026_arrangement(tmp_path: Path) -> None:
    policy_file = tmp_path / "policy.toml"
    shutil.copy(SHIPPED_POLICY, policy_file)
    before = load_policy(policy_file).calendars["cn-business"]

    result = CliRunner().invoke(app, ["calendar", "import", "--year", "2026", "--policy", str(policy_file)])

    assert result.exit_code == 0, result.output
    cal = load_policy(policy_file).calendars["cn-business"]
    # 国办发明电〔2025〕7号: the six weekend workdays of 2026.
    assert [d for d in cal.makeup_workdays if d.year == 2026] == [
        date(2026, 1, 4),
        date(2026, 2, 14),
        date(2026, 2, 28),
        date(2026, 5, 9),
        date(2026, 9, 20),
        date(2026, 10, 10),
    ]
    # The same working days as before: the package leaves out weekend days inside a holiday block.
    for d in (date(2026, m, day) for m in range(1, 13) for day in range(1, 29)):
        assert cal.spans_on(d) == before.spans_on(d), d
    assert [d for d in cal.holidays if d.year == 2027] == [d for d in before.holidays if d.year == 2027]


def test_import_refuses_an_unknown_calendar(tmp_path: Path) -> None:
    policy_file = tmp_path / "policy.toml"
    shutil.copy(SHIPPED_POLICY, policy_file)
    args = ["calendar", "import", "--year", "2026", "--calendar", "nope", "--policy", str(policy_file)]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 2
    assert policy_file.read_text() == (SHIPPED_POLICY).read_text()
