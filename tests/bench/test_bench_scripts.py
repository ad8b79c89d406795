"""Each benchmark script runs end to end on a tiny size and prints its verdict (no timing is asserted)."""

import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench"

TINY = {
    "lifecycle.py": ["--tickets", "3", "--concurrency", "2", "--warmup", "1"],
    "intake.py": ["--tickets", "5", "--concurrency", "2", "--warmup", "1"],
    "escalation.py": ["--tickets", "4", "--spread", "2", "--lead", "3", "--burst", "3"],
    "memory.py": ["--levels", "0,3"],
    "report.py": ["200"],
    "assist.py": ["--articles", "30"],
    "sorting.py": ["--tickets", "4", "--concurrency", "2", "--warmup", "1"],
    "backlog.py": [
        *(
            "--sizes",
            "20,40",
            "--stream",
            "3",
            "--window",
            "2",
            "--lead",
            "3",
            "--calls",
            "4",
            "--warmup",
            "2",
        ),
        *("--cache", "15", "--replay", "2", "--apis", "2"),
    ],
}
# What a script must print besides its verdict: the lifecycle and intake measure the HTTP floor between
# the desk and bare Temporal (the same bare workflow behind the thinnest API): what the hop costs alone.
PRINTS = {
    "lifecycle.py": ["| HTTP floor (bare, FastAPI) | 3 ", "HTTP floor ÷ bare"],
    "intake.py": ["| HTTP floor POST /bare/{id} | 5 ", "HTTP floor ÷ bare"],
    # Two API processes behind the round-robin, and the replay of a ticket evicted from the cache (40 > 15).
    "backlog.py": ["backlog: p99 ratio 40/20 ", "2 API process(es), 1 worker process(es)", "action, evicted"],
}


def test_every_script_has_a_tiny_size() -> None:
    scripts = {p.name for p in BENCH.glob("*.py") if not p.name.startswith("_")}
    assert scripts == set(TINY)


@pytest.mark.timeout(240)
@pytest.mark.parametrize("script", sorted(TINY))
def test_script_runs_and_prints_its_verdict(script: str) -> None:
    done = subprocess.run(
        [sys.executable, str(BENCH / script), *TINY[script], "--no-record"],
        capture_output=True,
        text=True,
        timeout=230,
        cwd=BENCH.parent,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    verdict = script.removesuffix(".py") + ": "
    assert any(line.startswith(verdict) for line in done.stdout.splitlines()), done.stdout[-3000:]
    for expected in PRINTS.get(script, []):
        assert expected in done.stdout, done.stdout[-3000:]
