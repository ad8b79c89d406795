"""Process settings (environment, prefix TICKETFLOW_): addresses, ports, data directory, policy file."""

from functools import lru_cache
from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from domain.enums import Channel

MIN_SECRET_BYTES = 32
PLACEHOLDER_SECRETS = frozenset({"change-me", "changeme", "please-change-me-to-a-long-random-secret"})


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="TICKETFLOW_", env_file=".env", extra="ignore")

    # Empty address / URL: `ticketflow dev` starts the embedded server and fills them in.
    temporal_address: str = ""
    temporal_namespace: str = "default"
    # A secured cluster or Temporal Cloud: TLS (the CA when not a public one), a client certificate and key
    # for mTLS, or an API key; what the SDK's Client.connect takes.
    temporal_tls: bool = False
    temporal_tls_ca_file: Path | None = None
    temporal_tls_cert_file: Path | None = None
    temporal_tls_key_file: Path | None = None
    temporal_tls_server_name: str = ""
    temporal_api_key: SecretStr = SecretStr("")
    # Retention of closed workflows, for `ticketflow create-namespace` only.
    temporal_namespace_retention_days: int = Field(default=30, ge=1, le=3650)
    task_queue: str = "tickets"
    database_url: str = ""

    # Connections to PostgreSQL each API process and each worker process keeps at most.
    api_db_pool_size: int = Field(default=10, ge=1)
    worker_db_pool_size: int = Field(default=20, ge=1)

    data_dir: Path = Path(".ticketflow")
    notices_file: Path | None = None  # None: the customer notices shipped (domain/notices.toml)
    policy_file: Path | None = None  # None: the policy shipped in the package (domain/policy.toml)
    api_host: str = "127.0.0.1"
    api_port: int = 8000
    max_body_bytes: int = Field(default=1024 * 1024, ge=1024)  # larger request bodies answer 413
    # An evidence file (POST /tickets/{no}/attachments) larger than this answers 413.
    attachment_max_bytes: int = Field(default=10 * 1024 * 1024, ge=1024)
    # Where evidence files' bytes live: PostgreSQL unless a bucket is named, then that S3-compatible store
    # (AWS S3, MinIO, Ceph): its endpoint (empty: AWS's own), region, and credentials (empty: the standard
    # AWS chain: environment, profile, instance role); objects are `<prefix><sha256>`.
    attachments_s3_bucket: str = ""
    attachments_s3_endpoint: str = ""
    attachments_s3_region: str = "us-east-1"
    attachments_s3_access_key: SecretStr = SecretStr("")
    attachments_s3_secret_key: SecretStr = SecretStr("")
    attachments_s3_prefix: str = "attachments/"
    temporal_port: int = 7233
    temporal_ui_port: int = 8233

    # Signs customers' feedback links; `ticketflow dev` keeps a generated one under data_dir.
    secret_key: SecretStr = SecretStr("")
    public_url: str = Field(default="", description="base URL of the API, used in feedback links")

    # Customers' channels beside e-mail: an HTTP SMS gateway, and each integrator's webhook for its channel.
    sms_gateway_url: str = ""
    channel_webhooks: dict[Channel, str] = Field(default={}, description='e.g. {"chat": "https://..."}')
    smtp_host: str = ""
    smtp_port: int = 25
    smtp_sender: str = "ticketflow@localhost"

    # Few threads, so no task starves of the GIL past the 2 s deadlock detector; more slots than threads (a
    # task awaiting local activities holds one) and polls than the SDK's 5, so no task waits on a free CPU.
    worker_workflow_tasks: int = Field(default=16, ge=1)
    worker_workflow_threads: int = Field(default=8, ge=1)
    worker_workflow_polls: int = Field(default=12, ge=2)

    # The sandbox roughly doubles a ticket's worker CPU, so production runs without it; every test and
    # replay runs with it, so CI still catches non-deterministic code (docs/decisions.md).
    workflow_sandbox: bool = False

    # host:port for the SDK's Prometheus metrics: task slots and schedule-to-start latency tell a worker
    # that is behind.
    worker_metrics_address: str = ""

    # Seconds between two signals from one API process to one hotspot counter (the tickets between share
    # one): not zero, or a flood's counter never continues as new; short, as every intake waits on it.
    hotspot_signal_spacing: float = Field(default=0.1, ge=0)
    # Seconds an API process sorts with its classifier before asking for a newer stored one (issue 21).
    classifier_recheck: float = Field(default=60.0, ge=0)

    log_format: str = Field(default="auto", pattern="^(auto|console|json)$")
    log_level: str = "INFO"

    def secret_problem(self) -> str | None:
        """Why the secret cannot sign customers' links (None when it can): short or known is forgeable."""
        raw = self.secret_key.get_secret_value()
        if len(raw.encode()) >= MIN_SECRET_BYTES and raw not in PLACEHOLDER_SECRETS:
            return None
        return (
            f"TICKETFLOW_SECRET_KEY must be a secret of at least {MIN_SECRET_BYTES} bytes; make one with:"
            " python -c 'import secrets; print(secrets.token_urlsafe(48))'"
        )

    def base_url(self) -> str:
        return self.public_url or f"http://{self.api_host}:{self.api_port}"


@lru_cache
def get_settings() -> Settings:
    return Settings()
