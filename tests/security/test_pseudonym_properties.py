"""Properties: no identity token survives redaction; pseudonyms are stable per key.

The survival check is written here independently of the redactor: fold case, read
``. _ -`` and whitespace as a space, and look for each token between non-alphanumerics.
"""

from __future__ import annotations

import random

from hypothesis import given, settings
from hypothesis import strategies as st

from watchkeeper.security import PersonIdentity, Pseudonymizer

LETTERS = "abcdefghijklmnopqrstuvwxyzéñöå"
FILLER = LETTERS + "ABCXYZ0123456789 .,;:!?()[]{}<>/\\'\"@#%&*+=_-\n\t"
SEPARATORS = [" ", "\n", ", ", " (", ") ", "/", "\\", ": ", "; ", " <", "> ", '"', "'"]
KEYS = st.binary(min_size=32, max_size=32)

part = st.text(LETTERS, min_size=3, max_size=9).map(str.capitalize)
user_id = st.one_of(st.from_regex(r"[A-Z]{3}[0-9]{4}", fullmatch=True),
                    st.from_regex(r"[a-z]{4,8}[0-9]{1,2}", fullmatch=True))


@st.composite
def identity(draw: st.DrawFn) -> PersonIdentity:
    parts = draw(st.lists(part, min_size=2, max_size=3))
    local = draw(st.sampled_from([".", "_", ""])).join(p.lower() for p in parts)
    host = draw(st.from_regex(r"(PC|LT|WS)-[0-9]{3,5}", fullmatch=True))
    return PersonIdentity(draw(user_id), (" ".join(parts),), (f"{local}@corp.example",),
                          (host,))


def forms(person: PersonIdentity) -> list[str]:
    """Ways text carries this person: id, email, local part, names, host, home paths."""
    parts = person.names[0].split()
    email = person.emails[0]
    return [person.user, email, email.split("@")[0], " ".join(parts),
            f"{parts[0]}.{parts[-1]}", f"{parts[-1]}, {parts[0]}", "_".join(parts),
            person.hosts[0], f"C:\\Users\\{person.user}\\Desktop",
            f"/home/{email.split('@')[0]}/notes.txt"]


def tokens(person: PersonIdentity) -> set[str]:
    parts = [p.lower() for p in person.names[0].split()]
    email = person.emails[0].lower()
    found = {person.user.lower(), email, " ".join(parts), f"{parts[0]} {parts[-1]}",
             f"{parts[-1]}, {parts[0]}", person.hosts[0].lower()}
    if len(email.split("@")[0]) >= 3:
        found.add(email.split("@")[0])
    return {_fold(t) for t in found}


def _fold(text: str) -> str:
    return "".join(" " if c in "._-" or c.isspace() else c for c in text.lower())


def survivors(text: str, people: list[PersonIdentity]) -> list[str]:
    folded = _fold(text)
    left = []
    for person in people:
        for token in tokens(person):
            start = folded.find(token)
            while start >= 0:
                end = start + len(token)
                if not (start and folded[start - 1].isalnum()) and not (
                        end < len(folded) and folded[end].isalnum()):
                    left.append(token)
                start = folded.find(token, start + 1)
    return left


@st.composite
def document(draw: st.DrawFn) -> tuple[list[PersonIdentity], str]:
    people = draw(st.lists(identity(), min_size=1, max_size=6, unique_by=lambda p: p.user))
    rnd = draw(st.randoms(use_true_random=False))
    pieces = []
    for _ in range(draw(st.integers(1, 12))):
        pieces.append(draw(st.text(FILLER, max_size=30)))
        form = rnd.choice(forms(rnd.choice(people)))
        pieces.append(_shuffle_case(form, rnd))
    seps = [rnd.choice(SEPARATORS) for _ in pieces]
    return people, "".join(s + p for s, p in zip(seps, pieces, strict=True)) + rnd.choice(
        SEPARATORS)


def _shuffle_case(text: str, rnd: random.Random) -> str:
    style = rnd.choice(["upper", "lower", "same", "mixed"])
    if style == "mixed":
        return "".join(c.upper() if rnd.random() < 0.5 else c.lower() for c in text)
    return text.upper() if style == "upper" else text.lower() if style == "lower" else text


@settings(max_examples=300, deadline=None)
@given(document(), KEYS)
def test_no_identity_token_survives(doc: tuple[list[PersonIdentity], str], key: bytes) -> None:
    people, text = doc
    assert survivors(text, people), "the document embeds at least one identity"
    redacted = Pseudonymizer(key, people).redact_text(text)
    assert survivors(redacted, people) == []


@settings(max_examples=100, deadline=None)
@given(st.lists(user_id, min_size=1, max_size=40, unique=True), KEYS, KEYS)
def test_stable_per_key_different_across_keys(users: list[str], key: bytes,
                                             other: bytes) -> None:
    first = Pseudonymizer(key, [PersonIdentity(u) for u in users])
    again = Pseudonymizer(key, [PersonIdentity(u) for u in reversed(users)])
    assert [first.pseudonym(u) for u in users] == [again.pseudonym(u) for u in users]
    assert len({first.pseudonym(u) for u in users}) == len(users)
    assert all(first.reveal(first.pseudonym(u)) == u for u in users)
    if other != key:
        rekeyed = Pseudonymizer(other, [PersonIdentity(u) for u in users])
        assert all(rekeyed.pseudonym(u) != first.pseudonym(u) for u in users)
