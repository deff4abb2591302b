"""`/api/v1/alerts`: the alert queue. Senders (service accounts, and analysts, leads and
admins) post alerts; analysts, leads and admins read the alerts of their regions (an
alert outside them reads as absent, 404); auditors and service accounts read none.

The intake, the reads and the audit entry run in transactions of their own, each
committed before the answer is sent (the caller is authenticated in its own, too:
`api.deps.current_user`).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import Field

from watchkeeper.api.deps import WorkspaceDep, requires
from watchkeeper.api.intake import GroupCommit
from watchkeeper.api.schemas.alerts import (
    AlertDetailPublic,
    AlertPage,
    AlertPublic,
    IntakeResultPublic,
)
from watchkeeper.api.schemas.errors import AUTHENTICATED, responses
from watchkeeper.api.schemas.fields import PathId
from watchkeeper.cases.model import PostedAlerts
from watchkeeper.security.roles import Permission, Principal, scope

if TYPE_CHECKING:
    from watchkeeper.cases.alerts import IntakeResult

router = APIRouter(prefix="/alerts", tags=["alerts"], responses=AUTHENTICATED)

Status = Literal["new", "in_progress", "suppressed", "resolved", "archived", "deleted",
                 "other", "unknown"]
Sort = Literal["-time", "time", "-severity", "severity", "-received", "received"]
Severity = Annotated[int, Field(ge=0, le=6, description="OCSF severity id.")]
Format = Literal["ocsf", "splunk", "sentinel", "elastic"]
PAYLOAD_DOC = {"requestBody": {"required": True, "description": (
    "One alert or a JSON array of alerts: OCSF Detection Finding (2004) or Data Security "
    "Finding (2006), a Splunk webhook, a Sentinel incident (or its list), an Elastic "
    "Security alert (or a search response)."),
    "content": {"application/json": {"schema": {}}}}}


Submitter = Annotated[Principal, Depends(requires(Permission.SUBMIT_ALERTS))]
Reader = Annotated[Principal, Depends(requires(Permission.READ_CASES))]


@router.post("", response_model=IntakeResultPublic, status_code=201,
             responses=responses(422), openapi_extra=PAYLOAD_DOC)
async def post_alerts(_: Submitter, request: Request,
                      fmt: Annotated[Format | None, Query(alias="format")] = None
                      ) -> Response:
    """Store one alert or a batch, whole or not at all; a re-sent alert counts as a
    duplicate (unchanged) or an update (changed). `format` forces a vendor format."""
    received = datetime.now(UTC)
    body = await request.body()
    # parsed and stored by the app's committer thread, with any requests arriving
    # together, in one transaction (`api.intake`); the answer is built here, on the
    # event loop, after the commit
    intake: GroupCommit = request.app.state.intake
    result = await intake.receive(PostedAlerts(body, fmt, received))
    return Response(intake_answer(result), status_code=201, media_type="application/json")


def intake_answer(result: IntakeResult) -> bytes:
    """`IntakeResultPublic`'s JSON of `result`, written directly: the route answers with
    it instead of returning the model, which FastAPI would validate and serialize again
    (a third of the route's own time for one alert). The schema stays documented
    (``response_model``); tests/api/test_alerts_api.py checks the two agree."""
    return json.dumps({"received": result.received, "new": result.new,
                       "updated": result.updated, "duplicates": result.duplicates,
                       "suppressed": result.suppressed, "grouped": result.grouped,
                       "alert_ids": list(result.alert_ids)},
                      separators=(",", ":")).encode()


@router.get("", response_model=AlertPage)
def list_alerts(user: Reader, workspace: WorkspaceDep,
                status: Annotated[list[Status] | None, Query()] = None,
                severity: Annotated[list[Severity] | None, Query()] = None,
                rule: str | None = None, source: str | None = None,
                person: Annotated[str | None, Query(description="A pseudonym.")] = None,
                host: str | None = None, since: datetime | None = None,
                until: datetime | None = None, sort: Sort = "-time",
                cursor: str | None = None,
                limit: Annotated[int, Query(ge=1, le=1000)] = 50) -> AlertPage:
    """A page of the alerts in the caller's regions (people as pseudonyms), filtered:
    repeated `status` and `severity` (OCSF 0-6) match any; `since <= event time <
    until`. Pass the answer's `next_cursor` as `cursor` for the next page."""
    from watchkeeper.cases.queue import AlertQuery
    query = AlertQuery(status=tuple(status or ()), severity=tuple(severity or ()),
                       rule=rule, source=source, host=host, since=since, until=until,
                       sort=sort, limit=limit, cursor=cursor, scope=scope(user))
    found = workspace.alerts_list(query, person=person)  # a bad cursor: PagingError, 422
    return AlertPage(items=[AlertPublic.model_validate(a) for a in found.items],
                     next_cursor=found.next_cursor, total=found.total,
                     total_exact=found.total_exact)


@router.get("/{alert_id}", response_model=AlertDetailPublic, responses=responses(404))
def get_alert(alert_id: PathId, user: Reader, workspace: WorkspaceDep) -> AlertDetailPublic:
    """One alert in full (people as pseudonyms, payload redacted); the read is audited
    (``alert.read``)."""
    detail = workspace.alert_read(user.name, alert_id, scope(user))
    return AlertDetailPublic.model_validate(detail)
