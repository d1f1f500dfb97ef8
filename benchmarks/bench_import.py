"""Benchmark: the importers against the bare parse of the same file by their library.

Prints figures; asserts nothing about time. Each importer is set against its floor,
measured in the same run on the same file (the ratio is the result; target <= 2 x):
- FHIR: a 5 MB R4 bundle (a real Synthea bundle, its entries repeated with new ids up to
  5 MB), bundles per second; floor `json.loads` + fhir.resources' R4B Bundle validation;
- CSV: 100,000 result rows of one person, rows per second; floor: the csv module reading
  every row;
- PDF: lab reports rendered by the tests' generator, pages per second; floor: pdfplumber's
  `extract_text` of every page.
Peak memory of each import (a fresh process each, max RSS above the process's RSS after
imports) is set against the file's size (target < 10 x).

Run: .venv/bin/python -m benchmarks.bench_import [--quick]
"""

from __future__ import annotations

import argparse
import copy
import csv
import datetime as dt
import io
import json
import subprocess
import sys
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from benchmarks import timing

REPO = Path(__file__).resolve().parents[1]
SYNTHEA = REPO.parent / "shared" / "data" / "fhir" / "synthea-r4"
FHIR_BYTES = 5_000_000
CSV_ROWS = 100_000


def _rate(work: Callable[[], int], seconds: float) -> float:
    return timing.rate(work, seconds, runs=3)


def fhir_bundle(path: Path) -> None:
    """A 5 MB R4 bundle of one person: a Synthea bundle's Observations repeated with new ids."""
    source = max(SYNTHEA.glob("*.json"), key=lambda p: p.stat().st_size)
    bundle: dict[str, Any] = json.loads(source.read_text(encoding="utf-8"))
    observations = [e for e in bundle["entry"] if e["resource"]["resourceType"] == "Observation"]
    copies = 0
    while len(json.dumps(bundle)) < FHIR_BYTES:
        copies += 1
        for entry in observations:
            extra = copy.deepcopy(entry)
            extra["fullUrl"] = f"{entry['fullUrl']}-{copies}"
            extra["resource"]["id"] = f"{entry['resource'].get('id', 'obs')}-{copies}"
            bundle["entry"].append(extra)
    path.write_text(json.dumps(bundle), encoding="utf-8")


def csv_file(path: Path) -> None:
    """100,000 rows: an iron panel and a blood count every day, going back in time."""
    tests = [
        ("ferritin", "ng/mL", 38),
        ("tsat", "%", 18),
        ("hemoglobin", "g/dL", 12.1),
        ("iron", "ug/dL", 60),
        ("tibc", "ug/dL", 340),
    ]
    day = dt.date(2026, 11, 1)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["date", "test", "value", "unit", "reference_range"])
        for row in range(CSV_ROWS):
            test, unit, value = tests[row % len(tests)]
            date = day - dt.timedelta(days=row // len(tests))
            writer.writerow([date.isoformat(), test, value, unit, ""])


def _import(path: Path) -> int:
    from rlsiron.io.importer import import_files

    return len(import_files([path]).labs)


def fhir_figures(path: Path, seconds: float) -> tuple[float, float]:
    from fhir.resources.R4B.bundle import Bundle

    data = path.read_bytes()

    def floor() -> int:
        Bundle.model_validate(json.loads(data))
        return 1

    def ours() -> int:
        _import(path)
        return 1

    return _rate(floor, seconds), _rate(ours, seconds)


def csv_figures(path: Path, seconds: float) -> tuple[float, float]:
    text = path.read_text(encoding="utf-8")

    def floor() -> int:
        return sum(1 for _ in csv.reader(io.StringIO(text))) - 1

    def ours() -> int:
        _import(path)
        return CSV_ROWS

    return _rate(floor, seconds), _rate(ours, seconds)


def pdf_figures(paths: Sequence[Path], seconds: float) -> tuple[float, float, int]:
    import pdfplumber

    from rlsiron.io.importer import ReadOptions
    from rlsiron.io.lab_report import read_pdf

    contents = [p.read_bytes() for p in paths]
    pages = 0
    for data in contents:
        with pdfplumber.open(io.BytesIO(data)) as pdf:
            pages += len(pdf.pages)

    def floor() -> int:
        for data in contents:
            with pdfplumber.open(io.BytesIO(data)) as pdf:
                for page in pdf.pages:
                    page.extract_text()
        return pages

    def ours() -> int:
        for path, data in zip(paths, contents, strict=True):
            read_pdf(data, path.name, ReadOptions())
        return pages

    return _rate(floor, seconds), _rate(ours, seconds), pages


# The high-water mark of resident memory (VmHWM): unlike getrusage's ru_maxrss it starts
# afresh at exec, so the parent's size does not leak into the child's figure.
_PEAK = """
import sys
from pathlib import Path
from rlsiron.io.importer import import_files
import rlsiron.io.{module}

def high_water():
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024

before = high_water()
import_files([Path(sys.argv[1])])
print(high_water() - before)
"""


def peak_memory(path: Path, module: str) -> int:
    """Bytes of resident memory the import adds at its peak, in a fresh process."""
    script = _PEAK.format(module=module)
    done = subprocess.run(
        [sys.executable, "-c", script, str(path)], capture_output=True, text=True, check=True
    )
    return int(done.stdout.strip())


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="shorter runs (for a smoke check)")
    args = parser.parse_args(argv)
    seconds = 1.5 if args.quick else 6.0
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        bundle, table = folder / "bundle.json", folder / "labs.csv"
        fhir_bundle(bundle)
        csv_file(table)
        sys.path.insert(0, str(REPO))
        from tests.io.report_pdfs import render_reports

        pdfs = render_reports(folder)
        print(f"importers against their library's bare parse (best of 3, {seconds:g} s each):")
        floor, ours = fhir_figures(bundle, seconds)
        size = bundle.stat().st_size
        print(
            f"  FHIR {size / 1e6:.1f} MB bundle   floor {floor:8.2f} /s   import {ours:8.2f} /s"
            f"   = {floor / ours:.2f} x the floor's time (target <= 2)"
        )
        floor, ours = csv_figures(table, seconds)
        print(
            f"  CSV {CSV_ROWS:,} rows     floor {floor:10,.0f} rows/s   import {ours:10,.0f} rows/s"
            f"   = {floor / ours:.2f} x (target <= 2)"
        )
        floor, ours, pages = pdf_figures(pdfs, seconds)
        print(
            f"  PDF reports ({pages} pages)   floor {floor:7.1f} pages/s   import {ours:7.1f} pages/s"
            f"   = {floor / ours:.2f} x (target <= 2)"
        )
        print("peak memory of one import (fresh process; target < 10 x the file):")
        for path, module in ((bundle, "fhir"), (table, "table")):
            peak = peak_memory(path, module)
            size = path.stat().st_size
            print(
                f"  {path.name:12} {size / 1e6:6.1f} MB file   +{peak / 1e6:7.1f} MB resident"
                f"   = {peak / size:.1f} x (target < 10)"
            )


if __name__ == "__main__":
    main()
