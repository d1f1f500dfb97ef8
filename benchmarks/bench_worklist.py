"""Benchmark: a clinic's worklist with 10,000 linked patients under 50 concurrent clients.

Prints figures; asserts nothing about time (machines vary). The app runs as in
`bench_app` (its `server`: uvicorn, one process, SQLite in a new temporary data directory)
and the load is `bench_app`'s too (`run`: one httpx.AsyncClient, 50 connections, each
client sending its request back to back for a fixed time).

Seeding goes below the store's functions, for speed: 10,000 patients, their iron panels
(as the store reads a lab row: `LABS.columns`), some iron courses and diary weeks, and a
share each with one clinic are bulk-inserted into the store's tables in one transaction;
the clinician is `bench_app`'s account, a member of the clinic. Then the worklist's
standings are computed once through the code a view runs (`store.worklist.refresh_worklist`:
10,000 assessments, timed apart), as on a day three months ago, when the records last
changed; so the load measures what a clinic sees between changes: every view finds every
standing current and recomputes nothing, and the retests that fell due since are overdue
by the date alone.

Measured, each beside the trivial endpoint of the same app in the same run
(`GET /api/v1/session` without a session: routing, middleware, a problem answer):
- the worklist API, first page (25 patients, counts per flag);
- the worklist API filtered by a flag, a later page;
- the worklist page (`GET /clinic/{id}`, rendered).
Then each from one client at a time (a request's own time, no queue). Target: the
worklist's p99 under 150 ms with 50 clients, said met or NOT met.

Run: .venv/bin/python -m benchmarks.bench_worklist [--quick] [--seconds S] [--patients N]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from benchmarks.bench_app import (
    API,
    CLIENTS,
    EMAIL,
    PASSWORD,
    Scenario,
    _line,
    run,
    server,
    sign_in,
)

PATIENTS: Final = 10_000
CHANGED: Final = dt.timedelta(days=91)  # how long ago the records last changed
TARGET_P99: Final = 0.150  # seconds: the worklist's p99
CLINIC: Final = "Benchmark sleep clinic"


@dataclass(frozen=True)
class Seeded:
    organisation_id: int
    patients: int
    labs: int
    courses: int
    diary: int
    seconds: float  # the bulk inserts
    computed: int  # standings computed before the load
    computing: float  # seconds those took


# ---------------------------------------------------------------- the seeded clinic


def _panel(rng: random.Random, day: dt.date) -> tuple[dt.date, float, float]:
    """A draw date within two years before `day` (some older than a year: test first) and
    a ferritin (ug/L) and TSAT (%) spread over low, middle and high values."""
    drawn = day - dt.timedelta(days=rng.randint(8, 730))
    return drawn, float(rng.choice((12, 30, 60, 90, 140, 260, 450))), float(rng.randint(8, 55))


def seed(url: str, today: dt.date, patients: int) -> Seeded:
    """The clinic, its clinician and `patients` linked patients, bulk-inserted, with records
    up to `CHANGED` ago; then every standing computed once, as a view on that day would."""
    from argon2 import PasswordHasher
    from sqlalchemy import insert, select

    from rlsiron.core.models import DiaryEntry
    from rlsiron.store import (
        DIARY,
        IRON_COURSES,
        LABS,
        Database,
        IronCourseEntry,
        LabEntry,
        add_member,
        create_organisation,
        create_person,
        migrate,
    )
    from rlsiron.store import models as orm
    from rlsiron.store.worklist import refresh_worklist

    rng = random.Random(8)
    changed = today - CHANGED
    migrate(url)
    db = Database.open(url)
    try:
        started = time.perf_counter()
        clinic = create_organisation(db, CLINIC)
        clinician = create_person(db, EMAIL, PasswordHasher().hash(PASSWORD))
        add_member(db, clinic.id, clinician.id, "clinician")
        now = dt.datetime.now(dt.UTC)
        people = [_person(i, changed, rng) for i in range(patients)]
        with db.transaction() as session:
            session.execute(insert(orm.Person), people)
            ids = list(
                session.scalars(
                    select(orm.Person.id).where(orm.Person.email.like("patient-%@bench.example"))
                )
            )
            labs: list[dict[str, Any]] = []
            courses: list[dict[str, Any]] = []
            diary: list[dict[str, Any]] = []
            for person_id in ids:
                drawn, ferritin, tsat = _panel(rng, changed)
                for test, value, unit in (("ferritin", ferritin, "ug/L"), ("tsat", tsat, "%")):
                    entry = LabEntry(test=test, value=value, unit=unit, date=drawn)
                    labs.append({"person_id": person_id, **LABS.columns(entry)})
                if rng.random() < 0.2:  # an oral course or an infusion since the panel
                    route = rng.choice(("oral", "iv"))
                    course = IronCourseEntry(route=route, started=drawn + dt.timedelta(days=7))
                    courses.append({"person_id": person_id, **IRON_COURSES.columns(course)})
                if rng.random() < 0.1:  # two diary weeks, getting worse or better
                    for week, severity in enumerate(rng.sample(range(1, 10), 2)):
                        entry_ = DiaryEntry(
                            date=changed - dt.timedelta(weeks=2 - week),
                            nights_affected=5,
                            severity=severity,
                        )
                        diary.append({"person_id": person_id, **DIARY.columns(entry_)})
            session.execute(insert(orm.LabResult), labs)
            if courses:
                session.execute(insert(orm.IronCourse), courses)
            if diary:
                session.execute(insert(orm.SymptomEntry), diary)
            session.execute(
                insert(orm.Share),
                [{"person_id": p, "organisation_id": clinic.id, "created_at": now} for p in ids],
            )
        seeded = time.perf_counter() - started
        started = time.perf_counter()
        computed = refresh_worklist(db, clinic.id, changed)
        computing = time.perf_counter() - started
    finally:
        db.close()
    return Seeded(
        clinic.id, len(ids), len(labs), len(courses), len(diary), seeded, computed, computing
    )


def _person(index: int, day: dt.date, rng: random.Random) -> dict[str, Any]:
    """A patient's row; one in twenty has not given sex and birth date yet."""
    told = rng.random() >= 0.05
    born = day.replace(year=day.year - rng.randint(25, 80), day=1)
    return {
        "email": f"patient-{index}@bench.example",
        "password_hash": "not-a-hash: these patients never sign in",
        "revision": 1,
        "units": "conventional",
        "profile": "aasm-2024",
        "sex": rng.choice(("female", "male")) if told else None,
        "birth_date": born if told else None,
        "iron_symptoms": [],
    }


