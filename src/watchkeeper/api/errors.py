"""Every error answers with one JSON body, ``{"error": {"type", "message", "field"?}}``.

The message of a `WatchkeeperError` is the one line the CLI prints for it. Engine errors
(SQLAlchemy, the drivers) never reach the caller in full: their SQL and parameters can
hold secrets (password hashes, token hashes), so the caller gets one line and the log
gets the exception's type and first line only.

=============================  ======  =================
error                          status  type
=============================  ======  =================
AuthenticationError            401     unauthenticated
PermissionDeniedError,         403     forbidden
AccessError (recusal, ...)
NotFoundError                  404     not_found
ConflictError, IntegrityError, 409     conflict
CaseWorkflowError
IntakeError, AccountError,     422     invalid
TimelineError, CaseError,
PagingError (cursor, limit),
RevealError (reason),
FeedbackError (field named),
OpsError (shifts, SLAs),
GrantError (access requests)
PlaybookError (file:line)
RetentionError (legal holds)
request fields, unreadable body
StoreError, other DB errors,   503     unavailable
PolicyError (broken policies)
other WatchkeeperError         400     bad_request
anything else                  500     internal
=============================  ======  =================
"""

from __future__ import annotations

import logging
from typing import cast

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from starlette.exceptions import HTTPException

from watchkeeper.errors import (
    AccessError,
    AccountError,
    AuthenticationError,
    CaseError,
    CaseWorkflowError,
    ConflictError,
    FeedbackError,
    GrantError,
    IntakeError,
    NotFoundError,
    OpsError,
    PagingError,
    PermissionDeniedError,
    PlaybookError,
    PolicyError,
    RetentionError,
    RevealError,
    StoreError,
    TimelineError,
    WatchkeeperError,
)
from watchkeeper.store.engine import first_line

log = logging.getLogger("watchkeeper.api")

STATUS: tuple[tuple[type[WatchkeeperError], int, str], ...] = (
    (AuthenticationError, 401, "unauthenticated"),
    (PermissionDeniedError, 403, "forbidden"),
    (AccessError, 403, "forbidden"),
    (NotFoundError, 404, "not_found"),
    (ConflictError, 409, "conflict"),
    (CaseWorkflowError, 409, "conflict"),
    (CaseError, 422, "invalid"),
    (IntakeError, 422, "invalid"),
    (AccountError, 422, "invalid"),
    (TimelineError, 422, "invalid"),
    (PagingError, 422, "invalid"),
    (RevealError, 422, "invalid"),
    (FeedbackError, 422, "invalid"),
    (OpsError, 422, "invalid"),
    (GrantError, 422, "invalid"),
    (PlaybookError, 422, "invalid"),
    (RetentionError, 422, "invalid"),
    (StoreError, 503, "unavailable"),
    (PolicyError, 503, "unavailable"),
)
CHALLENGE = {"WWW-Authenticate": "Bearer"}
CONFLICT = "the change clashes with stored data (a name or value that must be unique)"
UNREADABLE = "body: cannot be read as JSON (send UTF-8 encoded JSON)"


def error_response(status: int, kind: str, message: str, field: str | None = None,
                   headers: dict[str, str] | None = None) -> JSONResponse:
    detail: dict[str, str] = {"type": kind, "message": message}
    if field is not None:
        detail["field"] = field
    return JSONResponse({"error": detail}, status_code=status, headers=headers)


def classify(exc: WatchkeeperError) -> tuple[int, str]:
    for cls, status, kind in STATUS:
        if isinstance(exc, cls):
            return status, kind
    return 400, "bad_request"


async def on_watchkeeper_error(request: Request, exc: Exception) -> JSONResponse:
    error = cast(WatchkeeperError, exc)
    status, kind = classify(error)
    field = getattr(error, "field", None)
    headers = CHALLENGE if status == 401 else None
    if status >= 500:
        log.warning("%s %s: %s", request.method, request.url.path, exc)
    return error_response(status, kind, str(exc), field if isinstance(field, str) else None,
                          headers)


async def on_validation_error(request: Request, exc: Exception) -> JSONResponse:
    """A request that does not fit its schema: the first problem, naming the field (the
    input is never echoed: it may be a password)."""
    problems = list(cast(RequestValidationError, exc).errors())
    first = problems[0] if problems else {"loc": (), "msg": "invalid request"}
    parts = [str(p) for p in first.get("loc", ())]
    if parts and parts[0] == "body":
        parts = parts[1:]
    field = ".".join(parts) or "body"
    more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
    return error_response(422, "invalid", f"{field}: {first.get('msg', 'invalid')}{more}",
                          field)


async def on_http_error(request: Request, exc: Exception) -> JSONResponse:
    http = cast(HTTPException, exc)
    if http.status_code == 400:   # the framework could not read the body (not UTF-8, ...)
        return error_response(422, "invalid", UNREADABLE, "body")
    return error_response(http.status_code, "http", str(http.detail), None,
                          dict(http.headers) if http.headers else None)


async def on_database_error(request: Request, exc: Exception) -> JSONResponse:
    if isinstance(exc, IntegrityError):
        return error_response(409, "conflict", CONFLICT)
    line = first_line(exc)
    log.warning("%s %s: %s: %s", request.method, request.url.path, type(exc).__name__, line)
    return error_response(503, "unavailable", f"state store error: {line}")


async def on_unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.error("%s %s: unexpected %s", request.method, request.url.path,
              type(exc).__name__, exc_info=exc)
    return error_response(500, "internal", "internal error (see the server's log)")


def install(app: FastAPI) -> None:
    app.add_exception_handler(WatchkeeperError, on_watchkeeper_error)
    app.add_exception_handler(RequestValidationError, on_validation_error)
    app.add_exception_handler(HTTPException, on_http_error)
    app.add_exception_handler(SQLAlchemyError, on_database_error)
    app.add_exception_handler(Exception, on_unexpected)
