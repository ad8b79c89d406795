"""The worker writes its workflow modules' bytecode: the sandbox re-imports them for every ticket."""

import importlib.util
from pathlib import Path

import workflows.ticket as ticket_module
from worker.worker import compile_workflow_modules


def test_a_missing_pyc_of_the_ticket_workflow_is_written_before_the_worker_runs() -> None:
    source = Path(ticket_module.__file__ or "")
    cached = Path(importlib.util.cache_from_source(str(source)))
    cached.unlink(missing_ok=True)
    compile_workflow_modules()
    # The header the import checks: this interpreter's magic and this very source's mtime and size, so
    # the sandbox's import loads the bytecode instead of compiling the source again.
    header = cached.read_bytes()[:16]
    assert header[:4] == importlib.util.MAGIC_NUMBER
    stat = source.stat()
    assert int.from_bytes(header[8:12], "little") == int(stat.st_mtime) & 0xFFFFFFFF
    assert int.from_bytes(header[12:16], "little") == stat.st_size & 0xFFFFFFFF
