"""Accounts: sign up, sign in (rate-limited), sessions (revoked, expiring), CSRF."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from fastapi import FastAPI

from rlsiron.web.cookies import csrf_token
from tests.web.conftest import PASSWORD, Clock, Visitor, make_app, problem


def test_signing_up_signs_in_with_a_cookie_no_script_can_read(app: FastAPI) -> None:
    visitor = Visitor(app)
    response = visitor.call(
        "POST", "/api/v1/accounts", json={"email": " Anna.Up@Example.org", "password": PASSWORD}
    )
    assert response.status_code == 201
    assert response.json()["person"]["email"] == "anna.up@example.org"
    cookie = response.headers["set-cookie"]
    assert cookie.startswith("rlsiron_session=")
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Secure" not in cookie
    assert visitor.call("GET", "/api/v1/me").json()["email"] == "anna.up@example.org"


def test_with_tls_the_cookie_is_secure_and_host_only(
    sqlite_url: str, tmp_path: Path, clock: Clock
) -> None:
    app = make_app(sqlite_url, tmp_path, clock, tls=True)
    response = Visitor(app).call(
        "POST", "/api/v1/accounts", json={"email": "tls@example.org", "password": PASSWORD}
    )
    cookie = response.headers["set-cookie"]
    assert cookie.startswith("__Host-rlsiron_session=") and "Secure" in cookie
    assert response.headers["strict-transport-security"].startswith("max-age=")


def test_a_short_password_is_refused_at_the_field_and_never_echoed(app: FastAPI) -> None:
    response = Visitor(app).call(
        "POST", "/api/v1/accounts", json={"email": "short@example.org", "password": "hunter2"}
    )
    (error,) = problem(response, 422)["errors"]
    assert error["location"] == "password" and "shorter" in error["message"]
    assert "hunter2" not in response.text


def test_a_request_that_does_not_fit_lists_every_field(app: FastAPI) -> None:
    response = Visitor(app).call("POST", "/api/v1/accounts", json={"password": 12})
    errors = {e["location"]: e for e in problem(response, 422)["errors"]}
    assert set(errors) == {"email", "password"}
    assert errors["email"]["message"] == "is required"
    assert "received" not in errors["password"]


def test_an_email_is_one_account_whatever_its_case(app: FastAPI) -> None:
    Visitor(app).sign_up("twice@example.org")
    response = Visitor(app).call(
        "POST", "/api/v1/accounts", json={"email": "TWICE@example.org", "password": PASSWORD}
    )
    (error,) = problem(response, 409)["errors"]
    assert error["location"] == "email"


def test_a_malformed_email_is_refused(app: FastAPI) -> None:
    response = Visitor(app).call(
        "POST", "/api/v1/accounts", json={"email": "not an email", "password": PASSWORD}
    )
    assert problem(response, 422)["errors"][0]["location"] == "email"


def test_signing_in_and_out(app: FastAPI) -> None:
    anna = Visitor(app).sign_up()
    browser = Visitor(app)
    response = browser.call(
        "POST", "/api/v1/session", json={"email": anna.email, "password": PASSWORD}
    )
    assert response.status_code == 200
    browser.csrf = response.json()["csrf_token"]
    assert browser.call("GET", "/api/v1/session").json()["csrf_token"] == browser.csrf
    stolen = browser.cookies.get("rlsiron_session")
    assert browser.call("DELETE", "/api/v1/session").status_code == 204
    assert "rlsiron_session" not in browser.cookies
    # The old token no longer signs anyone in: the session ended on the server.
    replay = Visitor(app, cookies=browser.cookies)
    replay.cookies.set("rlsiron_session", stolen or "", domain="rlsiron.test")
    problem(replay.call("GET", "/api/v1/me"), 401)
    assert anna.call("GET", "/api/v1/me").status_code == 200  # other browsers stay in


def test_a_wrong_password_and_an_unknown_email_answer_alike(app: FastAPI) -> None:
    anna = Visitor(app).sign_up()
    wrong = Visitor(app).call(
        "POST", "/api/v1/session", json={"email": anna.email, "password": "wrong" * 5}
    )
    unknown = Visitor(app).call(
        "POST", "/api/v1/session", json={"email": "nobody@example.org", "password": PASSWORD}
    )
    assert problem(wrong, 401) == problem(unknown, 401)
    assert "set-cookie" not in wrong.headers


def test_failed_sign_ins_are_limited_per_email(
    sqlite_url: str, tmp_path: Path, clock: Clock
) -> None:
    app = make_app(sqlite_url, tmp_path, clock, login_failures_per_email=2)
    anna = Visitor(app).sign_up()
    attempt = {"email": anna.email, "password": "not the password at all"}
    for _ in range(2):
        problem(Visitor(app).call("POST", "/api/v1/session", json=attempt), 401)
    clock.advance(dt.timedelta(minutes=10))
    right = {"email": anna.email, "password": PASSWORD}
    limited = Visitor(app).call("POST", "/api/v1/session", json=right)
    problem(limited, 429)
    assert int(limited.headers["retry-after"]) == 50 * 60  # the first failure ages out
    clock.advance(dt.timedelta(minutes=50))
    assert Visitor(app).call("POST", "/api/v1/session", json=right).status_code == 200


def test_failed_sign_ins_are_limited_per_client_address(
    sqlite_url: str, tmp_path: Path, clock: Clock
) -> None:
    app = make_app(sqlite_url, tmp_path, clock, login_failures_per_address=3)
    anna = Visitor(app).sign_up()
    for number in range(3):
        guess = {"email": f"guess{number}@example.org", "password": PASSWORD}
        problem(Visitor(app).call("POST", "/api/v1/session", json=guess), 401)
    right = {"email": anna.email, "password": PASSWORD}
    limited = Visitor(app).call("POST", "/api/v1/session", json=right)
    assert problem(limited, 429)["detail"].startswith("too many failed sign-ins")
    assert int(limited.headers["retry-after"]) > 0


def test_without_a_session_the_api_answers_401(app: FastAPI) -> None:
    stranger = Visitor(app)
    for method, path in [
        ("GET", "/api/v1/me"),
        ("GET", "/api/v1/me/labs"),
        ("POST", "/api/v1/me/labs"),
        ("DELETE", "/api/v1/me"),
    ]:
        assert problem(stranger.call(method, path), 401)["detail"] == "sign in first"
    stranger.cookies.set("rlsiron_session", "made-up", domain="rlsiron.test")
    problem(stranger.call("GET", "/api/v1/me"), 401)


def test_a_session_expires(app: FastAPI, clock: Clock) -> None:
    anna = Visitor(app).sign_up()
    clock.advance(dt.timedelta(weeks=2))
    problem(anna.call("GET", "/api/v1/me"), 401)


def test_a_change_without_the_csrf_token_is_refused(app: FastAPI) -> None:
    anna = Visitor(app).sign_up()
    token, anna.csrf = anna.csrf, None
    body = {"text": "ropinirole"}
    assert (
        "X-CSRF-Token"
        in problem(anna.call("POST", "/api/v1/me/medicines", json=body), 403)["detail"]
    )
    wrong = anna.call("POST", "/api/v1/me/medicines", json=body, headers={"X-CSRF-Token": "0" * 64})
    problem(wrong, 403)
    problem(anna.call("DELETE", "/api/v1/session"), 403)
    assert anna.call("GET", "/api/v1/me/medicines").json() == []  # reading needs no token
    anna.csrf = token
    assert anna.call("POST", "/api/v1/me/medicines", json=body).status_code == 201


def test_the_csrf_token_is_bound_to_the_session() -> None:
    assert csrf_token(b"key", "session one") != csrf_token(b"key", "session two")
    assert csrf_token(b"key", "session one") != csrf_token(b"other key", "session one")


def test_deleting_the_account_ends_every_session(app: FastAPI) -> None:
    anna = Visitor(app).sign_up()
    laptop = Visitor(app)
    laptop.csrf = laptop.call(
        "POST", "/api/v1/session", json={"email": anna.email, "password": PASSWORD}
    ).json()["csrf_token"]
    assert anna.call("DELETE", "/api/v1/me").status_code == 204
    problem(laptop.call("GET", "/api/v1/me"), 401)
    again = Visitor(app).call(
        "POST", "/api/v1/session", json={"email": anna.email, "password": PASSWORD}
    )
    problem(again, 401)
