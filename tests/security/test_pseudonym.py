"""Pseudonyms and redaction: examples (the properties are in test_pseudonym_properties)."""

from __future__ import annotations

import re
import unicodedata
from collections import namedtuple
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path, PurePosixPath

import pytest
from pydantic import BaseModel

from watchkeeper.errors import NotFoundError
from watchkeeper.security import PersonIdentity, Pseudonymizer, identities_from_rows
from watchkeeper.security.pseudonym import AMBIGUOUS, assign

KEY = b"k" * 32
CALVIN = PersonIdentity("ACM2278", ("Calvin Edan Love",), ("Calvin.Edan.Love@dtaa.com",),
                        ("PC-6377",))
BOB = PersonIdentity("BOB0001", ("Bob Smith",), ("bob.smith@dtaa.com",))
FORM = re.compile(r"P-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}")


@pytest.fixture
def redactor() -> Pseudonymizer:
    return Pseudonymizer(KEY, [CALVIN, BOB])


def test_pseudonym_is_readable_keyed_and_not_a_bare_hash(redactor: Pseudonymizer) -> None:
    code = redactor.pseudonym("ACM2278")
    assert FORM.fullmatch(code)
    assert code != Pseudonymizer(b"x" * 32, [CALVIN]).pseudonym("ACM2278")
    assert redactor.reveal(code) == "ACM2278"


def test_every_identity_form_is_replaced(redactor: Pseudonymizer) -> None:
    p = redactor.pseudonym("ACM2278")
    text = ("Calvin Love <calvin.edan.love@DTAA.com> copied C:\\Users\\acm2278\\Desktop "
            "to /home/ACM2278/x on pc-6377.dtaa.com; Love, Calvin asked CALVIN_EDAN_LOVE")
    assert redactor.redact_text(text) == (
        f"{p} <{p}@redacted> copied C:\\Users\\{p}\\Desktop to /home/{p}/x on "
        f"host-of-{p}.dtaa.com; {p} asked {p}")


def test_matches_stop_at_word_boundaries(redactor: Pseudonymizer) -> None:
    text = "ACM22780 xACM2278 PC-63771 bob.smithson"
    assert redactor.redact_text(text) == text


def test_single_name_parts_are_kept(redactor: Pseudonymizer) -> None:
    """A lone first name or surname names nobody in particular and is a common word."""
    text = "Mark Love as reviewed; Smith & Calvin; Bob"
    assert redactor.redact_text(text) == text


def test_a_token_two_people_share_names_neither() -> None:
    twins = [PersonIdentity("U1", ("Alex Smith",)), PersonIdentity("U2", ("Alex Smith",))]
    redactor = Pseudonymizer(KEY, twins)
    assert redactor.redact_text("ask Alex Smith or U2") == (
        f"ask {AMBIGUOUS} or {redactor.pseudonym('U2')}")


def test_a_user_id_belongs_to_its_person_even_if_another_name_uses_it() -> None:
    people = [PersonIdentity("jones", ("Ann Jones",)), PersonIdentity("U2", ("Jones",))]
    redactor = Pseudonymizer(KEY, people)
    assert redactor.redact_text("jones") == redactor.pseudonym("jones")


def test_decomposed_accents_match_composed_names() -> None:
    redactor = Pseudonymizer(KEY, [PersonIdentity("U1", ("José Núñez",))])
    text = unicodedata.normalize("NFD", "met JOSÉ NÚÑEZ")
    assert redactor.redact_text(text) == f"met {redactor.pseudonym('U1')}"


def test_redacted_text_is_stable(redactor: Pseudonymizer) -> None:
    once = redactor.redact_text("Bob Smith mailed calvin.edan.love@dtaa.com from PC-6377")
    assert redactor.redact_text(once) == once


class Kind(StrEnum):
    NOTE = "ACM2278"  # an enum's value is vocabulary, not data


@dataclass(frozen=True)
class Row:
    who: str
    when: datetime
    tags: tuple[str, ...]
    kind: Kind


class Public(BaseModel):
    owner: str
    count: int


Pair = namedtuple("Pair", "left right")


