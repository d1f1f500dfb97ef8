"""Food search that forgives spelling and word order, over the curated table and all of SR28.

People type "lentls cooked", "cooked lentils" or "spinach raw"; SR28 calls the food "Lentils,
mature seeds, cooked, boiled, without salt". The search therefore works on words:

1. Every name is normalised once (lower case, punctuation dropped, simple plurals folded:
   "Lentils," -> "lentil") and indexed by word. Names are the curated friendly names, the SR28
   descriptions and SR28's common names ("hot dog" for frankfurters).
2. A query word that is not in that vocabulary is corrected to its closest word (rapidfuzz
   ratio, for words of four letters or more): "lentls" -> "lentil", "brocoli" -> "broccoli".
3. A food matches when one of its names holds every query word, in any order. Matches are
   ranked by rapidfuzz's token-set similarity, fewer extra words, a bonus for the curated
   foods (the everyday ones people mean) and a small penalty for branded, fast-food, restaurant
   and baby foods, so "lentils" finds "Lentils, boiled" before "Lentils, sprouted, stir-fried".
4. Nothing matching every word is an input error that suggests the closest real foods.

Building the index takes about 0.2 s, once per process (cached); a search then takes a few
milliseconds (benchmarks/bench_diet_search.py). rapidfuzz and numpy are imported with this
module, which the CLI imports only inside its diet commands.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache

import numpy as np
import numpy.typing as npt
from rapidfuzz import fuzz, process

from rlsiron.diet.foods import DIETS, Diet, Food, load_foods
from rlsiron.diet.sr28 import Sr28Food, sr28_foods
from rlsiron.diet.tags import normalised, tag_rules
from rlsiron.errors import RlsironError

# Ranking weights (search tuning, not clinical): similarity is 0-100.
_SIMILARITY_WEIGHT = 0.75
_EXTRA_WORD_PENALTY = 2.0  # per name word the query did not ask for
_CURATED_BONUS = 16.0  # the curated table's everyday foods first
_OBSCURE_PENALTY = 4.5  # branded, fast-food, restaurant, baby and regional foods last
_LENGTH_TIEBREAK = 0.01  # per character: "orange raw" before "orange juice" on a tie
_HEAD_WORD_BONUS = 1.0  # the name starts with the query's first word ("milk, skim" for milk)
_ALIAS_PENALTY = 1.5  # a common name ranks just below a description of the same fit
# Spelling correction: closest vocabulary word at this rapidfuzz ratio or more.
_CORRECTION_CUTOFF = 80.0
# Shorter words are too ambiguous to correct ("tea" vs "pea") or to fold ("gas", "bus").
_SHORTEST_CORRECTED = 4
_SUGGESTIONS = 5
_OBSCURE_GROUPS = frozenset(
    {"Baby Foods", "Fast Foods", "Restaurant Foods", "American Indian/Alaska Native Foods"}
)
# Words of preparation that do not make a name less specific ("Lentils, boiled" is lentils).
_PREPARATION = frozenset(
    [
        "raw",
        "cooked",
        "boiled",
        "baked",
        "roasted",
        "grilled",
        "broiled",
        "fried",
        "steamed",
        "brewed",
        "drained",
        "without",
        "salt",
        "plain",
        "fresh",
        "prepared",
        "with",
    ]
)
# A brand is written in capitals in SR28 ("KELLOGG'S", "MORNINGSTAR FARMS").
_BRAND = re.compile(r"\b[A-Z]{3,}")
# Common names that are bookkeeping, not names ("Includes USDA Commodity B879").
_NOT_A_NAME = re.compile(r"\d|usda|recipe|includes|commodity", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class FoodMatch:
    """One food found: the SR28 food, its curated entry if it has one, and how it matched."""

    food: Sr28Food
    curated: Food | None
    matched: str  # the name that matched: a curated name, SR28 description or common name
    similarity: float  # rapidfuzz token-set similarity of query and that name, 0-100

    @property
    def name(self) -> str:
        """The curated friendly name, else SR28's description."""
        return self.curated.name if self.curated is not None else self.food.description


def fold(word: str) -> str:
    """Plural and spelling variants folded to one search form, the same for names and queries:
    lentils -> lentil, tomatoes -> tomato, berries and berry -> berri, cookie(s) -> cooki."""
    if len(word) < _SHORTEST_CORRECTED:
        return word
    if word.endswith("ies"):
        word = word.removesuffix("ies") + "i"
    elif word.endswith(("ches", "shes", "sses", "xes", "oes")):
        word = word.removesuffix("es")
    elif word.endswith("s") and not word.endswith(("ss", "us", "is")):
        word = word.removesuffix("s")
    if word.endswith("ie"):
        return word.removesuffix("e")
    if word.endswith("y"):
        return word.removesuffix("y") + "i"
    return word


