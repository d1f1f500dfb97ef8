"""The NHANES 2017-2018 worked example: ferritin bands by sex and age, weighted and not.

    python scripts/nhanes_example.py [--raw DIR] [--fit]

Reads the raw CDC files (FERTIN_J, DEMO_J) from ../shared/data/nhanes/raw_xpt (or --raw) and
prints, for every sex and age band: the participants with a ferritin result, the share in each
ferritin band unweighted (the sample) and weighted by WTMEC2YR (the US population it stands
for), and the share whose ferritin meets the ferritin part of their group's RLS iron
criterion. The output depends only on the files: run it twice, get the same tables.

--fit prints the refit of the generator's NHANES-based shapes (synthetic_shapes.txt) instead.
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Sequence
from pathlib import Path

from rich.console import Console
from rich.table import Table

from rlsiron.screen.nhanes import (
    DRAW_DATE,
    WOMEN_PANEL_FILE,
    GroupShares,
    band_labels,
    band_shares,
    ferritin_criterion_shares,
    fit_shapes,
    fitted_rows,
    read_ferritin,
)

REPO = Path(__file__).resolve().parents[1]
NHANES = REPO.parent / "shared" / "data" / "nhanes"


def percent(share: float) -> str:
    return "-" if math.isnan(share) else f"{share:.1%}"


def shares_table(
    title: str, columns: Sequence[str], rows: Sequence[GroupShares], weighted: bool
) -> Table:
    table = Table(title=title, title_justify="left")
    for header in ("sex", "age", "n", *columns):
        table.add_column(header, justify="left" if header in ("sex", "age") else "right")
    for row in rows:
        values = row.weighted if weighted else row.unweighted
        table.add_row(row.sex, row.ages, f"{row.n:,}", *(percent(v) for v in values))
    return table


def counts_table(title: str, columns: Sequence[str], rows: Sequence[GroupShares]) -> Table:
    table = Table(title=title, title_justify="left")
    for header in ("sex", "age", "n", "weighted n (millions)", *columns):
        table.add_column(header, justify="left" if header in ("sex", "age") else "right")
    for row in rows:
        table.add_row(
            row.sex,
            row.ages,
            f"{row.n:,}",
            f"{row.population / 1e6:.1f}",
            *(f"{c:,}" for c in row.counts),
        )
    return table


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--raw", type=Path, default=NHANES / "raw_xpt", help="the XPT files")
    parser.add_argument("--fit", action="store_true", help="print the generator's refit")
    args = parser.parse_args(argv)
    console = Console(width=120)
    if args.fit:
        for line in fitted_rows(fit_shapes(args.raw, NHANES / WOMEN_PANEL_FILE)):
            console.print(line, highlight=False)
        return
    data = read_ferritin(args.raw)
    people = data.participants
    console.print(
        f"NHANES 2017-2018: FERTIN_J holds {data.ferritin_rows:,} rows, {len(people):,} with "
        f"ferritin (LBXFER, ng/mL = µg/L), joined to DEMO_J; weights WTMEC2YR. Draws dated "
        f"{DRAW_DATE} (exam dates are not public).",
        highlight=False,
    )
    labels = [f"{label} µg/L" if i == 0 else label for i, label in enumerate(band_labels())]
    bands = band_shares(people)
    console.print(counts_table("Participants by ferritin band (counts)", labels, bands))
    console.print(
        shares_table("Share by ferritin band, unweighted (the sample)", labels, bands, False)
    )
    console.print(
        shares_table(
            "Share by ferritin band, weighted by WTMEC2YR (US population)", labels, bands, True
        )
    )
    criterion = ferritin_criterion_shares(people)
    table = Table(
        title="Ferritin meets the RLS iron criterion of the person's group "
        "(adults and pregnancy ≤ 75, under 18 < 50 µg/L)",
        title_justify="left",
    )
    for header in ("sex", "age", "n", "met", "unweighted", "weighted"):
        table.add_column(header, justify="left" if header in ("sex", "age") else "right")
    for row in criterion:
        table.add_row(
            row.sex, row.ages, f"{row.n:,}", f"{row.counts[0]:,}",
            percent(row.unweighted[0]), percent(row.weighted[0]),
        )  # fmt: skip
    console.print(table)
    console.print(
        "No TSAT in these files: the criterion rests on ferritin alone, and the engine itself "
        "answers test_first (a TSAT is needed as the safety check).",
        highlight=False,
    )


if __name__ == "__main__":
    main()
