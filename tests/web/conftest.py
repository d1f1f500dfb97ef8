"""The web app in-process (httpx's ASGI transport), on SQLite and on a real PostgreSQL.

Each backend's database is made and migrated once per session and shared; tests keep apart
by person (every test signs up its own people, as the app's users are apart). Each test gets
its own app (its own rate-limit counts and clock) on that database. The clock is injected:
`TODAY`, and a `Clock` a test can move on. Passwords are hashed with argon2's cheapest
parameters: the hashing itself is argon2-cffi's, tested there.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest
from argon2 import PasswordHasher, profiles
from fastapi import FastAPI

from rlsiron.web.app import create_app
from rlsiron.web.settings import Settings
from tests.store.conftest import new_database, postgres_server

__all__ = ["postgres_server"]

TODAY = dt.date(2026, 3, 1)
PASSWORD = "correct horse battery staple"
FACTS = {"sex": "female", "birth_date": "1980-05-01"}
FERRITIN = {"test": "ferritin", "value": 30, "unit": "ug/L", "date": "2026-01-10"}
TSAT = {"test": "tsat", "value": 15, "unit": "%", "date": "2026-01-10"}
BACKENDS = ("sqlite", "postgresql")


@dataclass
class Clock:
    now: dt.datetime = dt.datetime(2026, 3, 1, 9, tzinfo=dt.UTC)

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, delta: dt.timedelta) -> None:
        self.now += delta


@dataclass
class Visitor:
    """One browser: its cookies, and the CSRF token it was last given."""

    app: FastAPI
    cookies: httpx.Cookies = field(default_factory=httpx.Cookies)
    csrf: str | None = None
    email: str = ""

    def call(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        headers = dict(kwargs.pop("headers", {}))
        if self.csrf is not None:
            headers.setdefault("X-CSRF-Token", self.csrf)

        async def exchange() -> httpx.Response:
            transport = httpx.ASGITransport(app=self.app)
            async with httpx.AsyncClient(
                transport=transport, base_url="http://rlsiron.test", cookies=self.cookies
            ) as client:
                response = await client.request(method, path, headers=headers, **kwargs)
                self.cookies = client.cookies
                return response

        return anyio.run(exchange)

    def sign_up(self, email: str | None = None) -> Visitor:
        self.email = email or f"{uuid.uuid4().hex}@example.org"
        response = self.call(
            "POST", "/api/v1/accounts", json={"email": self.email, "password": PASSWORD}
        )
        assert response.status_code == 201, response.text
        self.csrf = response.json()["csrf_token"]
        return self


def make_app(url: str, directory: Path, clock: Clock, **settings: Any) -> FastAPI:
    chosen = Settings(data_dir=directory, database_url=url, secret_key="test-key", **settings)
    cheap = PasswordHasher.from_parameters(profiles.CHEAPEST)
    return create_app(chosen, today=lambda: TODAY, now=clock, hasher=cheap)


def problem(response: httpx.Response, status: int) -> dict[str, Any]:
    """The problem details body, checked for its media type and the RFC 9457 members."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    assert body["status"] == status and body["type"] == "about:blank" and body["title"]
    return body


@pytest.fixture(scope="session", params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    name: str = request.param
    return name


def _database(
    backend: str, factory: pytest.TempPathFactory, request: pytest.FixtureRequest
) -> Iterator[str]:
    with new_database(backend, factory.mktemp("web"), request) as url:
        yield url


@pytest.fixture(scope="session")
def any_url(
    backend: str, tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest
) -> Iterator[str]:
    """A database of each backend, shared by the session's tests."""
    yield from _database(backend, tmp_path_factory, request)


@pytest.fixture(scope="session")
def sqlite_url(
    tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest
) -> Iterator[str]:
    yield from _database("sqlite", tmp_path_factory, request)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def app(sqlite_url: str, tmp_path: Path, clock: Clock) -> Iterator[FastAPI]:
    """The app on SQLite."""
    built = make_app(sqlite_url, tmp_path, clock)
    yield built
    built.state.rlsiron.db.close()


@pytest.fixture
def any_app(any_url: str, tmp_path: Path, clock: Clock) -> Iterator[FastAPI]:
    """The app on each backend."""
    built = make_app(any_url, tmp_path, clock)
    yield built
    built.state.rlsiron.db.close()


@pytest.fixture
def anna(app: FastAPI) -> Visitor:
    """A signed-up person with the facts an assessment needs."""
    visitor = Visitor(app).sign_up()
    assert visitor.call("PUT", "/api/v1/me/facts", json=FACTS).status_code == 200
    return visitor