def words(text: str) -> tuple[str, ...]:
    """The search words of a name or query."""
    return tuple(fold(word) for word in normalised(text).split())


@dataclass(frozen=True, slots=True)
class _Index:
    """Every searchable name, with what the ranking needs, computed once."""

    foods: tuple[Sr28Food, ...]
    curated: Mapping[str, Food]
    names: tuple[str, ...]  # search form: normalised, folded
    labels: tuple[str, ...]  # the same names as written
    owners: npt.NDArray[np.int64]  # index into foods, per name
    prior: npt.NDArray[np.float64]  # curated bonus or obscurity penalty, minus a length tiebreak
    word_counts: npt.NDArray[np.int64]  # words other than preparation words
    first_words: npt.NDArray[np.str_]  # each name's first word (SR28 puts the food first)
    postings: Mapping[str, npt.NDArray[np.int64]]  # word -> names holding it
    vocabulary: tuple[str, ...]
    diet_names: Mapping[Diet, npt.NDArray[np.bool_]]  # names whose food suits the diet


def _aliases(food: Sr28Food) -> list[str]:
    return [
        alias.strip()
        for alias in food.common_name.split(",")
        if alias.strip() and not _NOT_A_NAME.search(alias)
    ]


@cache
def _index() -> _Index:
    foods = tuple(sr28_foods().values())
    position = {food.ndb_no: i for i, food in enumerate(foods)}
    curated = {food.ndb_no: food for food in load_foods()}
    labels: list[str] = []
    owners: list[int] = []
    aliases: list[bool] = []
    for i, food in enumerate(foods):
        for k, text in enumerate((food.description, *_aliases(food))):
            labels.append(text)
            owners.append(i)
            aliases.append(k > 0)
    for entry in curated.values():
        labels.append(entry.name)
        owners.append(position[entry.ndb_no])
        aliases.append(False)
    names = [" ".join(words(label)) for label in labels]
    owner_array = np.array(owners, dtype=np.int64)
    food_prior = np.array([_food_prior(food, curated) for food in foods])
    lengths = np.array([len(name) for name in names], dtype=np.float64)
    prior = (
        food_prior[owner_array] - _LENGTH_TIEBREAK * lengths - _ALIAS_PENALTY * np.array(aliases)
    )
    postings: dict[str, list[int]] = {}
    for k, name in enumerate(names):
        for word in set(name.split()):
            postings.setdefault(word, []).append(k)
    rules = tag_rules()
    diets = [rules.diets_for(food.tags) for food in foods]
    suits = {d: np.array([d in suited for suited in diets]) for d in DIETS}
    return _Index(
        foods=foods,
        curated=curated,
        names=tuple(names),
        labels=tuple(labels),
        owners=owner_array,
        prior=prior,
        word_counts=np.array([_content_words(name.split()) for name in names], dtype=np.int64),
        first_words=np.array([name.split()[0] if name else "" for name in names]),
        postings={word: np.array(found, dtype=np.int64) for word, found in postings.items()},
        vocabulary=tuple(sorted(postings)),
        diet_names={d: suits[d][owner_array] for d in DIETS},
    )


def _content_words(name_words: Iterable[str]) -> int:
    return sum(1 for word in name_words if word not in _PREPARATION)


def _food_prior(food: Sr28Food, curated: Mapping[str, Food]) -> float:
    if food.ndb_no in curated:
        return _CURATED_BONUS
    if food.food_group in _OBSCURE_GROUPS or _BRAND.search(food.description):
        return -_OBSCURE_PENALTY
    return 0.0


def _corrected(query: str, index: _Index) -> tuple[str, ...]:
    """The query's words, each unknown word replaced by its closest vocabulary word."""
    corrected = []
    for word in words(query):
        if word not in index.postings and len(word) >= _SHORTEST_CORRECTED:
            best = process.extractOne(
                word, index.vocabulary, scorer=fuzz.ratio, score_cutoff=_CORRECTION_CUTOFF
            )
            if best is not None:
                word = best[0]
        corrected.append(word)
    return tuple(corrected)


def _held(query_words: Sequence[str], index: _Index) -> npt.NDArray[np.int64]:
    """Per name, how many distinct query words it holds (from the word index, no scoring)."""
    held = np.zeros(len(index.names), dtype=np.int64)
    for word in set(query_words):
        if word in index.postings:
            held[index.postings[word]] += 1
    return held


