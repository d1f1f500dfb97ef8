"""The iron-therapy decision: ordered rules, the first that applies decides.

Order (REFERENCE.md): unknown values -> TSAT safety stop -> stale panel -> the rule set
of the person's group (dialysis, pregnancy, child, adult). Any comparison that a
one-sided value cannot settle ("<100" against "<= 75") stops at `test_first`: the
engine fails closed rather than guessing. The function is pure and cheap, so the
engine also runs it on counterfactuals (another assay, the adult rule for a child).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal, NamedTuple

from rlsiron.core.knowledge.thresholds import Profile, Threshold, number, threshold
from rlsiron.core.models import Decision, Route
from rlsiron.core.readings import Reading

Group = Literal["adult", "child", "pregnancy", "dialysis"]

_TSAT_STOP = threshold("tsat.contraindicated")
_TSAT_LOW = threshold("tsat.rls_indicated")
_CEILING = threshold("ferritin.trial_ceiling")
_IV_BAND_LOWER = threshold("ferritin.iv_band_lower")


class Outcome(NamedTuple):
    decision: Decision
    rule: str
    why: str
    sources: tuple[str, ...]
    routes: tuple[Route, ...] = ()
    options: tuple[str, ...] = ()


class Situation(NamedTuple):
    """What the rules need beyond the two values."""

    group: Group
    profile: Profile
    stale: bool = False
    after_iv: bool = False


def _mg(id: str) -> str:
    return f"{number(id).value:g} mg"


ORAL_OPTIONS = (
    f"Oral ferrous sulfate ({_mg('oral.ferrous_sulfate_mg')} tablet, "
    f"{_mg('oral.ferrous_sulfate_elemental_mg')} elemental iron): conditional recommendation",
)
IV_OPTIONS = (
    f"IV ferric carboxymaltose ({_mg('iv.fcm_trial_mg')} in the RLS trials): strong recommendation",
    "IV ferumoxytol: conditional recommendation",
    "IV low-molecular-weight iron dextran: conditional recommendation",
)


def _cmp(t: Threshold, value: Reading) -> bool | None:
    return t.holds(value)


def _met(
    f: Reading,
    t: Reading,
    low_f: bool | None,
    low_t: bool | None,
    cut_f: Threshold,
    cut_t: Threshold,
) -> str:
    """Which of the two criteria held, in words."""
    parts = []
    if low_f:
        parts.append(f"ferritin {f} µg/L is {cut_f.describe()}")
    if low_t:
        parts.append(f"TSAT {t} % is {cut_t.describe()}")
    text = " and ".join(parts)
    return text[0].upper() + text[1:]


def _undetermined(name: str, value: Reading, t: Threshold) -> Outcome:
    return Outcome(
        "test_first",
        "undetermined",
        f"The one-sided {name} {value} cannot be placed against {t.describe()}; an exact "
        "result is needed.",
        t.sources,
    )


def decide(f: Reading | None, t: Reading | None, s: Situation) -> Outcome:
    if f is None or t is None:
        return Outcome(
            "test_first",
            "labs.missing",
            "Ferritin and TSAT are both needed: ferritin for iron stores, TSAT as the "
            "safety check against too much iron.",
            ("AASM-2024",),
        )
    stop = _cmp(_TSAT_STOP, t)
    if stop is None:
        return _undetermined("TSAT", t, _TSAT_STOP)
    if stop:
        return Outcome(
            "contraindicated",
            "tsat_high",
            f"TSAT {t} % is {_TSAT_STOP.describe()}: iron must not be started or continued "
            "until a clinician has reviewed it.",
            _TSAT_STOP.sources,
        )
    if s.stale:
        return Outcome(
            "test_first",
            "labs.stale",
            "The iron panel is more than a year old; a current panel is needed before deciding.",
            ("AASM-2024",),
        )
    outcome = _GROUP_RULES[s.group](f, t, s.profile)
    if s.after_iv and outcome.decision == "not_indicated":
        return Outcome(
            "test_first",
            "labs.after_iv_iron",
            "Ferritin drawn within 4 weeks of an iron infusion is falsely high and cannot "
            "show that stores are adequate; repeat the panel later.",
            ("AASM-2024",),
        )
    return outcome


def _adult(f: Reading, t: Reading, p: Profile) -> Outcome:
    ceiling = _cmp(_CEILING, f)
    if ceiling is None:
        return _undetermined("ferritin", f, _CEILING)
    if ceiling:
        return Outcome(
            "not_indicated",
            "adult.trial_ceiling",
            f"Ferritin {f} µg/L is {_CEILING.describe()}: iron trials for RLS enrolled no one "
            "with stores this high.",
            _CEILING.sources,
        )
    low_f, low_t = _cmp(p.ferritin_indicated, f), _cmp(_TSAT_LOW, t)
    if low_f or low_t:
        return Outcome(
            "indicated",
            "adult.low_iron",
            _met(f, t, low_f, low_t, p.ferritin_indicated, _TSAT_LOW)
            + f": the {p.label} criterion for oral or IV iron is met.",
            p.ferritin_indicated.sources,
            ("iv", "oral"),
            ORAL_OPTIONS + IV_OPTIONS,
        )
    if low_f is None:
        return _undetermined("ferritin", f, p.ferritin_indicated)
    if low_t is None:
        return _undetermined("TSAT", t, _TSAT_LOW)
    above = _cmp(_IV_BAND_LOWER, f)
    if above is None:
        return _undetermined("ferritin", f, _IV_BAND_LOWER)
    band = above and _cmp(p.iv_band_upper, f)
    if band is None:
        return _undetermined("ferritin", f, p.iv_band_upper)
    if band:
        return Outcome(
            "indicated",
            "adult.iv_band",
            f"Ferritin {f} µg/L is above the oral-iron range but {p.iv_band_upper.describe()}: "
            "iron tablets are poorly absorbed at these stores, so IV iron is the option.",
            p.iv_band_upper.sources,
            ("iv",),
            IV_OPTIONS,
        )
    return Outcome(
        "not_indicated",
        "adult.replete",
        f"Ferritin {f} µg/L and TSAT {t} % are above the {p.label} thresholds for iron in RLS.",
        p.ferritin_indicated.sources,
    )


def _pregnancy(f: Reading, t: Reading, p: Profile) -> Outcome:
    ceiling = _cmp(_CEILING, f)
    if ceiling is None:
        return _undetermined("ferritin", f, _CEILING)
    if ceiling:  # the trial ceiling is a safety bound and holds in pregnancy too
        return _adult(f, t, p)
    cut_f = threshold("ferritin.pregnancy_indicated")
    cut_t = threshold("tsat.pregnancy_indicated")
    low_f, low_t = _cmp(cut_f, f), _cmp(cut_t, t)
    if low_f or low_t:
        return Outcome(
            "indicated",
            "pregnancy.low_iron",
            _met(f, t, low_f, low_t, cut_f, cut_t)
            + ": in pregnancy the criterion for oral iron, chosen with the obstetric team, is met.",
            cut_f.sources,
            ("oral",),
            ("Oral iron chosen with the obstetric team (IV timing is theirs to judge)",),
        )
    if low_f is None:
        return _undetermined("ferritin", f, cut_f)
    if low_t is None:
        return _undetermined("TSAT", t, cut_t)
    return Outcome(
        "not_indicated",
        "pregnancy.replete",
        f"In pregnancy, ferritin {f} µg/L and TSAT {t} % are above the criterion for iron.",
        cut_f.sources,
    )


def _child(f: Reading, _t: Reading, _p: Profile) -> Outcome:
    cut = threshold("ferritin.pediatric_indicated")
    low = _cmp(cut, f)
    if low is None:
        return _undetermined("ferritin", f, cut)
    if low:
        return Outcome(
            "indicated",
            "child.low_iron",
            f"For children, ferritin {f} µg/L ({cut.describe()}) meets the criterion for "
            "oral iron; dosing belongs to paediatric care.",
            cut.sources,
            ("oral",),
            ("Oral iron dosed by the paediatric team",),
        )
    return Outcome(
        "not_indicated",
        "child.replete",
        f"For children, ferritin {f} µg/L is not {cut.describe()}.",
        cut.sources,
    )


def _dialysis(f: Reading, t: Reading, _p: Profile) -> Outcome:
    cut_f = threshold("ferritin.dialysis_indicated")
    cut_t = threshold("tsat.dialysis_indicated")
    low_f, low_t = _cmp(cut_f, f), _cmp(cut_t, t)
    if low_f is False or low_t is False:
        return Outcome(
            "not_indicated",
            "dialysis.not_met",
            f"On dialysis, IV iron sucrose needs both ferritin {cut_f.describe()} and TSAT "
            f"{cut_t.describe()}; ferritin {f} µg/L and TSAT {t} % do not meet both.",
            cut_f.sources,
        )
    if low_f is None:
        return _undetermined("ferritin", f, cut_f)
    if low_t is None:
        return _undetermined("TSAT", t, cut_t)
    return Outcome(
        "indicated",
        "dialysis.low_iron",
        f"On dialysis, ferritin {f} µg/L and TSAT {t} % meet the criterion for IV iron sucrose.",
        cut_f.sources,
        ("iv",),
        ("IV iron sucrose (end-stage kidney disease), with the nephrology team",),
    )


_GROUP_RULES: dict[Group, Callable[[Reading, Reading, Profile], Outcome]] = {
    "adult": _adult,
    "child": _child,
    "pregnancy": _pregnancy,
    "dialysis": _dialysis,
}
