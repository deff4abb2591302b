"""`/api/v1/metrics`: operations metrics of one period (docs/operations.md, "Metrics"):
time to detect, acknowledge and resolve, SLA compliance, volumes, backlog, hand-off
acknowledgement and alert-to-case conversion.

Analysts, leads and admins read them (`read_cases` and a role that reads alert content),
over the alerts and cases their regions see. `period` is in the grammar every command
shares (``2025-03``, ``2025-Q1``, ``2025-01-01..2025-03-31``; 422 naming it otherwise).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from watchkeeper.api.deps import WorkspaceDep
from watchkeeper.api.routes.cases import Reader
from watchkeeper.api.schemas.errors import AUTHENTICATED, responses
from watchkeeper.api.schemas.fields import PeriodQuery
from watchkeeper.api.schemas.metrics import MetricsPublic

router = APIRouter(prefix="/metrics", tags=["operations"], responses=AUTHENTICATED)
TEAM_MAX = 200


@router.get("", response_model=MetricsPublic, responses=responses(404, 422))
def metrics(actor: Reader, workspace: WorkspaceDep,
            period: PeriodQuery = None,
            team: Annotated[str | None, Query(
                min_length=1, max_length=TEAM_MAX,
                description="One team (default: all).")] = None) -> MetricsPublic:
    """The metrics of `period` (default: the last 30 days) for `team`, of what the
    caller's regions see (404: no such team)."""
    return MetricsPublic.model_validate(workspace.metrics(actor.viewer, period, team=team))
