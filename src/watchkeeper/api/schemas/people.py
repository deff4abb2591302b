"""People under watch: revealing who is behind a pseudonym, one model per purpose."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from watchkeeper.api.schemas.fields import Request


class RevealCreate(Request):
    reason: str = Field(description="Why the identity is needed: at least 3 words and 15 "
                                    "characters, at most 256 (recorded in the audit log).")


class RevealedPublic(BaseModel):
    """The identity behind a pseudonym and the record of the reveal."""

    model_config = ConfigDict(from_attributes=True)

    pseudonym: str
    user: str = Field(description="The person's user id in the lake.")
    name: str | None = Field(description="Their name by the newest people-history row.")
    email: str | None
    region: str | None
    reason: str
    revealed_by: str = Field(description="The account that revealed it.")
    at: datetime
    reveal_id: int
    audit_seq: int = Field(description="The audit entry `person.reveal` recording it.")
