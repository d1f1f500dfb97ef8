"""Benchmark: in-process assessments per second, and the CLI's cold start.

Prints figures; asserts nothing about time (CI machines vary). Each figure is set
against a baseline measured in the same run:
- throughput: the full assessment (validate + assess + plan) against validation alone,
  the floor any pydantic-based engine pays, and against the previous engine (Engine 1, the
  commit named by --previous, run from a copy of its source in a subprocess): Engine 2 may
  be at most 10 % slower; the batch path (plan=False) is shown beside it;
- cold start: `rlsiron assess FILE --format json` against `python -c pass`, and against the
  floor of its libraries (Typer plus one pydantic model).

Run: make bench   (or: .venv/bin/python -m benchmarks.bench_assess [--quick])
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from benchmarks import timing

REPO = Path(__file__).resolve().parents[1]
VIGNETTES = REPO.parent / "shared" / "clinical" / "vignettes.json"
# The last commit of Engine 1 (issue 2), whose throughput Engine 2 must stay within 10 % of.
PREVIOUS_ENGINE = "409ad2a"
ALLOWED_SLOWDOWN = 0.10


def _documents() -> list[dict[str, Any]]:
    cases = json.loads(VIGNETTES.read_text(encoding="utf-8"))["cases"]
    return [c["input"] for c in cases]


def _rate(work: Callable[[], int], seconds: float) -> float:
    return timing.rate(work, seconds, runs=5)


def throughput(seconds: float) -> tuple[float, float, float]:
    """(validation only, validate + assess + plan, validate + assess without the plan)."""
    import datetime as dt

    from rlsiron import assess, parse_input

    docs = _documents()
    days = [dt.date.fromisoformat(d["as_of"]) for d in docs]

    def validate_only() -> int:
        for d in docs:
            parse_input(d)
        return len(docs)

    def full() -> int:
        for d, day in zip(docs, days, strict=True):
            assess(parse_input(d), as_of=day)
        return len(docs)

    def batch() -> int:
        for d, day in zip(docs, days, strict=True):
            assess(parse_input(d), as_of=day, plan=False)
        return len(docs)

    full()  # warm caches (food table, unit table) once, as a long-running process would
    return _rate(validate_only, seconds), _rate(full, seconds), _rate(batch, seconds)


# Engine 1's API: assess(parse_input(document)) with as_of inside the document.
_PREVIOUS_SCRIPT = """
import json, sys, time
from rlsiron.core.assess import assess
from rlsiron.core.validation import parse_input
docs = [c["input"] for c in json.load(open(sys.argv[1]))["cases"]]
seconds = float(sys.argv[2])
for d in docs:
    assess(parse_input(d))
best = 0.0
for _ in range(5):
    done, start = 0, time.perf_counter()
    while (elapsed := time.perf_counter() - start) < seconds / 5:
        for d in docs:
            assess(parse_input(d))
        done += len(docs)
    best = max(best, done / elapsed)
print(best)
"""


def previous_engine(seconds: float, ref: str) -> float | None:
    """Engine 1's rate on the same documents, from a copy of its source; None if unavailable."""
    with tempfile.TemporaryDirectory() as tmp:
        archive = subprocess.run(
            ["git", "-C", str(REPO), "archive", ref, "src"], capture_output=True, check=False
        )
        if archive.returncode != 0:
            return None
        subprocess.run(["tar", "-x", "-C", tmp], input=archive.stdout, check=True)
        done = subprocess.run(
            [sys.executable, "-c", _PREVIOUS_SCRIPT, str(VIGNETTES), str(seconds)],
            capture_output=True,
            text=True,
            check=True,
            env={"PYTHONPATH": str(Path(tmp) / "src"), "PATH": "/usr/bin:/bin"},
        )
        return float(done.stdout.strip())


_STACK_FLOOR = (
    "import typer\nfrom pydantic import BaseModel\n"
    "class M(BaseModel):\n    x: int\nM.model_validate({'x': 1}).model_dump_json()"
)


def _median_wall(cmd: Sequence[str], runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def cold_start(runs: int) -> tuple[float, float, float, float]:
    script = Path(sys.executable).with_name("rlsiron")
    with tempfile.TemporaryDirectory() as tmp:
        doc = Path(tmp) / "labs.json"
        doc.write_text(json.dumps(_documents()[20]), encoding="utf-8")  # V21: SI units, converted
        _median_wall([str(script), "assess", str(doc), "--format", "json"], 2)  # warm the OS cache
        baseline = _median_wall([sys.executable, "-c", "pass"], runs)
        # The libraries' floor before any of our code: typer plus one pydantic model built and
        # used (the first model triggers pydantic's schema machinery, ~70 ms on its own).
        stack = _median_wall([sys.executable, "-c", _STACK_FLOOR], runs)
        as_json = _median_wall([str(script), "assess", str(doc), "--format", "json"], runs)
        as_text = _median_wall([str(script), "assess", str(doc)], runs)
    return baseline, stack, as_json, as_text


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="shorter runs (for a smoke check)")
    parser.add_argument("--previous", default=PREVIOUS_ENGINE, help="git ref of the old engine")
    args = parser.parse_args(argv)
    seconds, runs = (1.0, 5) if args.quick else (5.0, 21)

    floor, rate, batch = throughput(seconds)
    before = previous_engine(seconds, args.previous)
    print(f"throughput (1 core, {len(_documents())} vignettes, best of 5):")
    print(f"  validation only (baseline)   {floor:10,.0f} /s")
    if before is not None:
        print(f"  Engine 1 ({args.previous}), same run  {before:10,.0f} /s   (previous engine)")
    ratio = "" if before is None else f"= {rate / before:.2f} x Engine 1; "
    verdict = ""
    if before is not None:
        met = rate >= before * (1 - ALLOWED_SLOWDOWN)
        verdict = f"target >= {1 - ALLOWED_SLOWDOWN:.2f} x ({'met' if met else 'NOT met'})"
    print(f"  validate + assess + plan     {rate:10,.0f} /s   {ratio}{verdict}")
    print(f"  validate + assess, no plan   {batch:10,.0f} /s   (batch use: plan=False)")

    base, stack, as_json, as_text = cold_start(runs)
    print(f"cold start (median of {runs} runs):")
    print(f"  python -c pass (baseline)    {base * 1000:8.1f} ms")
    print(
        f"  typer + one pydantic model {stack * 1000:8.1f} ms   = {stack / base:.1f} x baseline "
        "(the libraries' floor)"
    )
    print(
        f"  rlsiron assess --format json {as_json * 1000:8.1f} ms   = {as_json / base:.1f} x "
        f"baseline, {as_json / stack:.2f} x the libraries' floor"
    )
    print(
        f"  rlsiron assess (rich text)   {as_text * 1000:8.1f} ms   = {as_text / base:.1f} x baseline"
    )


if __name__ == "__main__":
    main()
