"""Roles and scope (pure), the region filter on a real store, password hashing, and the
name, region and role parsers (property tests)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from helpers.state import alert
from watchkeeper.errors import AccountError
from watchkeeper.security import Principal, Role, scope
from watchkeeper.security.passwords import check_password, hash_password, verify_password
from watchkeeper.security.principals import check_name, check_region, parse_role
from watchkeeper.security.roles import Permission, allowed
from watchkeeper.store import StateStore, StoreLocation, check_url
from watchkeeper.store.models import Alert


def who(role: Role, teams: tuple[str, ...] = (), regions: tuple[str, ...] = ()) -> Principal:
    return Principal(1, "x", role, teams, regions)


def test_scope_by_role_and_team() -> None:
    eu = scope(who(Role.ANALYST, ("soc-eu",), ("eu",)))
    assert eu.allows("eu") and eu.allows("EU") and eu.allows(None)
    assert not eu.allows("us")
    lead = scope(who(Role.LEAD, ("soc-us",), ("us",)))
    assert lead.allows("us") and not lead.allows("eu")
    alone = scope(who(Role.ANALYST))
    assert not alone.allows("eu") and not alone.allows(None)
    everywhere = scope(who(Role.ANALYST, ("global",), ("*",)))
    assert everywhere.allows("anything") and everywhere.allows(None)
    admin = scope(who(Role.ADMIN))
    assert admin.allows("eu") and admin.allows(None)
    for role in (Role.AUDITOR, Role.SERVICE):
        seen = scope(who(role, ("global",), ("*",)))
        assert not seen.case_content and not seen.allows("eu") and not seen.allows(None)


def test_permissions() -> None:
    assert allowed(Role.ADMIN, Permission.MANAGE_ACCOUNTS)
    assert not allowed(Role.LEAD, Permission.MANAGE_ACCOUNTS)
    assert allowed(Role.AUDITOR, Permission.READ_AUDIT)
    assert not allowed(Role.AUDITOR, Permission.READ_CASES)
    assert [p for p in Permission if allowed(Role.SERVICE, p)] == [
        Permission.SUBMIT_ALERTS, Permission.SUBMIT_EVENTS, Permission.AUTHORIZE]
    assert [r for r in Role if allowed(r, Permission.SUBMIT_EVENTS)] == [Role.ADMIN,
                                                                        Role.SERVICE]
    assert [r for r in Role if allowed(r, Permission.READ_JOBS)] == [Role.LEAD, Role.ADMIN]
    assert allowed(Role.LEAD, Permission.REVEAL) and not allowed(Role.ANALYST, Permission.REVEAL)


def test_scope_clause_filters_alerts_by_region(tmp_path: Path) -> None:
    store = StateStore.open(StoreLocation(check_url(f"sqlite:///{tmp_path / 's.db'}"), "t"))
    try:
        with store.session() as s:
            s.add_all(alert(i, region=r) for i, r in enumerate(["EU", "eu", "US", None]))
        cases = {Role.ANALYST: {"ref-0", "ref-1", "ref-3"}, Role.ADMIN: {f"ref-{i}"
                                                                        for i in range(4)},
                 Role.AUDITOR: set()}
        for role, expected in cases.items():
            seen = scope(who(role, ("soc-eu",), ("eu",)))
            with store.session() as s:
                got = set(s.scalars(select(Alert.source_ref)
                                    .where(seen.clause(Alert.region))))
            assert got == expected, role
    finally:
        store.close()


@settings(max_examples=15, deadline=None)
@given(st.text(min_size=12, max_size=40), st.text(min_size=1, max_size=40))
def test_a_hash_verifies_its_password_only(password: str, other: str) -> None:
    stored = hash_password(password)
    assert verify_password(password, stored)
    assert verify_password(other, stored) == (other == password)
    assert hash_password(password) != stored


@pytest.mark.parametrize("stored", [None, "", "bcrypt$x", "scrypt$1$2", "scrypt$a$b$c$d$e"])
def test_foreign_or_damaged_hashes_never_verify(stored: str | None) -> None:
    assert not verify_password("whatever password", stored)


def test_password_rules_never_repeat_the_password() -> None:
    for bad in ("tiny pw1", "x" * 2000):
        with pytest.raises(AccountError) as caught:
            check_password(bad, "alice")
        assert bad not in str(caught.value) and caught.value.field == "password"
    check_password("twelve chars", "alice")


NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@+-]{0,99}")


@given(st.text(max_size=120))
def test_check_name_accepts_exactly_the_documented_names(value: str) -> None:
    try:
        name = check_name(value)
    except AccountError as exc:
        assert exc.field == "name" and "\n" not in str(exc).replace(repr(value), "")
        assert not NAME.fullmatch(value.strip())
    else:
        assert NAME.fullmatch(name) and name == value.strip()


@given(st.text(max_size=40))
def test_check_region_lowercases_or_refuses(value: str) -> None:
    try:
        region = check_region(value)
    except AccountError as exc:
        assert exc.field == "regions"
    else:
        assert region == value.strip().casefold()
        assert region == "*" or re.fullmatch(r"[a-z0-9][a-z0-9._-]*", region)


@given(st.text(max_size=20))
def test_parse_role_knows_the_five_roles(value: str) -> None:
    try:
        role = parse_role(value)
    except AccountError as exc:
        assert exc.field == "role" and "analyst, lead, admin, auditor, service" in str(exc)
    else:
        assert role.value == value.strip().casefold()
