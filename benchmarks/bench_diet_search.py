"""Benchmark: food search latency (target: median under 20 ms), beside rapidfuzz's own time.

Prints figures; asserts nothing about time (CI machines vary). Each figure is set against a
baseline measured in the same run:
- per query: `rlsiron.diet.search.search_foods` over realistic queries (misspellings, word
  order, plurals, a few that match nothing and take the "did you mean" path), median and p99,
  against a bare `rapidfuzz.process.extract(query, names, limit=10)` over the very same list of
  names (about 10,500: every SR28 description, common name and curated name), which is what any
  rapidfuzz-based search pays before it ranks anything;
- once per process: building the search index (reading the packaged SR28 table and
  normalising every name), against reading the table alone.

Run: .venv/bin/python -m benchmarks.bench_diet_search [--quick]
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable, Sequence

TARGET_MS = 20.0
QUERIES = (
    "lentils",
    "lentls cooked",
    "cooked lentils",
    "spinach raw",
    "raw spinich",
    "brocoli",
    "chicken breast",
    "grilled chicken",
    "salmon",
    "tuna canned",
    "beef mince",
    "whole wheat bread",
    "wholemeal bread",
    "brown rice",
    "oatmeal",
    "porridge",
    "greek yoghurt",
    "cheddar",
    "peanut butter",
    "almond milk",
    "oat milk",
    "orange juice",
    "strawberies",
    "sweet potatos",
    "kidney beans",
    "chickpeas",
    "tofu",
    "black tea",
    "coffee",
    "dark chocolate",
    "pumpkin seeds",
    "dried apricots",
    "hot dog",
    "xyzzy",
)


def _latencies(search: Callable[[str], object], queries: Sequence[str], rounds: int) -> list[float]:
    """Seconds per query, every query `rounds` times, interleaved."""
    times: list[float] = []
    for _ in range(rounds):
        for query in queries:
            start = time.perf_counter()
            search(query)
            times.append(time.perf_counter() - start)
    return times


def _p99(times: Sequence[float]) -> float:
    return statistics.quantiles(times, n=100)[98]


def _ours(query: str) -> object:
    from rlsiron.diet.search import no_match_error, search_foods

    found = search_foods(query, limit=10)
    return found or no_match_error(query)  # nothing found: the suggestions are part of the answer


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="fewer rounds (a smoke check)")
    args = parser.parse_args(argv)
    rounds = 5 if args.quick else 40

    from rapidfuzz import process

    from rlsiron.diet import search, sr28

    start = time.perf_counter()
    sr28.sr28_foods()
    table = time.perf_counter() - start
    start = time.perf_counter()
    index = search._index()
    build = time.perf_counter() - start + table
    names = list(index.names)

    _latencies(_ours, QUERIES, 1)  # warm the caches a long-running process keeps
    missing = [q for q in QUERIES if not search.search_foods(q, limit=1)]
    found = [q for q in QUERIES if q not in missing]
    rows = (
        ("search_foods, all queries", _latencies(_ours, QUERIES, rounds)),
        ("  found (word index)", _latencies(_ours, found, rounds)),
        ("  none: did you mean", _latencies(_ours, missing, rounds)),
        (
            "rapidfuzz extract (bare)",
            _latencies(lambda q: process.extract(q, names, limit=10), QUERIES, rounds),
        ),
    )
    print(
        f"food search ({len(QUERIES)} queries x {rounds} rounds, {len(missing)} with no match; "
        f"{len(names):,} names):"
    )
    for label, times in rows:
        med, p99 = statistics.median(times) * 1000, _p99(times) * 1000
        print(f"  {label:27} median {med:7.2f} ms   p99 {p99:7.2f} ms")
    ours, bare = statistics.median(rows[0][1]), statistics.median(rows[-1][1])
    verdict = "met" if ours * 1000 < TARGET_MS else "NOT met"
    print(
        f"  target: median < {TARGET_MS:g} ms ({verdict}); the bare extract, one WRatio pass "
        f"over the same names (baseline), takes {bare / ours:,.0f} x as long"
    )
    print("once per process:")
    print(f"  read sr28_foods.csv       {table * 1000:8.1f} ms   (baseline)")
    print(f"  + build the search index  {build * 1000:8.1f} ms   = {build / table:.1f} x baseline")


if __name__ == "__main__":
    main()
