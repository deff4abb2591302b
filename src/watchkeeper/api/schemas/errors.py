"""The one error body: ``{"error": {"type", "message", "field"?}}``."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


class ErrorDetail(BaseModel):
    type: str = Field(description="A stable name: not_found, invalid, unauthenticated, "
                                  "forbidden, conflict, unavailable, internal, http.")
    message: str = Field(description="One line, the same the CLI prints for this error.")
    field: str | None = Field(None, description="The request field at fault, when known.")


class ErrorBody(BaseModel):
    error: ErrorDetail


def responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` saying that these status codes answer with an `ErrorBody`."""
    words = {400: "Bad request", 401: "No valid API token", 403: "Role not allowed",
             404: "Not found", 409: "Conflict with stored data",
             422: "Invalid request field", 503: "State store unavailable"}
    return {code: {"model": ErrorBody, "description": words.get(code, "Error")}
            for code in codes}


AUTHENTICATED = responses(401, 403, 422, 503)
