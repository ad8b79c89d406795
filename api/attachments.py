"""Evidence files on a ticket (seeds 002, 003: 检测报告, 截图, 录音): upload, list, download."""

from typing import Annotated
from urllib.parse import quote

import structlog
from fastapi import APIRouter, Depends, File, Path, Request, UploadFile
from fastapi.responses import Response
from pydantic import BaseModel
from temporalio.service import RPCError, RPCStatusCode

from api.access import check_access
from api.actions import TICKET_NO
from api.auth import Principal, principal
from api.errors import ApiError, ErrorResponse
from api.feedback import link_of
from api.state import contents_of, pool_of, settings_of, temporal_of
from domain.access import TicketScope, scope_of, sees_contact
from domain.attachments import EXTENSIONS, AttachmentAdded, safe_name, sniff
from domain.enums import Status
from store import attachments, audit
from store.attachments import Attachment
from store.ticket_reads import get_ticket_row

log = structlog.get_logger(__name__)
router = APIRouter(tags=["attachments"])
CUSTOMER = "customer"  # who a file uploaded through the signed link is by, as the timeline says

_BASE: dict[int | str, dict[str, object]] = {
    401: {"model": ErrorResponse},
    404: {"model": ErrorResponse, "description": "no such ticket (or not yours), or no such file"},
    422: {"model": ErrorResponse},
    503: {"model": ErrorResponse},
}
_UPLOAD: dict[int | str, dict[str, object]] = {
    **_BASE,
    409: {"model": ErrorResponse, "description": "the ticket is closed"},
    413: {"model": ErrorResponse, "description": "the file is larger than the attachment limit"},
    415: {"model": ErrorResponse, "description": "the content is of no accepted type"},
}
_DOWNLOAD: dict[int | str, dict[str, object]] = {
    **_BASE,
    403: {"model": ErrorResponse, "description": "files are for those who may read the contact"},
    200: {"content": {t: {} for t in EXTENSIONS}, "description": "the file, as uploaded"},
}


class Uploaded(Attachment):
    created: bool  # false: the same content was already on this ticket, and this is that file
    name_corrected: bool  # the name's extension did not match the content, which decides


class AttachmentList(BaseModel):
    items: list[Attachment]


async def _scope(request: Request, ticket_no: str, caller: Principal) -> TicketScope:
    row = await get_ticket_row(pool_of(request), ticket_no)
    if row is None:
        raise ApiError(404, "not_found", f"no ticket {ticket_no}")
    scope = scope_of(row)
    check_access(caller, scope)
    return scope


@router.post(
    "/tickets/{ticket_no}/attachments",
    status_code=201,
    response_model=Uploaded,
    responses={
        **_UPLOAD,
        200: {"model": Uploaded, "description": "the same content is already on the ticket: that file"},
    },
)
async def upload(
    request: Request,
    file: Annotated[UploadFile, File(description="the evidence file; its type is told from its content")],
    response: Response,
    ticket_no: str = TICKET_NO,
    caller: Principal = Depends(principal),
) -> Uploaded:
    """Attach a file to a ticket; it appears on the ticket's timeline. The same content twice is one file
    (200 with that file)."""
    scope = await _scope(request, ticket_no, caller)
    return await _take(request, response, ticket_no, scope.status, file, caller.actor)


@router.post(
    "/feedback/{token}/attachments",
    status_code=201,
    response_model=Uploaded,
    responses={
        **_UPLOAD,
        200: {"model": Uploaded, "description": "the same content is already on the ticket: that file"},
        401: {"model": ErrorResponse, "description": "forged or malformed link"},
        410: {"model": ErrorResponse, "description": "the link has expired"},
    },
)
async def upload_by_link(
    request: Request,
    file: Annotated[UploadFile, File(description="the customer's file; its type is told from its content")],
    response: Response,
    token: str = Path(max_length=512),
) -> Uploaded:
    """The customer attaches a file (a screenshot, a recording) through their signed link, no API key; a
    reply through the link refers to it by its id (seeds 002, 003)."""
    link = link_of(request, token)
    row = await get_ticket_row(pool_of(request), link.ticket_no)
    if row is None:
        raise ApiError(404, "not_found", f"no ticket {link.ticket_no}")
    return await _take(request, response, link.ticket_no, scope_of(row).status, file, CUSTOMER)


async def _take(
    request: Request, response: Response, ticket_no: str, status: Status | None, file: UploadFile, actor: str
) -> Uploaded:
    """Keep the file on an open ticket and put it on its timeline; 200 (not 201) for content it has."""
    if status is Status.CLOSED:
        raise ApiError(409, "conflict", f"ticket {ticket_no} is closed")
    limit = settings_of(request).attachment_max_bytes
    content = await file.read(limit + 1)
    if len(content) > limit:
        raise ApiError(413, "too_large", f"the file is larger than {limit:,} bytes", "file")
    content_type = sniff(content[:512])
    if content_type is None:
        accepted = ", ".join(EXTENSIONS)
        raise ApiError(415, "unsupported_type", f"the content is none of: {accepted}", "file")
    name = safe_name(file.filename, content_type)
    saved, created = await attachments.add(
        pool_of(request), ticket_no, name, content_type, content, actor, contents_of(request)
    )
    if not created:
        response.status_code = 200
    else:
        added = AttachmentAdded(id=saved.id, name=name, content_type=content_type, size=saved.size, by=actor)
        try:
            await temporal_of(request).get_workflow_handle(ticket_no).signal("attachment_added", added)
        except RPCError as e:
            if e.status != RPCStatusCode.NOT_FOUND:
                raise
    log.info("attachment", ticket_no=ticket_no, id=saved.id, content_type=content_type, size=saved.size)
    corrected = (file.filename or "") != name
    return Uploaded(**saved.model_dump(), created=created, name_corrected=corrected)


@router.get("/tickets/{ticket_no}/attachments", response_model=AttachmentList, responses=_BASE)
async def list_(
    request: Request, ticket_no: str = TICKET_NO, caller: Principal = Depends(principal)
) -> AttachmentList:
    """The ticket's files (names, types, sizes), for whoever may see the ticket."""
    await _scope(request, ticket_no, caller)
    return AttachmentList(items=await attachments.list_for(pool_of(request), ticket_no))


@router.get("/tickets/{ticket_no}/attachments/{attachment_id}", response_class=Response, responses=_DOWNLOAD)
async def download(
    request: Request,
    ticket_no: str = TICKET_NO,
    attachment_id: int = Path(ge=1, le=2**63 - 1),
    caller: Principal = Depends(principal),
) -> Response:
    """The file itself: for those who may read the customer's contact (the holder and the lead team's
    supervisor while open, admins), each download audited."""
    scope = await _scope(request, ticket_no, caller)
    if not sees_contact(caller, scope):
        raise ApiError(403, "forbidden", "files are for the holder and the lead team's supervisor")
    found = await attachments.get(pool_of(request), ticket_no, attachment_id, contents_of(request))
    if found is None:
        raise ApiError(404, "not_found", f"no file {attachment_id} on ticket {ticket_no}")
    meta, content = found
    await audit.record_read(pool_of(request), caller.actor, ticket_no, f"attachment {meta.id}")
    disposition = f"attachment; filename*=UTF-8''{quote(meta.name)}"
    return Response(content, media_type=meta.content_type, headers={"Content-Disposition": disposition})
