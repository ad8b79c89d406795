"""Issue 19, any Temporal: a cluster behind TLS that demands a client certificate (mTLS), reached with the
settings alone; certificates made here, the TLS end a proxy in front of a real dev server."""

import asyncio
import contextlib
import ssl
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from temporalio.testing import WorkflowEnvironment

from cli.temporal_setup import register_search_attributes
from infra.settings import Settings
from infra.temporal_client import TemporalUnavailable, connect, tls_config


def _openssl(*args: str, cwd: Path) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


def _make_certificates(d: Path) -> None:
    """A CA, a server certificate for localhost and a client certificate, both signed by the CA."""
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    _openssl(
        "req",
        "-x509",
        *ec,
        "-keyout",
        "ca.key",
        "-out",
        "ca.pem",
        "-days",
        "2",
        "-subj",
        "/CN=test-ca",
        cwd=d,
    )
    for name, ext in (
        ("server", "subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth"),
        ("client", "extendedKeyUsage=clientAuth"),
    ):
        (d / f"{name}.ext").write_text(f"basicConstraints=CA:FALSE\n{ext}\n")
        _openssl("req", *ec, "-keyout", f"{name}.key", "-out", f"{name}.csr", "-subj", f"/CN={name}", cwd=d)
        _openssl(
            "x509", "-req", "-in", f"{name}.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
            "-out", f"{name}.pem", "-days", "2", "-extfile", f"{name}.ext", cwd=d,
        )  # fmt: skip


@contextlib.asynccontextmanager
async def mtls_front(certs: Path, upstream: str) -> AsyncIterator[str]:
    """A TLS endpoint requiring a client certificate signed by the CA, forwarding to `upstream` (gRPC: h2)."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH, cafile=str(certs / "ca.pem"))
    context.load_cert_chain(certs / "server.pem", certs / "server.key")
    context.verify_mode = ssl.CERT_REQUIRED
    context.set_alpn_protocols(["h2"])
    host, port = upstream.rsplit(":", 1)

    async def pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(ConnectionError, OSError):
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        writer.close()

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_connection(host, int(port))
        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))

    server = await asyncio.start_server(serve, "127.0.0.1", 0, ssl=context)
    try:
        yield f"localhost:{server.sockets[0].getsockname()[1]}"
    finally:
        server.close()


async def test_mtls_settings_reach_a_cluster_that_demands_a_client_certificate(
    dev_env: WorkflowEnvironment, tmp_path: Path
) -> None:
    _make_certificates(tmp_path)
    upstream = dev_env.client.service_client.config.target_host
    async with mtls_front(tmp_path, upstream) as address:
        settings = Settings(
            temporal_address=address,
            temporal_tls_ca_file=tmp_path / "ca.pem",
            temporal_tls_cert_file=tmp_path / "client.pem",
            temporal_tls_key_file=tmp_path / "client.key",
        )
        client = await connect(settings)  # also asks for the namespace, so a request went through
        assert await client.service_client.check_health()
        # What `ticketflow setup-temporal` does, over mTLS (the dev server has them already).
        assert await register_search_attributes(settings) == []

        # Without the client certificate the TLS handshake is refused: one line naming the settings.
        no_cert = settings.model_copy(update={"temporal_tls_cert_file": None, "temporal_tls_key_file": None})
        with pytest.raises(TemporalUnavailable, match="TICKETFLOW_TEMPORAL_TLS"):
            await connect(no_cert)
        # Nor is the server trusted without the CA.
        with pytest.raises(TemporalUnavailable, match=address):
            await connect(Settings(temporal_address=address, temporal_tls=True))


def test_tls_settings_become_the_sdks_tls_argument(tmp_path: Path) -> None:
    assert tls_config(Settings()) is False
    assert tls_config(Settings(temporal_tls=True)) is True
    # An API key (Temporal Cloud) travels only over TLS, with the system's CAs unless one is given.
    assert tls_config(Settings(temporal_api_key="key")) is True
    (tmp_path / "ca.pem").write_bytes(b"CA")
    with_ca = tls_config(
        Settings(temporal_tls_ca_file=tmp_path / "ca.pem", temporal_tls_server_name="t.internal")
    )
    assert not isinstance(with_ca, bool)
    assert (with_ca.server_root_ca_cert, with_ca.domain, with_ca.client_cert) == (b"CA", "t.internal", None)
    with pytest.raises(TemporalUnavailable, match="TICKETFLOW_TEMPORAL_TLS_CERT_FILE and"):
        tls_config(Settings(temporal_tls_cert_file=tmp_path / "ca.pem"))
    with pytest.raises(TemporalUnavailable, match="TICKETFLOW_TEMPORAL_TLS_KEY_FILE: cannot read"):
        tls_config(
            Settings(temporal_tls_cert_file=tmp_path / "ca.pem", temporal_tls_key_file=tmp_path / "nope")
        )