# ---------------------------------------------------------------- the run


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="shorter runs (a smoke check)")
    parser.add_argument("--seconds", type=float, help="seconds per endpoint (10; quick: 2)")
    parser.add_argument("--clients", type=int, default=CLIENTS, help="concurrent clients")
    parser.add_argument("--patients", type=int, default=PATIENTS, help="linked patients")
    args = parser.parse_args(argv)
    seconds = args.seconds or (2.0 if args.quick else 10.0)
    today = dt.date.today()

    with tempfile.TemporaryDirectory(prefix="rlsiron-bench-worklist-") as tmp:
        data_dir = Path(tmp)
        seeded = seed(str(data_dir / "rlsiron.db"), today, args.patients)
        clinic = seeded.organisation_id
        with server(data_dir) as base:
            session = sign_in(base)
            worklist = f"{API}/clinics/{clinic}/worklist"
            chosen = [
                Scenario("GET /api/v1/session, no session", "GET", f"{API}/session", 401, False),
                Scenario("GET worklist API, page 1", "GET", worklist, 200, True),
                Scenario(
                    "GET worklist API, one flag, page 3",
                    "GET",
                    f"{worklist}?flag=retest_overdue&page=3",
                    200,
                    True,
                ),
                Scenario(
                    "GET /clinic/{id} (the worklist page)", "GET", f"/clinic/{clinic}", 200, True
                ),
            ]
            results = [run(base, s, session, seconds, args.clients) for s in chosen]
            alone = [run(base, s, session, max(1.0, seconds / 2), 1) for s in chosen]

    print(
        f"the worklist under {args.clients} concurrent clients on loopback "
        f"(uvicorn, 1 process, SQLite; {seconds:g} s each; {os.cpu_count()} CPUs; "
        f"Python {sys.version.split()[0]}):"
    )
    print(
        f"  clinic: {seeded.patients:,} linked patients, {seeded.labs:,} lab results, "
        f"{seeded.courses:,} iron courses, {seeded.diary:,} diary weeks (bulk-inserted in "
        f"{seeded.seconds:.1f} s); {seeded.computed:,} standings computed once before the "
        f"load in {seeded.computing:.1f} s ({seeded.computing / max(seeded.computed, 1) * 1000:.2f}"
        " ms a patient)"
    )
    print(_line(results[0], None) + "   (baseline: trivial endpoint)")
    for result in results[1:]:
        print(_line(result, results[0]))
    print("one client at a time (each request's own time, no queue; same run):")
    print(_line(alone[0], None) + "   (baseline)")
    for result in alone[1:]:
        print(_line(result, alone[0]))
    for result in results[1:]:  # said as bench_app says the dashboard's
        p99 = result.percentile(99)
        met = "met" if p99 < TARGET_P99 else "NOT met"
        print(f"  target {result.scenario.name}: p99 < {TARGET_P99:.3f} s: {met} ({p99:.3f} s)")


if __name__ == "__main__":
    main()
