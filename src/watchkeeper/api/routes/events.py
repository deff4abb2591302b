"""`POST /api/v1/events`: OCSF events (one object or an array) for the lake. Service
accounts and admins may post. The post is checked as `ingest ocsf` reads events (a bad
event refuses it all: 422 naming the field, such as ``events[3].time``), spooled durably,
and answered 202; the scheduler's ``events`` job commits it to the lake within seconds
(docs/operations.md)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Request

from watchkeeper.api.deps import WorkspaceDep, requires
from watchkeeper.api.schemas.errors import AUTHENTICATED, responses
from watchkeeper.api.schemas.ops import EventsAcceptedPublic
from watchkeeper.security.roles import Permission, Principal

router = APIRouter(prefix="/events", tags=["events"], responses=AUTHENTICATED)

Sender = Annotated[Principal, Depends(requires(Permission.SUBMIT_EVENTS))]
PAYLOAD_DOC = {"requestBody": {"required": True, "description": (
    "One OCSF event or a JSON array of them: Authentication (3002), File System Activity "
    "(1001), Email Activity (4009), HTTP Activity (4002), Datastore Activity (6005); the "
    "attributes read are those of `watchkeeper ingest ocsf` (docs/sources.md)."),
    "content": {"application/json": {"schema": {}}}}}


async def _payload(request: Request) -> tuple[bytes, datetime]:
    """The request body as sent, and when the request arrived."""
    received = datetime.now(UTC)
    return await request.body(), received


Payload = Annotated[tuple[bytes, datetime], Depends(_payload)]


@router.post("", response_model=EventsAcceptedPublic, status_code=202,
             responses=responses(422), openapi_extra=PAYLOAD_DOC)
def post_events(_: Sender, payload: Payload, workspace: WorkspaceDep) -> EventsAcceptedPublic:
    """Check and spool the events; 202 once they are on disk (committed to the lake
    by the ``events`` job)."""
    body, received = payload
    return EventsAcceptedPublic.model_validate(workspace.events_receive(body, received))