def _scores(
    query_words: Sequence[str], names: npt.NDArray[np.int64], index: _Index
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Ranking score and token-set similarity of the query against the given names."""
    similarity = process.cdist(
        [" ".join(query_words)],
        [index.names[k] for k in names],
        scorer=fuzz.token_set_ratio,
        dtype=np.float64,
    )[0]
    asked = _content_words(set(query_words))
    extra = np.maximum(index.word_counts[names] - asked, 0)
    score = _SIMILARITY_WEIGHT * similarity - _EXTRA_WORD_PENALTY * extra + index.prior[names]
    score += np.where(index.first_words[names] == query_words[0], _HEAD_WORD_BONUS, 0.0)
    return score, similarity


def _ordered(
    query_words: Sequence[str], names: npt.NDArray[np.int64], index: _Index
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float64]]:
    """`names` best first (ties keep SR28's order), and the similarity of each name."""
    similarity = np.zeros(len(index.names))
    if len(names) == 0:
        return names, similarity
    score, similarity[names] = _scores(query_words, names, index)
    return names[np.argsort(-score, kind="stable")], similarity


def _best(
    order: npt.NDArray[np.int64],
    similarity: npt.NDArray[np.float64],
    index: _Index,
    limit: int,
) -> tuple[FoodMatch, ...]:
    """The first `limit` distinct foods in `order` (a food has several names)."""
    seen: set[int] = set()
    found: list[FoodMatch] = []
    for k in order:
        owner = int(index.owners[k])
        if owner in seen:
            continue
        seen.add(owner)
        food = index.foods[owner]
        found.append(
            FoodMatch(food, index.curated.get(food.ndb_no), index.labels[k], float(similarity[k]))
        )
        if len(found) == limit:
            break
    return tuple(found)


def checked_diet(diet: str | None) -> Diet | None:
    """The diet to filter on; an unknown one is an input error, not an empty list."""
    if diet is None:
        return None
    for known in DIETS:
        if diet == known:
            return known
    raise RlsironError("unknown diet", field="diet", value=diet, accepted=DIETS)


def _checked(query: str, limit: int, diet: str | None) -> Diet | None:
    if not query.strip() or not words(query):
        raise RlsironError("give a food to search for", field="food", value=query)
    if limit < 1:
        raise RlsironError("limit must be 1 or more", field="limit", value=limit)
    return checked_diet(diet)


def search_foods(query: str, *, limit: int, diet: str | None = None) -> tuple[FoodMatch, ...]:
    """Foods one of whose names holds every word of `query` (spelling and order forgiven),
    best first; empty when none does. `diet` keeps only foods that suit it."""
    wanted = _checked(query, limit, diet)
    index = _index()
    query_words = _corrected(query, index)
    complete = _held(query_words, index) == len(set(query_words))
    if wanted is not None:
        complete &= index.diet_names[wanted]
    order, similarity = _ordered(query_words, np.flatnonzero(complete), index)
    return _best(order, similarity, index, limit)


def find_food(query: str, *, diet: str | None = None) -> FoodMatch:
    """The one food `query` means; an RlsironError suggesting real foods when none matches."""
    found = search_foods(query, limit=1, diet=diet)
    if not found:
        raise no_match_error(query, diet=diet)
    return found[0]


def suggestions(
    query: str, *, diet: str | None = None, limit: int = _SUGGESTIONS
) -> tuple[str, ...]:
    """The names of the foods closest to `query`, whether or not they hold all its words
    (every name is scored: slower than a search, and only run when a search found nothing)."""
    wanted = _checked(query, limit, diet)
    index = _index()
    allowed = np.ones(len(index.names), dtype=bool)
    if wanted is not None:
        allowed = index.diet_names[wanted]
    order, similarity = _ordered(_corrected(query, index), np.flatnonzero(allowed), index)
    return tuple(match.name for match in _best(order, similarity, index, limit))


def no_match_error(query: str, *, diet: str | None = None) -> RlsironError:
    """'no food found', with the closest real foods as "did you mean" suggestions."""
    close = suggestions(query, diet=diet)
    which = f"no {diet} food" if diet else "no food"
    hint = None
    if close:
        quoted = [f'"{name}"' for name in close]
        hint = (
            f"did you mean {', '.join(quoted[:-1])} or {quoted[-1]}?"
            if len(quoted) > 1
            else f"did you mean {quoted[0]}?"
        )
    return RlsironError(
        f"{which} found with every word of this in its name", field="food", value=query, hint=hint
    )
