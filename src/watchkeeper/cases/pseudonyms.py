"""People in the queue as pseudonyms: what the queue shows, and back from what it shows.

The store keeps user ids (lists filter by them); everything the queue hands out shows
each alert's people as their pseudonyms and has every other text redacted
(`Pseudonymizer.redact`: names, emails and owned hosts inside titles and payloads).
A pseudonym given to filter or suppress by is revealed to its user id; one of a person
outside the lake's people table (an alert from elsewhere) cannot be revealed, and is
found among the queue's people instead.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from watchkeeper.cases.queue import (
    AlertDetail,
    AlertPage,
    AlertSummary,
    FieldChange,
    JsonValue,
)
from watchkeeper.cases.suppression import SuppressionInfo
from watchkeeper.errors import ConfigError, NotFoundError
from watchkeeper.security import Pseudonymizer
from watchkeeper.store.models import AlertSubject

S = TypeVar("S", bound=AlertSummary)


def subjects_for(session: Session, pz: Pseudonymizer, pseudonym: str) -> tuple[str, ...]:
    """The user ids whose pseudonym is `pseudonym` (none: nobody the queue knows)."""
    try:
        return (pz.reveal(pseudonym),)
    except NotFoundError:
        wanted = pseudonym.strip().upper()
        people = session.scalars(select(AlertSubject.subject).distinct())
        return tuple(sorted(u for u in people if pz.pseudonym(u) == wanted))


def subject_of(session: Session, pz: Pseudonymizer, pseudonym: str) -> str:
    """The one user id behind `pseudonym`; an error naming --subject when nobody has it."""
    found = subjects_for(session, pz, pseudonym)
    if len(found) != 1:
        raise ConfigError(f"--subject {pseudonym!r}: nobody in this workspace or its alert "
                          "queue has this pseudonym")
    return found[0]


def pseudonymize_summary(pz: Pseudonymizer, item: S) -> S:
    people = tuple(pz.pseudonym(s) for s in item.subjects)
    return pz.redact(replace(item, subjects=people))


def pseudonymize_page(pz: Pseudonymizer, page: AlertPage) -> AlertPage:
    return replace(page, items=tuple(pseudonymize_summary(pz, a) for a in page.items))


def pseudonymize_detail(pz: Pseudonymizer, detail: AlertDetail) -> AlertDetail:
    changes = tuple(replace(c, fields={
        name: FieldChange(_people(pz, f.before), _people(pz, f.after))
        if name == "subjects" else f for name, f in c.fields.items()})
        for c in detail.changes)
    suppression = pseudonymize_suppression(pz, detail.suppression) \
        if detail.suppression is not None else None
    return pseudonymize_summary(pz, replace(detail, changes=changes,
                                            suppression=suppression))


def pseudonymize_suppression(pz: Pseudonymizer, info: SuppressionInfo) -> SuppressionInfo:
    match = {k: pz.pseudonym(v) if k == "subject" else v for k, v in info.match.items()}
    return pz.redact(replace(info, match=match))


def _people(pz: Pseudonymizer, value: JsonValue) -> JsonValue:
    if isinstance(value, list):
        return [pz.pseudonym(v) if isinstance(v, str) else v for v in value]
    return value
