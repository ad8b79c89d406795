"""Process settings (environment, prefix TICKETFLOW_): addresses, ports, data directory, policy file."""

from functools import lru_cache
from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="TICKETFLOW_", env_file=".env", extra="ignore")

    # Empty address / URL: `ticketflow dev` starts the embedded server and fills them in.
    temporal_address: str = ""
    temporal_namespace: str = "default"
    task_queue: str = "tickets"
    database_url: str = ""

    data_dir: Path = Path(".ticketflow")
    policy_file: Path = Path("policy.toml")
    api_host: str = "127.0.0.1"
    api_port: int = 8000
    temporal_port: int = 7233
    temporal_ui_port: int = 8233

    # Signs customers' feedback links; `ticketflow dev` keeps a generated one under data_dir.
    secret_key: SecretStr = SecretStr("")
    public_url: str = Field(default="", description="base URL of the API, used in feedback links")

    smtp_host: str = ""
    smtp_port: int = 25
    smtp_sender: str = "ticketflow@localhost"

    # Workflow tasks a worker holds at once (a task waiting on its local activities holds one), the threads
    # that run their Python, and the polls kept open for new ones. A hundred threads (the SDK's default) on
    # 2 cores shared the GIL so thinly under a flood that single tasks passed the 2 s deadlock detector, so
    # 8 threads; but 8 tasks and the SDK's 5 polls left the queue behind while the CPU was not: at 6.7 new
    # tickets a second escalations were late by 11 s at the median (bench/RESULTS.md); 16 and 12, 0.3 s.
    worker_workflow_tasks: int = Field(default=16, ge=1)
    worker_workflow_threads: int = Field(default=8, ge=1)
    worker_workflow_polls: int = Field(default=12, ge=2)

    # Ticket workflows in the SDK's sandbox, which refuses non-deterministic calls at run time, at a price:
    # every payload crosses into it through `exec`, and every run imports the workflow module afresh. Off,
    # a replayed ticket costs 43 ms of CPU instead of 94 and an open one ~130 KiB less; escalations at 7
    # new tickets a second were late by 0.4 s at the median instead of 2.0 s (bench/RESULTS.md). So
    # production runs without it, and every in-process test and replay runs with it (tests/conftest.py):
    # code that would break it still fails CI. The hotspot counters always run sandboxed.
    workflow_sandbox: bool = False

    # host:port where the worker serves the SDK's Prometheus metrics (task slots, schedule-to-start and
    # execution latencies, sticky cache hits): what an operator watches to tell a worker that is behind.
    worker_metrics_address: str = ""

    # Seconds between two signals from one API process to one hotspot counter; the tickets between share one.
    # An intake waits for its ticket's signal, half this on average: 0.25 s held `bench/intake.py` to a
    # ratio of 0.34, 0.1 s gave 0.48; the 20,000-intake flood at full size still passes (README).
    hotspot_signal_spacing: float = Field(default=0.1, ge=0)

    log_format: str = Field(default="auto", pattern="^(auto|console|json)$")
    log_level: str = "INFO"

    def base_url(self) -> str:
        return self.public_url or f"http://{self.api_host}:{self.api_port}"


@lru_cache
def get_settings() -> Settings:
    return Settings()
