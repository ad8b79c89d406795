"""The HTTP floor: the bare lifecycle behind the thinnest API on our stack (FastAPI on uvicorn, the same
request models, no auth, no database), to tell what an HTTP hop costs by itself."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from _bare import BARE_LIFECYCLE
from fastapi import FastAPI
from pydantic import BaseModel
from temporalio.client import Client

from ticketflow.domain.actions import Acknowledge, FeedbackAnswer, ProgressNote, Resolve
from ticketflow.settings import Settings
from ticketflow.temporal_client import connect


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

    async def update(wf_id: str, name: str, arg: BaseModel) -> Status:
        return Status(status=await temporal().get_workflow_handle(wf_id).execute_update(name, arg))

    @app.get("/healthz")
    async def healthz() -> Status:
        return Status(status="ok")

    @app.post("/bare/{wf_id}", status_code=201)
    async def start(wf_id: str) -> Started:
        await temporal().start_workflow(BARE_LIFECYCLE, wf_id, id=wf_id, task_queue="bare")
        return Started(id=wf_id)

    @app.post("/bare/{wf_id}/acknowledge")
    async def acknowledge(wf_id: str, body: Acknowledge) -> Status:
        return await update(wf_id, "acknowledge", body)

    @app.post("/bare/{wf_id}/progress")
    async def progress(wf_id: str, body: ProgressNote) -> Status:
        return await update(wf_id, "progress", body)

    @app.post("/bare/{wf_id}/resolve")
    async def resolve(wf_id: str, body: Resolve) -> Status:
        return await update(wf_id, "resolve", body)

    @app.post("/bare/{wf_id}/feedback")
    async def feedback(wf_id: str, body: FeedbackAnswer) -> Status:
        return await update(wf_id, "feedback", body)

    return app
