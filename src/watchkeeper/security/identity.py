"""Who a person is, as text can carry it: the tokens a redactor must find.

A `PersonIdentity` gathers everything the lake knows that names one person: the user id,
every display name and work email their history rows carried, and the machines assigned
to them (shared machines name nobody). `identities_from_rows` builds them from the rows of
the lake's ``people`` and ``devices`` tables; `identity_tokens` turns one into the
case-folded strings to look for, each with the form its replacement takes.

Which strings count as identity, and why:

- the user id, every email address whole, and every owned host name: always;
- an email's local part (``calvin.love`` of ``calvin.love@dtaa.com``) when it has at
  least 3 characters: logins, mail folders and home directories are named after it;
- a full name (all its parts, in order), its first and last parts alone (``Calvin Love``
  of ``Calvin Edan Love``) and the ``Love, Calvin`` form. A single name part is *not*
  a token: first names and surnames are shared by many people (which pseudonym would
  ``Smith`` get?) and are ordinary words (Rose, Grant, Mark, Hunter, Will), so replacing
  them would rewrite rule titles and case notes while naming no one in particular. A
  one-part display name counts when it has at least 3 characters.

Text is compared case-folded, with ``.``, ``_``, ``-`` and whitespace all read as one
separator, so ``Calvin Love``, ``calvin.love``, ``CALVIN_LOVE`` and ``calvin-love`` are the
same token; a match must start and end at a word boundary (no letter or digit outside
it), so the id ``ACM22`` is not found inside ``ACM2278``.

Words of the replacement forms (``p``, ``host``, ``of``, ``redacted``) are never tokens,
so redacted text is stable under a second redaction.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from enum import Enum

MIN_PART_TOKEN = 3
RESERVED = frozenset({"p", "host", "of", "redacted"})

_ALNUM = re.compile(r"[^\W_]")
_SEPARATORS = str.maketrans({c: " " for c in "._-\t\n\r\f\v"})


class TokenKind(Enum):
    """How a token is replaced: by the pseudonym, an email form or a host form."""

    PERSON = "person"
    EMAIL = "email"
    HOST = "host"


@dataclass(frozen=True)
class PersonIdentity:
    """One person under watch, with every string that identifies them."""

    user: str
    names: tuple[str, ...] = ()
    emails: tuple[str, ...] = ()
    hosts: tuple[str, ...] = ()


def normalize(text: str) -> str:
    """`text` in Unicode NFC, so a composed and a decomposed ``é`` are the same letter."""
    return text if unicodedata.is_normalized("NFC", text) else unicodedata.normalize(
        "NFC", text)


def fold(text: str) -> str:
    """`fold_aligned` of the NFC form of `text` (for tokens)."""
    return fold_aligned(normalize(text))


def fold_aligned(text: str) -> str:
    """Case-folded text with separators read as spaces, position for position with
    `text` (same length, so a match in the folded text is a span of the original)."""
    lowered = text.lower()
    if len(lowered) != len(text):  # a character that lowers to two (U+0130): keep it
        lowered = "".join(c if len(c.lower()) != 1 else c.lower() for c in text)
    return lowered.translate(_SEPARATORS)


def identity_tokens(person: PersonIdentity) -> Iterator[tuple[str, TokenKind]]:
    """Every folded token naming `person`, with how it is replaced."""
    yield clean(person.user), TokenKind.PERSON
    for email in person.emails:
        yield clean(email), TokenKind.EMAIL
        local = email.partition("@")[0]
        if len(local) >= MIN_PART_TOKEN:
            yield clean(local), TokenKind.PERSON
    for name in person.names:
        for form in name_forms(name):
            yield form, TokenKind.PERSON
    for host in person.hosts:
        yield clean(host), TokenKind.HOST


def name_forms(name: str) -> tuple[str, ...]:
    """``calvin edan love``, ``calvin love``, ``love, calvin`` for ``Calvin Edan Love``."""
    parts = fold(name).replace(",", " ").split()
    if not parts:
        return ()
    if len(parts) == 1:
        return (parts[0],) if len(parts[0]) >= MIN_PART_TOKEN else ()
    first, last = parts[0], parts[-1]
    return tuple(dict.fromkeys((" ".join(parts), f"{first} {last}", f"{last}, {first}")))


def usable(token: str) -> bool:
    """A token worth looking for: it has a letter or digit and is no replacement word."""
    return token not in RESERVED and _ALNUM.search(token) is not None


def identities_from_rows(people: Iterable[Mapping[str, object]],
                         devices: Iterable[Mapping[str, object]] = ()
                         ) -> tuple[PersonIdentity, ...]:
    """Identities from rows of the lake's ``people`` (user, name, email; every history
    row) and ``devices`` (host, owner, shared) tables, sorted by user id."""
    names: dict[str, dict[str, None]] = {}
    emails: dict[str, dict[str, None]] = {}
    hosts: dict[str, dict[str, None]] = {}
    for row in people:
        user = _text(row.get("user"))
        if user is None:
            continue
        names.setdefault(user, {})
        emails.setdefault(user, {})
        for value, into in ((row.get("name"), names), (row.get("email"), emails)):
            text = _text(value)
            if text is not None:
                into[user][text] = None
    for row in devices:
        owner, host = _text(row.get("owner")), _text(row.get("host"))
        if owner in names and host is not None and not row.get("shared"):
            hosts.setdefault(owner, {})[host] = None
    return tuple(PersonIdentity(user, tuple(names[user]), tuple(emails[user]),
                                tuple(hosts.get(user, {})))
                 for user in sorted(names))


def clean(value: str) -> str:
    """`value` folded, with runs of separators read as one space, trimmed."""
    return " ".join(fold(value).split())


def _text(value: object) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None
