"""Benchmark: where one assessment's time goes, part by part.

Each part's cost is measured the only way that includes everything it pulls in: the full
assessment is timed, then timed again with that part replaced by an empty stand-in, in the
same run; the difference is the part's cost. Prints microseconds per assessment on the
vignettes (one core). Asserts nothing; use it to choose what to make faster.

Run: .venv/bin/python -m benchmarks.bench_parts
"""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import rlsiron.core.assessment.assess as engine
from rlsiron import parse_input

VIGNETTES = Path(__file__).resolve().parents[2] / "shared" / "clinical" / "vignettes.json"
ROUNDS = 300


def _cases() -> list[tuple[Any, dt.date]]:
    documents = [c["input"] for c in json.loads(VIGNETTES.read_text("utf-8"))["cases"]]
    return [(parse_input(d), dt.date.fromisoformat(d["as_of"])) for d in documents]


def _microseconds(cases: list[tuple[Any, dt.date]]) -> float:
    for inp, day in cases:  # warm the caches, as a long-running process would
        engine.assess(inp, as_of=day)
    start = time.perf_counter()
    for _ in range(ROUNDS):
        for inp, day in cases:
            engine.assess(inp, as_of=day)
    return (time.perf_counter() - start) / (ROUNDS * len(cases)) * 1e6


@contextmanager
def _without(name: str, stand_in: Callable[..., Any]) -> Iterator[None]:
    original = getattr(engine, name)
    setattr(engine, name, stand_in)
    try:
        yield
    finally:
        setattr(engine, name, original)


PARTS: dict[str, tuple[str, Callable[..., Any]]] = {
    "data-driven findings (findings.toml)": ("data_findings", lambda *_: iter(())),
    "findings raised by code": ("_code_findings", lambda *_: iter(())),
    "the plan": ("build_plan", lambda *_: None),
    "next tests": ("next_tests", lambda *_: ()),
}


def main() -> None:
    cases = _cases()
    full = _microseconds(cases)
    print(f"one assessment, parse excluded ({len(cases)} vignettes): {full:6.1f} µs")
    for label, (name, stand_in) in PARTS.items():
        with _without(name, stand_in):
            print(f"  {label:38} {full - _microseconds(cases):6.1f} µs")


if __name__ == "__main__":
    main()
