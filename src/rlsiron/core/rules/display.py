"""Numbers as a person reads them: rounded to the analyte's display precision.

The JSON keeps the exact canonical value; text shows "Haemoglobin 11.3 g/dL", not 11.2802
(REFERENCE.md, "Numbers as they were reported"). A value is shown at the precision it is
compared with (a converted result at its reported resolution), at most the analyte's display
decimals, trailing zeros dropped.
"""

from __future__ import annotations

from collections.abc import Mapping

from rlsiron.core.knowledge.rules import VALUES
from rlsiron.core.labs.analytes import ANALYTES
from rlsiron.core.readings import Reading
from rlsiron.core.rules.expressions import Value


def show_number(number: float, decimals: int) -> str:
    """`number` to at most `decimals` places, trailing zeros dropped: 11.2802, 1 -> "11.3"."""
    text = f"{number:.{max(decimals, 0)}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def show_reading(reading: Reading, decimals: int) -> str:
    """A reading with its side: "<5", "38", "0.7"."""
    if reading.decimals is not None:
        decimals = min(decimals, max(reading.decimals, 0))
    shown = show_number(reading.compared, decimals)
    return shown if reading.exact else f"{reading.qualifier}{shown}"


def decimals_for(analyte: str | None) -> int:
    return 0 if analyte is None else ANALYTES[analyte].display_decimals


def show_value(name: str, value: Value) -> str:
    """A named value (values.txt) as text; "unknown" when there is none."""
    if isinstance(value, Reading):
        return show_reading(value, decimals_for(VALUES[name].analyte))
    if value is None:
        return "unknown"
    return "yes" if value else "no"


class ShownValues(dict[str, str]):
    """The named values as text, each formatted on first use (most templates need few)."""

    def __init__(self, values: Mapping[str, Value]) -> None:
        super().__init__()
        self._values = values

    def __missing__(self, name: str) -> str:
        text = show_value(name, self._values[name])
        self[name] = text
        return text
