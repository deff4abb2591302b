"""Signing in and out of the dashboard: browser sessions of the case service's accounts,
HttpOnly SameSite=Strict cookies, a CSRF token on every form, and a page without a
session sends the browser to sign in."""

from __future__ import annotations

from sqlalchemy import func, select

from watchkeeper.store.models import BrowserSession
from web.conftest import Site
from web.world import PASSWORD, csrf_of_page, sign_in, signed_in


def sessions(site: Site) -> int:
    with site.workspace.state.session() as s:
        return int(s.scalar(select(func.count()).select_from(BrowserSession)) or 0)


def test_a_page_without_a_session_redirects_to_sign_in(site: Site) -> None:
    for path in ("/", "/alerts?severity=4", f"/alerts/{site.alerts.eu[0]}", "/cases", "/rules"):
        answer = site.client.get(path, follow_redirects=False)
        assert answer.status_code == 303
        assert answer.headers["location"].startswith("/login?next=%2F")
    htmx = site.client.get("/alerts", headers={"HX-Request": "true"}, follow_redirects=False)
    assert htmx.status_code == 401 and htmx.headers["hx-redirect"] == "/login"


def test_sign_in_sets_a_strict_http_only_cookie_and_follows_next(site: Site) -> None:
    answer = sign_in(site.client, "bob")
    assert answer.status_code == 303 and answer.headers["location"] == "/alerts"
    cookie = answer.headers["set-cookie"]
    assert cookie.startswith("wk_session=wks_")
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/" in cookie
    page = site.client.get("/alerts")
    assert page.status_code == 200 and "bob" in page.text
    policy = page.headers["content-security-policy"]
    assert "script-src 'self';" in policy and "unsafe-eval" not in policy
    assert page.headers["cache-control"] == "no-store"
    assert sessions(site) == 1


def test_a_wrong_password_and_an_unknown_name_get_the_same_answer(site: Site) -> None:
    wrong = sign_in(site.client, "bob", "not the password at all")
    nobody = sign_in(site.client, "nobody", PASSWORD)
    assert wrong.status_code == nobody.status_code == 401
    assert "sign-in failed" in wrong.text and "sign-in failed" in nobody.text
    assert "wk_session" not in wrong.headers.get("set-cookie", "")
    assert sessions(site) == 0


def test_sign_in_needs_the_login_form_token(site: Site) -> None:
    site.client.get("/login")
    forged = site.client.post("/login", data={"csrf": "guessed", "name": "bob",
                                              "password": PASSWORD}, follow_redirects=False)
    assert forged.status_code == 403 and "CSRF" in forged.text
    assert sessions(site) == 0


def test_next_is_followed_only_within_the_site(site: Site) -> None:
    token = csrf_of_page(site.client.get("/login").text)
    answer = site.client.post("/login", data={"csrf": token, "name": "bob",
                                              "password": PASSWORD,
                                              "next": "//evil.example/x"},
                              follow_redirects=False)
    assert answer.headers["location"] == "/"


def test_every_form_needs_the_session_csrf_token(site: Site) -> None:
    csrf = signed_in(site.client, "bob")
    alert = site.alerts.eu[0]
    for data in ({"action": "group", "alert": str(alert)},
                 {"action": "group", "alert": str(alert), "csrf": "0" * 64}):
        refused = site.client.post("/alerts/bulk", data=data, follow_redirects=False)
        assert refused.status_code == 403 and "CSRF" in refused.text
    other_site = site.client.post("/alerts/bulk", headers={"Origin": "http://evil.example"},
                                  data={"action": "group", "alert": str(alert), "csrf": csrf},
                                  follow_redirects=False)
    assert other_site.status_code == 403
    assert site.workspace.alert(alert).case_id is None     # nothing was done
    # the token is the session's: another session's token does not fit
    assert signed_in(site.client, "lee") != csrf


def test_sign_out_ends_the_session(site: Site) -> None:
    csrf = signed_in(site.client, "bob")
    secret = site.client.cookies.get("wk_session")
    assert secret is not None
    answer = site.client.post("/logout", data={"csrf": csrf}, follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"] == "/login"
    assert sessions(site) == 0
    site.client.cookies.set("wk_session", secret)      # the old cookie, replayed
    assert site.client.get("/alerts", follow_redirects=False).status_code == 303


def test_a_disabled_account_is_signed_out(site: Site) -> None:
    signed_in(site.client, "bob")
    site.workspace.accounts().users.set_disabled("bob")
    assert site.client.get("/alerts", follow_redirects=False).status_code == 303


def test_a_role_asked_for_a_page_it_may_not_open_lands_on_its_home(site: Site) -> None:
    """An auditor signing in with next=/alerts got a 403 page: it lands on the audit
    trail instead; a page it may open is still followed."""
    for target, landed in (("/alerts", "/audit"), ("/cases/1?hours=6", "/audit"),
                           ("/audit?action=x", "/audit?action=x")):
        site.client.cookies.clear()
        token = csrf_of_page(site.client.get("/login").text)
        done = site.client.post("/login", data={"csrf": token, "name": "audrey",
                                                "password": PASSWORD, "next": target},
                                follow_redirects=False)
        assert done.status_code == 303 and done.headers["location"] == landed, target
        assert site.client.get(landed).status_code == 200
    done = sign_in(site.client, "bob")                      # an analyst keeps next
    assert done.headers["location"] == "/alerts"
