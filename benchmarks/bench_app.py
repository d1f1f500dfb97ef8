"""Benchmark: the personal app under 50 concurrent clients on loopback.

Prints figures; asserts nothing about time (CI machines vary). The app runs as `make run`
runs it (uvicorn, one process, SQLite in a data directory: here a new temporary one) in a
subprocess; a person with 10 years of monthly panels (ferritin, TSAT, iron, TIBC,
haemoglobin), an oral iron course and an infusion, IRLS scores and a fortnightly diary is
seeded through the store's functions, and signs in through the API. Then, each for a fixed
time under 50 concurrent clients (one httpx.AsyncClient, at most 50 connections):

- baseline: `GET /api/v1/session` without a session (401 problem details: routing, the
  middleware, the problem handler; no database), the floor of this app, this server and
  this load generator on this machine, measured in the same run;
- the dashboard's data: `GET /api/v1/me/assessment?as_of=today`, the assessment of the
  whole history, kept per person while nothing changes (web.standing); and the dashboard
  page (`GET /`), the same standing with its charts, rendered;
- the stateless `POST /api/v1/assessments` of the contract's example document.

Each line: requests per second, p50 and p99 latency (ms) and unexpected answers; then the
same requests from one client at a time, each request's own time without a queue (with
50 clients kept busy, a request waits for the ones ahead of it: p50 is about 50 / rate).
Target: dashboard p99 under 100 ms under the 50 clients, said met or NOT met.

Run: .venv/bin/python -m benchmarks.bench_app [--quick] [--seconds S] [--clients N]
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import math
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from importlib.resources import files
from pathlib import Path
from typing import Any, Final

import httpx

HOST: Final = "127.0.0.1"
API: Final = "/api/v1"
EMAIL: Final = "bench@example.org"
PASSWORD: Final = "ten years of monthly panels"
SECRET_KEY: Final = "bench-secret-key"
YEARS: Final = 10
CLIENTS: Final = 50
TARGET_P99: Final = 0.100  # seconds: the dashboard's p99
STARTUP_TIMEOUT: Final = 60.0


# ---------------------------------------------------------------- the seeded person


def _ferritin(month: int) -> float:
    """ng/mL: low, up on oral iron (years 3-4), down, up after an infusion (year 7), down."""
    if 36 <= month < 54:  # oral iron: a slow rise
        return 22 + 2.5 * (month - 36)
    if 54 <= month < 84:  # stopped: drifting back down
        return max(20.0, 67 - 1.6 * (month - 54))
    if month >= 84:  # infusion at month 84: a jump, then a slow fall
        return max(30.0, 260 * math.exp(-(month - 84) / 14))
    return 18 + 6 * math.sin(month / 5)


@dataclass(frozen=True)
class History:
    labs: int
    diary: int
    irls: int
    courses: int


def seed(url: str, today: dt.date) -> History:
    """The person and 10 years of records, through the store's functions (one transaction
    each batch); the password hashed as the app hashes it, so signing in needs no rehash."""
    from argon2 import PasswordHasher

    from rlsiron.core.models import DiaryEntry
    from rlsiron.store import (
        DIARY,
        IRLS,
        IRON_COURSES,
        MEDICINES,
        Database,
        IrlsEntry,
        IronCourseEntry,
        LabEntry,
        MedicineEntry,
        PersonFacts,
        add_labs,
        create_person,
        migrate,
        set_facts,
    )

    rng = random.Random(7)
    migrate(url)
    db = Database.open(url)
    try:
        person = create_person(db, EMAIL, PasswordHasher().hash(PASSWORD))
        start = today.replace(year=today.year - YEARS)
        set_facts(
            db,
            person.id,
            PersonFacts.model_validate(
                {
                    "sex": "female",
                    "birth_date": start.replace(year=start.year - 38).isoformat(),
                    "postmenopausal": False,
                    "diet": "vegetarian",
                    "rls_criteria": dict.fromkeys(
                        ("urge", "rest", "movement_relief", "evening", "not_mimic"), True
                    ),
                }
            ),
        )
        labs = []
        for month in range(YEARS * 12):
            day = start + dt.timedelta(days=round(month * 30.44) + 3)
            ferritin = _ferritin(month) * rng.uniform(0.9, 1.1)
            tibc = rng.uniform(330, 420) - ferritin * 0.3
            tsat = min(45.0, 9 + ferritin / 6) * rng.uniform(0.85, 1.15)
            iron = tibc * tsat / 100
            hemoglobin = 11.4 + ferritin / 120 + rng.uniform(-0.3, 0.3)
            for test, value, unit in (
                ("ferritin", round(ferritin), "ng/mL"),
                ("tsat", round(tsat), "%"),
                ("iron", round(iron), "ug/dL"),
                ("tibc", round(tibc), "ug/dL"),
                ("hemoglobin", round(hemoglobin, 1), "g/dL"),
            ):
                labs.append(LabEntry(test=test, value=value, unit=unit, date=day))
        add_labs(db, person.id, labs)
        courses = [
            IronCourseEntry(
                route="oral",
                product="ferrous sulfate 325 mg, alternate days",
                started=start + dt.timedelta(days=36 * 30),
                ended=start + dt.timedelta(days=54 * 30),
            ),
            IronCourseEntry(
                route="iv",
                product="ferric carboxymaltose 1000 mg",
                started=start + dt.timedelta(days=84 * 30),
            ),
        ]
        IRON_COURSES.add_all(db, person.id, courses)
        MEDICINES.add(db, person.id, MedicineEntry(text="sertraline 50 mg", started=start))
        diary = [
            DiaryEntry(
                date=start + dt.timedelta(weeks=2 * fortnight + 1),
                nights_affected=rng.randint(1, 7),
                severity=rng.randint(2, 8),
                sleep_quality=rng.randint(2, 8),
            )
            for fortnight in range(YEARS * 26)
        ]
        DIARY.add_all(db, person.id, diary)
        scores = [
            IrlsEntry(date=start + dt.timedelta(days=91 * q + 10), irls_total=rng.randint(10, 28))
            for q in range(YEARS * 4)
        ]
        IRLS.add_all(db, person.id, scores)
    finally:
        db.close()
    return History(labs=len(labs), diary=len(diary), irls=len(scores), courses=len(courses))


# ---------------------------------------------------------------- the server


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        port: int = probe.getsockname()[1]
        return port


@contextmanager
def server(data_dir: Path) -> Iterator[str]:
    """uvicorn serving the app from `data_dir` on loopback; its base URL while it runs."""
    port = _free_port()
    env = {**os.environ, "RLSIRON_DATA_DIR": str(data_dir), "RLSIRON_SECRET_KEY": SECRET_KEY}
    env.pop("DATABASE_URL", None)
    env.pop("RLSIRON_DATABASE_URL", None)
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        "--factory",
        "rlsiron.web.app:create_app",
        "--host",
        HOST,
        "--port",
        str(port),
        "--log-level",
        "warning",
        "--no-access-log",
    ]
    process = subprocess.Popen(command, env=env)
    base = f"http://{HOST}:{port}"
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"uvicorn exited with {process.returncode}")
            try:
                httpx.get(f"{base}{API}/openapi.json", timeout=1.0).raise_for_status()
                break
            except httpx.TransportError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


# ---------------------------------------------------------------- the load


@dataclass(frozen=True)
class Scenario:
    name: str
    method: str
    path: str
    expected: int
    signed_in: bool
    body: Any = None


@dataclass
class Result:
    scenario: Scenario
    seconds: float
    latencies: list[float] = field(default_factory=list)
    unexpected: dict[int | str, int] = field(default_factory=dict)

    @property
    def rate(self) -> float:
        return len(self.latencies) / self.seconds

    def percentile(self, p: int) -> float:
        if len(self.latencies) < 2:
            return self.latencies[0] if self.latencies else math.nan
        return statistics.quantiles(self.latencies, n=100, method="inclusive")[p - 1]


@dataclass(frozen=True)
class Session:
    cookies: dict[str, str]
    csrf: str


def sign_in(base: str) -> Session:
    response = httpx.post(
        f"{base}{API}/session", json={"email": EMAIL, "password": PASSWORD}, timeout=30
    )
    response.raise_for_status()
    return Session(cookies=dict(response.cookies), csrf=response.json()["csrf_token"])


async def _drive(
    base: str, scenario: Scenario, session: Session, seconds: float, clients: int
) -> Result:
    """`clients` tasks sending the scenario's request back to back for `seconds`."""
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    cookies = session.cookies if scenario.signed_in else None
    headers = {"X-CSRF-Token": session.csrf} if scenario.signed_in else {}
    content = None if scenario.body is None else json.dumps(scenario.body).encode("utf-8")
    if content is not None:
        headers["Content-Type"] = "application/json"
    result = Result(scenario, seconds)
    async with httpx.AsyncClient(
        base_url=base, limits=limits, cookies=cookies, headers=headers, timeout=30
    ) as client:

        async def one() -> None:
            start = time.perf_counter()
            try:
                response = await client.request(scenario.method, scenario.path, content=content)
                code: int | str = response.status_code
            except httpx.HTTPError as error:
                code = type(error).__name__
            result.latencies.append(time.perf_counter() - start)
            if code != scenario.expected:
                result.unexpected[code] = result.unexpected.get(code, 0) + 1

        async def worker(deadline: float) -> None:
            while time.perf_counter() < deadline:
                await one()

        # Warm up: every connection opened, the code paths run once.
        await asyncio.gather(*(one() for _ in range(clients)))
        result.latencies.clear()
        result.unexpected.clear()
        start = time.perf_counter()
        await asyncio.gather(*(worker(start + seconds) for _ in range(clients)))
        result.seconds = time.perf_counter() - start
    return result


