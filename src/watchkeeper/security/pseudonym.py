"""Stable pseudonyms for the people under watch, and redaction of every answer.

A pseudonym is ``P-`` and 8 Crockford base32 characters in groups of four
(``P-7KQ2-M9XD``): the first 40 bits of HMAC-SHA256 over the user id, keyed with the
workspace's pseudonym key (`watchkeeper.security.keys`). Keyed, so that whoever holds an
export but not the key cannot hash candidate ids and match them; stable, so that the same
person reads the same way in every answer, export and session of one workspace. Crockford's
alphabet has no I, L, O or U, so a pseudonym read aloud or retyped survives.

Two people of one population whose 40-bit forms collide (odds about n²/2⁴¹: 1 in 200 for
100,000 people) are told apart by length: the one whose full HMAC is lower keeps the short
form, the other gets 12 characters (``P-7KQ2-M9XD-4HNB``), and so on. The assignment
depends on the key and the set of ids only, never on the order they came in; adding a
person changes someone else's pseudonym only in that collision case.

`Pseudonymizer.redact_text` replaces every identity token of `watchkeeper.security.identity`
in one pass of one Aho-Corasick automaton over the case-folded text: a person's id, name
and email local part become their pseudonym, an email ``P-7KQ2-M9XD@redacted``, an owned
machine ``host-of-P-7KQ2-M9XD``. Overlapping matches resolve leftmost-longest, so
``calvin.love@dtaa.com`` is replaced whole rather than as a local part. A token two people
share (two Alex Smiths) names neither for sure and becomes ``P-REDACTED``; a user id always
belongs to its own person. Redacted text is in Unicode NFC.
"""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from datetime import date, time, timedelta
from decimal import Decimal
from enum import Enum
from pathlib import PurePath
from typing import Any, TypeVar, cast
from uuid import UUID

import ahocorasick
from pydantic import BaseModel

from watchkeeper.errors import NotFoundError
from watchkeeper.security.identity import (
    PersonIdentity,
    TokenKind,
    clean,
    fold_aligned,
    identities_from_rows,
    identity_tokens,
    normalize,
    usable,
)

T = TypeVar("T")

PREFIX = "P-"
AMBIGUOUS = "P-REDACTED"
SHORT_LENGTH = 8
_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford base32
_DOMAIN = b"watchkeeper.pseudonym.v1\x00"
_PSEUDONYM = re.compile(r"P-[0-9A-Z]{4}(?:-[0-9A-Z]{4})+")
_SCALARS = (int, float, complex, type(None), date, time, timedelta, Decimal, UUID, Enum)


def pseudonym_digest(key: bytes, user: str) -> bytes:
    return hmac.new(key, _DOMAIN + user.encode("utf-8"), hashlib.sha256).digest()


def encode(digest: bytes, length: int = SHORT_LENGTH) -> str:
    """``P-`` and the first `length` base32 characters of `digest`, in groups of 4."""
    number = int.from_bytes(digest, "big")
    bits = len(digest) * 8
    chars = [_ALPHABET[(number >> (bits - 5 * (i + 1))) & 31] for i in range(length)]
    return PREFIX + "-".join("".join(chars[i:i + 4]) for i in range(0, length, 4))


def assign(key: bytes, users: Iterable[str], length: int = SHORT_LENGTH) -> dict[str, str]:
    """Each user's pseudonym, collision-free within `users` (`length`: of the short form)."""
    digests = {user: pseudonym_digest(key, user) for user in set(users)}
    pending = sorted(digests, key=digests.__getitem__)
    result: dict[str, str] = {}
    while pending:
        groups: dict[str, list[str]] = defaultdict(list)
        for user in pending:
            groups[encode(digests[user], length)].append(user)
        pending = []
        for code, members in groups.items():
            result[members[0]] = code  # members are in digest order: the lowest keeps it
            pending.extend(members[1:])
        length += 4
    return result


