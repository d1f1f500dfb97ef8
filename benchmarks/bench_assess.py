"""Benchmark: in-process assessments per second, and the CLI's cold start.

Prints figures; asserts nothing about time (CI machines vary). Each figure is set
against a baseline measured in the same run:
- throughput: the full assessment (validate + assess) against validation alone,
  the floor any pydantic-based engine pays; target >= 5,000 assessments/s on one core;
- cold start: `rlsiron assess FILE --format json` against `python -c pass`; target <= 8x.

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

REPO = Path(__file__).resolve().parents[1]
VIGNETTES = REPO.parent / "shared" / "clinical" / "vignettes.json"
THROUGHPUT_TARGET = 5_000.0
COLD_START_TARGET = 8.0


def _documents() -> list[dict[str, Any]]:
    cases = json.loads(VIGNETTES.read_text(encoding="utf-8"))["cases"]
    return [c["input"] for c in cases]


def _rate(work: Callable[[], int], seconds: float) -> float:
    """Items per second of `work` (which returns how many items it did), best of 5 runs."""
    best = 0.0
    for _ in range(5):
        done, start = 0, time.perf_counter()
        while (elapsed := time.perf_counter() - start) < seconds / 5:
            done += work()
        best = max(best, done / elapsed)
    return best


def throughput(seconds: float) -> tuple[float, float]:
    from rlsiron.core.assessment.assess import assess
    from rlsiron.core.validation import parse_input

    docs = _documents()

    def validate_only() -> int:
        for d in docs:
            parse_input(d)
        return len(docs)

    def full() -> int:
        for d in docs:
            assess(parse_input(d))
        return len(docs)

    full()  # warm caches (food table, unit table) once, as a long-running process would
    return _rate(validate_only, seconds), _rate(full, seconds)


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
    args = parser.parse_args(argv)
    seconds, runs = (1.0, 5) if args.quick else (5.0, 21)

    floor, rate = throughput(seconds)
    print(f"throughput (1 core, {len(_documents())} vignettes, best of 5):")
    print(f"  validation only (baseline)   {floor:10,.0f} /s")
    print(
        f"  validate + assess + plan     {rate:10,.0f} /s   "
        f"= {rate / floor:.2f} x baseline; target {THROUGHPUT_TARGET:,.0f}/s "
        f"({'met' if rate >= THROUGHPUT_TARGET else 'NOT met'})"
    )

    base, stack, as_json, as_text = cold_start(runs)
    print(f"cold start (median of {runs} runs):")
    print(f"  python -c pass (baseline)    {base * 1000:8.1f} ms")
    print(
        f"  typer + one pydantic model {stack * 1000:8.1f} ms   = {stack / base:.1f} x baseline "
        "(the libraries' floor)"
    )
    ratio = as_json / base
    print(
        f"  rlsiron assess --format json {as_json * 1000:8.1f} ms   = {ratio:.1f} x baseline; "
        f"target <= {COLD_START_TARGET:g} x ({'met' if ratio <= COLD_START_TARGET else 'NOT met'})"
    )
    print(
        f"  rlsiron assess (rich text)   {as_text * 1000:8.1f} ms   = {as_text / base:.1f} x baseline"
    )


if __name__ == "__main__":
    main()