def run(base: str, scenario: Scenario, session: Session, seconds: float, clients: int) -> Result:
    return asyncio.run(_drive(base, scenario, session, seconds, clients))


def _serves_the_page(base: str, path: str, session: Session) -> bool:
    response = httpx.get(f"{base}{path}", cookies=session.cookies, timeout=30)
    return response.status_code == 200 and "text/html" in response.headers.get("content-type", "")


# ---------------------------------------------------------------- the report


def _line(result: Result, baseline: Result | None) -> str:
    p50, p99 = result.percentile(50) * 1000, result.percentile(99) * 1000
    text = (
        f"  {result.scenario.name:<38} {result.rate:8,.0f} /s   "
        f"p50 {p50:7.1f} ms   p99 {p99:7.1f} ms"
    )
    if baseline is not None:
        text += f"   = {result.rate / baseline.rate:.2f} x baseline /s"
    if result.unexpected:
        text += f"   UNEXPECTED {result.unexpected}"
    return text


def _verdict(result: Result) -> str:
    p99 = result.percentile(99)
    met = "met" if p99 < TARGET_P99 else "NOT met"
    return (
        f"  target {result.scenario.name}: p99 < {TARGET_P99 * 1000:.0f} ms: {met} "
        f"({p99 * 1000:.1f} ms)"
    )


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="shorter runs (a smoke check)")
    parser.add_argument("--seconds", type=float, help="seconds per endpoint (10; quick: 2)")
    parser.add_argument("--clients", type=int, default=CLIENTS, help="concurrent clients")
    args = parser.parse_args(argv)
    seconds = args.seconds or (2.0 if args.quick else 10.0)
    today = dt.date.today()
    example = json.loads(files("rlsiron").joinpath("examples/demo.json").read_text("utf-8"))

    with tempfile.TemporaryDirectory(prefix="rlsiron-bench-") as tmp:
        data_dir = Path(tmp)
        started = time.perf_counter()
        history = seed(str(data_dir / "rlsiron.db"), today)
        seeded = time.perf_counter() - started
        with server(data_dir) as base:
            session = sign_in(base)
            baseline = Scenario(
                "GET /api/v1/session, no session", "GET", f"{API}/session", 401, False
            )
            dashboard = Scenario(
                "GET /api/v1/me/assessment (dashboard)",
                "GET",
                f"{API}/me/assessment?as_of={today.isoformat()}",
                200,
                True,
            )
            page = Scenario("GET / (the dashboard page)", "GET", "/", 200, True)
            stateless = Scenario(
                "POST /api/v1/assessments (example)",
                "POST",
                f"{API}/assessments",
                200,
                False,
                example,
            )
            has_page = _serves_the_page(base, page.path, session)
            chosen = [baseline, dashboard, *([page] if has_page else []), stateless]
            results = [run(base, s, session, seconds, args.clients) for s in chosen]
            alone = [run(base, s, session, max(1.0, seconds / 2), 1) for s in chosen]

    first = results[0]
    print(
        f"the app under {args.clients} concurrent clients on loopback "
        f"(uvicorn, 1 process, SQLite; {seconds:g} s each; {os.cpu_count()} CPUs; "
        f"Python {sys.version.split()[0]}):"
    )
    print(
        f"  history: {YEARS} years, {history.labs} lab results ({history.labs // 5} panels), "
        f"{history.diary} diary weeks, {history.irls} IRLS scores, {history.courses} iron "
        f"courses (seeded in {seeded:.1f} s)"
    )
    print(_line(first, None) + "   (baseline: trivial endpoint)")
    for result in results[1:]:
        print(_line(result, first))
    if not has_page:
        print("  GET / (the dashboard page): not measured (the app does not serve it)")
    print("one client at a time (each request's own time, no queue; same run):")
    print(_line(alone[0], None) + "   (baseline)")
    for result in alone[1:]:
        print(_line(result, alone[0]))
    for result in results[1:]:
        if "dashboard" in result.scenario.name:
            print(_verdict(result))


if __name__ == "__main__":
    main()
