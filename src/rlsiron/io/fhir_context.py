"""One FHIR file being read: its entries, what they point to, and why one is not valid FHIR.

The readers of laboratory results (fhir_observations.py) and of the person
(fhir_person.py) share it, and fhir.py builds it: it holds what was found so far, resolves
references within the file, keeps what only the whole file can settle, and turns what an
entry cannot give into a problem naming the entry and, when strict validation of that
entry finds why, FHIR's own account of it.
"""

from __future__ import annotations

import datetime as dt
import importlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Final, Literal, NamedTuple

from pydantic import ValidationError

from rlsiron.errors import NOTHING
from rlsiron.io.extract import Extract
from rlsiron.io.fhir_fields import Resource, clip, mappings, reference, reference_key

Version = Literal["R4", "STU3"]
# Strict validation: R4 with the R4B models (fhir.resources defaults to R5, which refuses
# valid R4), STU3 with its own. Imported only to explain a problem (~0.1 s).
_MODELS: Final[dict[Version, str]] = {"R4": "fhir.resources.R4B", "STU3": "fhir.resources.STU3"}
_EXPLAINED_ERRORS: Final = 2


@dataclass(frozen=True, slots=True)
class Entry:
    """One resource of the file and where it is: "entry 12 (Observation/abc)"."""

    place: str
    resource: Resource
    full_url: str | None = None


class Pregnancy(NamedTuple):
    """A pregnancy a current Condition records (fhir_person.py)."""

    onset: dt.date | None
    place: str
    text: str


class Gestation(NamedTuple):
    """A gestational age Observation (fhir_observations.py), kept for `settle`."""

    day: dt.date
    weeks: int | None
    place: str
    printed: str


class Irls(NamedTuple):
    """The IRLS total of one QuestionnaireResponse (fhir_person.py), kept for `settle`."""

    authored: dt.date | None
    total: int
    place: str
    printed: str


@dataclass
class Context:
    """One file being read: what was found so far, and what its references point to."""

    extract: Extract
    version: Version
    index: Mapping[str, Resource]  # fullUrl and "Type/id" -> resource
    parents: dict[int, Resource]  # id(result) -> its report or panel (draw date)
    pregnancies: list[Pregnancy] = field(default_factory=list)
    gestations: list[Gestation] = field(default_factory=list)
    irls: list[Irls] = field(default_factory=list)
    _errors: dict[int, list[tuple[tuple[int | str, ...], str]]] = field(default_factory=dict)

    def resolve(self, holder: object, within: Resource) -> Resource | None:
        """The resource a Reference points to: contained ("#id") or elsewhere in the file."""
        ref = reference(holder)
        if ref is None:
            return None
        if ref.startswith("#"):
            contained = mappings(within.get("contained"))
            return next((c for c in contained if c.get("id") == ref[1:]), None)
        return self.index.get(ref) or self.index.get(reference_key(ref))

    def problem(
        self,
        entry: Entry,
        at: str,
        message: str,
        received: object = NOTHING,
        *,
        path: tuple[int | str, ...],
    ) -> None:
        """A part of an entry that cannot be read; `path` is the field in FHIR's terms."""
        self.extract.problem(at, message, received, hint=self._explained(entry.resource, path))

    def _explained(self, resource: Resource, path: tuple[int | str, ...]) -> str | None:
        """What strict validation says about `path` (or the whole resource), if anything.

        Validation runs here, on the entries that could not be read, and at most once each:
        on the entries that were read, its verdict would change nothing.
        """
        key = id(resource)
        if key not in self._errors:
            self._errors[key] = _validation_errors(resource, self.version)
        said = [
            f"{'.'.join(map(str, loc)) or 'the resource'}: {message}"
            for loc, message in self._errors[key]
            if loc[: len(path)] == path or loc == path[: len(loc)]
        ]
        if not said:
            return None
        return f"not valid FHIR {self.version}: " + "; ".join(said[:_EXPLAINED_ERRORS])


def _validation_errors(
    resource: Resource, version: Version
) -> list[tuple[tuple[int | str, ...], str]]:
    models = importlib.import_module(_MODELS[version])
    try:
        model = models.get_fhir_model_class(resource.get("resourceType"))
        model.model_validate(resource)
    except ValidationError as exc:
        return [(err["loc"], _short_message(err["msg"])) for err in exc.errors()]
    except (ValueError, KeyError, TypeError):
        # ValueError: not a resource type of this version. fhir_core looks a contained
        # resource's type up in a table, outside pydantic: an unknown type is a KeyError,
        # a type that is not a string a TypeError. Nothing more to say then.
        return []
    return []


def _short_message(message: str) -> str:
    return clip(message.removeprefix("Value error, ").splitlines()[0])
