"""The HTTP floor: the bare lifecycle behind the thinnest API on our stack (FastAPI on uvicorn, the same
request models, no auth, no database), to tell what an HTTP hop costs by itself."""

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

from _bare import BARE_LIFECYCLE
from fastapi import FastAPI
from pydantic import BaseModel
from temporalio.client import Client

from domain.actions import Acknowledge, FeedbackAnswer, ProgressNote, Resolve
from infra.settings import Settings
from infra.temporal_client import connect

# The bare lifecycle's updates, each behind POST /bare/{id}/{name} with the product's request model.
UPDATES: dict[str, type[BaseModel]] = {
    "acknowledge": Acknowledge,
    "progress": ProgressNote,
    "resolve": Resolve,
    "feedback": FeedbackAnswer,
}


class Started(BaseModel):
    id: str


class Status(BaseModel):
    status: str


def create_floor_app(settings: Settings, client: Client | None = None) -> FastAPI:
    """POST /bare/{id} starts a bare lifecycle; POST /bare/{id}/{update} sends it one update."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.temporal = client or await connect(settings)
        yield

    app = FastAPI(title="ticketflow bench floor", lifespan=lifespan)

    def temporal() -> Client:
        found: Client = app.state.temporal
        return found

    @app.get("/healthz")
    async def healthz() -> Status:
        return Status(status="ok")

    @app.post("/bare/{wf_id}", status_code=201)
    async def start(wf_id: str) -> Started:
        await temporal().start_workflow(BARE_LIFECYCLE, wf_id, id=wf_id, task_queue="bare")
        return Started(id=wf_id)

    def update_route(name: str, model: type[BaseModel]) -> Callable[..., Awaitable[Status]]:
        async def send(wf_id: str, body: model) -> Status:  # type: ignore[valid-type]
            return Status(status=await temporal().get_workflow_handle(wf_id).execute_update(name, body))

        return send

    for name, model in UPDATES.items():
        app.add_api_route(f"/bare/{{wf_id}}/{name}", update_route(name, model), methods=["POST"])
    return app