class Pseudonymizer:
    """Pseudonyms and redaction for one population under one key."""

    def __init__(self, key: bytes, people: Iterable[PersonIdentity]) -> None:
        self._key = key
        self._people: dict[str, PersonIdentity] = {}
        for person in people:
            self._people[person.user] = _merge(self._people.get(person.user), person)
        self._by_user = assign(key, self._people)
        self._by_pseudonym = {code: user for user, code in self._by_user.items()}
        self._automaton, self._armed = self._build()

    @classmethod
    def from_rows(cls, key: bytes, people: Iterable[Mapping[str, object]],
                  devices: Iterable[Mapping[str, object]] = ()) -> Pseudonymizer:
        """From rows of the lake's ``people`` and ``devices`` tables."""
        return cls(key, identities_from_rows(people, devices))

    def __repr__(self) -> str:
        return f"Pseudonymizer({len(self._people)} people)"

    def __len__(self) -> int:
        return len(self._people)

    def pseudonym(self, user: str) -> str:
        """`user`'s pseudonym. A user outside the population gets the short form, which
        cannot be revealed (`reveal` knows the population only)."""
        known = self._by_user.get(user)
        return known if known is not None else encode(pseudonym_digest(self._key, user))

    def reveal(self, pseudonym: str) -> str:
        """The user id behind a pseudonym (also inside ``…@redacted``, ``host-of-…``)."""
        found = _PSEUDONYM.search(pseudonym.strip().upper())
        user = self._by_pseudonym.get(found.group(0)) if found else None
        if user is None:
            raise NotFoundError(f"pseudonym {pseudonym!r}: nobody in this workspace has it")
        return user

    def redact_text(self, text: str) -> str:
        """`text` with every identity token replaced (see the module docstring)."""
        if not self._armed or not text:
            return text
        text = normalize(text)
        folded = fold_aligned(text)
        spans: list[tuple[int, int, str]] = []
        size = len(folded)
        for end, (length, replacement) in self._automaton.iter(folded):
            start, stop = end - length + 1, end + 1
            if (start > 0 and folded[start - 1].isalnum()) or (
                    stop < size and folded[stop].isalnum()):
                continue
            spans.append((start, stop, replacement))
        if not spans:
            return text
        spans.sort(key=lambda span: (span[0], -span[1]))
        out: list[str] = []
        position = 0
        for start, stop, replacement in spans:
            if start >= position:
                out += (text[position:start], replacement)
                position = stop
        out.append(text[position:])
        return "".join(out)

    def redact(self, value: T) -> T:
        """`value` with every string in it redacted: dicts (keys too), lists, tuples,
        sets, dataclasses, pydantic models and paths are rebuilt; numbers, dates, enums
        and None pass through. Any other type is refused (TypeError), so nothing reaches
        an answer unredacted by being of a kind this walk does not know."""
        return cast(T, self._walk(value))

    def _walk(self, value: Any) -> Any:
        if isinstance(value, _SCALARS):
            return value
        if isinstance(value, str):
            return self.redact_text(value)
        if isinstance(value, Mapping):
            return {self._walk(k): self._walk(v) for k, v in value.items()}
        if isinstance(value, tuple) and hasattr(value, "_fields"):
            return type(value)(*(self._walk(v) for v in value))
        if isinstance(value, list | tuple | set | frozenset):
            return type(value)(self._walk(v) for v in value)
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            changes = {f.name: self._walk(getattr(value, f.name))
                       for f in dataclasses.fields(value) if f.init}
            return dataclasses.replace(value, **changes)
        if isinstance(value, BaseModel):
            return value.model_copy(update={name: self._walk(getattr(value, name))
                                            for name in type(value).model_fields})
        if isinstance(value, PurePath):
            return type(value)(self.redact_text(str(value)))
        raise TypeError(f"cannot redact a {type(value).__name__}")

    def _build(self) -> tuple[Any, bool]:
        owners: dict[str, list[tuple[str, TokenKind, bool]]] = defaultdict(list)
        for person in self._people.values():
            own_id = clean(person.user)
            for token, kind in identity_tokens(person):
                if usable(token):
                    owners[token].append((person.user, kind, token == own_id))
        automaton = ahocorasick.Automaton(ahocorasick.STORE_ANY)
        for token, claims in owners.items():
            automaton.add_word(token, (len(token), self._replacement(claims)))
        if not owners:
            return automaton, False
        automaton.make_automaton()
        return automaton, True

    def _replacement(self, claims: list[tuple[str, TokenKind, bool]]) -> str:
        if len(claims) == 1:
            return _form(self._by_user[claims[0][0]], {claims[0][1]})
        by_id = {user for user, _, is_id in claims if is_id}
        users = by_id or {user for user, _, _ in claims}
        if len(users) != 1:
            return AMBIGUOUS
        user = users.pop()
        return _form(self._by_user[user], {kind for owner, kind, _ in claims if owner == user})


def _form(code: str, kinds: set[TokenKind]) -> str:
    """How a token of these kinds is replaced: an email, the pseudonym, or a host."""
    if TokenKind.EMAIL in kinds:
        return f"{code}@redacted"
    if TokenKind.PERSON in kinds:
        return code
    return f"host-of-{code}"


def _merge(old: PersonIdentity | None, new: PersonIdentity) -> PersonIdentity:
    if old is None:
        return new
    return PersonIdentity(
        new.user, tuple(dict.fromkeys((*old.names, *new.names))),
        tuple(dict.fromkeys((*old.emails, *new.emails))),
        tuple(dict.fromkeys((*old.hosts, *new.hosts))))
