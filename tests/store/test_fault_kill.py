"""The issue's fault test: `rlsiron serve` killed with SIGKILL in the middle of a stream of
writes, on SQLite and on PostgreSQL, loses no acknowledged write and half-writes nothing.

The server is the real command in its own process. Four clients, each signed up as its own
person, post lab results as fast as the server takes them; once enough have been
acknowledged (201), the server is killed without warning while writes are in flight. After
a restart on the same database:

- every acknowledged result is there, reading back as it was acknowledged (value, unit,
  date and the core's canonical reading);
- every stored result is whole: the engine's reading matches the value stored beside it;
- nothing appears that was not sent: at most one result per client beyond those
  acknowledged (the one in flight, committed before its answer was lost);
- each person's revision equals their number of results (a result and its revision move
  in one transaction), and SQLite's own integrity check passes.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import threading
import uuid
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from rlsiron.store import LABS, Database, find_account, revision
from tests.servers import free_port, wait_until_serving
from tests.store.conftest import BACKENDS, new_database
from tests.web.conftest import PASSWORD

CLIENTS = 4
ACKNOWLEDGED_BEFORE_KILL = 60


@dataclass
class Client:
    """One person posting results; what the server acknowledged, by record id."""

    base: str
    email: str = field(default_factory=lambda: f"{uuid.uuid4().hex}@example.org")
    cookies: httpx.Cookies = field(default_factory=httpx.Cookies)
    csrf: str = ""
    acknowledged: dict[int, dict[str, Any]] = field(default_factory=dict)
    refusals: list[str] = field(default_factory=list)

    def sign_up(self) -> None:
        with httpx.Client(base_url=self.base, timeout=30) as web:
            answer = web.post("/api/v1/accounts", json={"email": self.email, "password": PASSWORD})
            assert answer.status_code == 201, answer.text
            self.cookies, self.csrf = web.cookies, answer.json()["csrf_token"]

    def write_until_refused(self, counter: threading.Semaphore) -> None:
        headers = {"X-CSRF-Token": self.csrf}
        with httpx.Client(base_url=self.base, cookies=self.cookies, timeout=30) as web:
            for number in range(10_000):
                row = {
                    "test": "ferritin",
                    "value": 10 + number,
                    "unit": "ug/L",
                    "date": "2026-01-10",
                }
                try:
                    answer = web.post("/api/v1/me/labs", json=row, headers=headers)
                except httpx.TransportError:
                    return  # the server is gone: this write was never acknowledged
                if answer.status_code != 201:  # a thread's assert would go unseen
                    self.refusals.append(f"{answer.status_code} {answer.text}")
                    return
                record = answer.json()
                self.acknowledged[record["id"]] = record
                counter.release()

    def stored(self, base: str) -> dict[int, dict[str, Any]]:
        with httpx.Client(base_url=base, cookies=self.cookies, timeout=30) as web:
            answer = web.get("/api/v1/me/labs")
            assert answer.status_code == 200, answer.text
            return {record["id"]: record for record in answer.json()}


@contextmanager
def serving(data_dir: Path, env: dict[str, str]) -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    port = free_port()
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "rlsiron",
            "serve",
            "--data-dir",
            str(data_dir),
            "--port",
            str(port),
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        yield server, wait_until_serving(server, port, "/health")
    finally:
        if server.poll() is None:
            server.terminate()
            server.wait(timeout=10)


@pytest.mark.parametrize("backend", BACKENDS)
def test_sigkill_mid_stream_loses_no_acknowledged_write_and_half_writes_nothing(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    data_dir = tmp_path / "data"
    env = {**os.environ}
    env.pop("DATABASE_URL", None)
    with new_database(backend, tmp_path, request) as url:
        if backend == "postgresql":
            env["DATABASE_URL"] = url
        else:
            url = str(data_dir / "rlsiron.db")  # where serve keeps it
        with serving(data_dir, env) as (server, base):
            clients = [Client(base) for _ in range(CLIENTS)]
            for client in clients:
                client.sign_up()
            acknowledgements = threading.Semaphore(0)
            writers = [
                threading.Thread(target=client.write_until_refused, args=(acknowledgements,))
                for client in clients
            ]
            for writer in writers:
                writer.start()
            for _ in range(ACKNOWLEDGED_BEFORE_KILL):
                assert acknowledgements.acquire(timeout=30), "the writes stalled"
            os.kill(server.pid, signal.SIGKILL)
            server.wait(timeout=10)
            for writer in writers:
                writer.join(timeout=30)
        assert server.returncode == -signal.SIGKILL
        acknowledged = [len(client.acknowledged) for client in clients]
        assert sum(acknowledged) >= ACKNOWLEDGED_BEFORE_KILL, acknowledged

        with serving(data_dir, env) as (_, restarted):
            stored = [client.stored(restarted) for client in clients]

        db = Database.open(url)
        try:
            for client, rows in zip(clients, stored, strict=True):
                assert client.refusals == []
                for ident, acknowledged in client.acknowledged.items():
                    assert rows.get(ident) == acknowledged
                assert len(rows) - len(client.acknowledged) in (0, 1)
                for row in rows.values():
                    assert row["canonical"] == {
                        "test": "ferritin",
                        "value": float(row["value"]),
                        "qualifier": "=",
                        "unit": "ug/L",
                        "plausible": True,
                    }
                account = find_account(db, client.email)
                assert account is not None
                assert revision(db, account.id) == len(rows) == len(LABS.all(db, account.id))
        finally:
            db.close()
        if backend == "sqlite":
            with closing(sqlite3.connect(url)) as connection:
                assert connection.execute("PRAGMA integrity_check").fetchone() == ("ok",)