def test_redact_walks_answers(redactor: Pseudonymizer) -> None:
    p = redactor.pseudonym("ACM2278")
    when = datetime(2024, 1, 1, tzinfo=UTC)
    answer = {
        "ACM2278": [Row("Calvin Love", when, ("bob.smith@dtaa.com",), Kind.NOTE)],
        "model": Public(owner="acm2278", count=3),
        "pair": Pair("PC-6377", None), "path": PurePosixPath("/home/ACM2278/a.txt"),
        "set": frozenset({"BOB0001"}), "n": 2.5,
    }
    out = redactor.redact(answer)
    b = redactor.pseudonym("BOB0001")
    assert out == {
        p: [Row(p, when, (f"{b}@redacted",), Kind.NOTE)],
        "model": Public(owner=p, count=3), "pair": Pair(f"host-of-{p}", None),
        "path": PurePosixPath(f"/home/{p}/a.txt"), "set": frozenset({b}), "n": 2.5,
    }
    assert answer["ACM2278"][0].who == "Calvin Love"  # the input is left alone


def test_redact_refuses_unknown_types(redactor: Pseudonymizer) -> None:
    with pytest.raises(TypeError, match="cannot redact a bytes"):
        redactor.redact({"raw": b"ACM2278"})


def test_reveal_accepts_redacted_forms_and_refuses_strangers(redactor: Pseudonymizer) -> None:
    p = redactor.pseudonym("BOB0001")
    assert redactor.reveal(f"host-of-{p.lower()}") == "BOB0001"
    assert redactor.reveal(f" {p}@redacted ") == "BOB0001"
    stranger = redactor.pseudonym("ZZZ9999")  # outside the population: a form, no reveal
    assert FORM.fullmatch(stranger)
    with pytest.raises(NotFoundError, match="nobody in this workspace"):
        redactor.reveal(stranger)
    with pytest.raises(NotFoundError):
        redactor.reveal(AMBIGUOUS)


def test_collisions_get_longer_forms_whatever_the_order() -> None:
    users = [f"U{i:05d}" for i in range(3000)]
    short = assign(KEY, users, length=4)  # 20 bits: 3,000 ids collide several times
    assert len(set(short.values())) == len(users)
    longer = [code for code in short.values() if len(code) > len("P-XXXX")]
    assert longer and all(re.fullmatch(r"P-\w{4}-\w{4}", c) for c in longer)
    assert assign(KEY, reversed(users), length=4) == short
    assert all(short[u][:6] == assign(KEY, [u], length=4)[u] for u in users)


def test_identities_from_lake_rows() -> None:
    people = [{"user": "U1", "name": "Ann Moss", "email": "ann@corp.example"},
              {"user": "U1", "name": "Ann Lee", "email": "ann.lee@corp.example"},
              {"user": "U2", "name": None, "email": None}, {"user": None}]
    devices = [{"host": "PC-1", "owner": "U1", "shared": False},
               {"host": "LAB-1", "owner": "U1", "shared": True},
               {"host": "PC-9", "owner": "GONE", "shared": False}]
    assert identities_from_rows(people, devices) == (
        PersonIdentity("U1", ("Ann Moss", "Ann Lee"),
                       ("ann@corp.example", "ann.lee@corp.example"), ("PC-1",)),
        PersonIdentity("U2"))


HR = ("id,name,email,department,team,role,manager,region,country,hire_date,notice_date,"
      "end_date,watchlists\n"
      "AAM0658,Ann Moss,ann.moss@corp.example,Finance,Payroll,Analyst,BOB0001,EU,DE,"
      "2019-03-01,,,\n"
      "BOB0001,Bob Ray,bob.ray@corp.example,Finance,Payroll,Lead,,EU,DE,2015-01-01,,,\n")
DEVICES = "host,owner,shared,region,office\nPC-1,AAM0658,false,EU,Berlin\nLAB-1,,True,US,\n"


def test_workspace_pseudonymizer_reads_people_and_devices(tmp_path: Path) -> None:
    from watchkeeper.workspace import Workspace
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "hr.csv").write_text(HR)
    (tmp_path / "in" / "devices.csv").write_text(DEVICES)
    ws = Workspace.open(tmp_path / "ws", create=True)
    ws.ingest([tmp_path / "in" / "hr.csv", tmp_path / "in" / "devices.csv"])
    redactor = ws.pseudonymizer()
    ann, bob = redactor.pseudonym("AAM0658"), redactor.pseudonym("BOB0001")
    text = "Ann Moss (ann.moss@corp.example) on PC-1 and LAB-1, manager BOB0001, Bob Ray"
    assert redactor.redact_text(text) == (
        f"{ann} ({ann}@redacted) on host-of-{ann} and LAB-1, manager {bob}, {bob}")
    assert (tmp_path / "ws" / "keys" / "pseudonym.key").stat().st_mode & 0o777 == 0o600
    assert Workspace.open(tmp_path / "ws").pseudonymizer().pseudonym("AAM0658") == ann
