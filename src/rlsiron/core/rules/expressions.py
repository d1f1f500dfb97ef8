"""The condition language of the rule table, and its three-valued interpreter.

A condition compares named values with threshold ids and combines the comparisons:

    known(tsat_max) and tsat_max >= tsat.contraindicated
    ferritin <= ferritin.rls_indicated or tsat < tsat.rls_indicated
    female and not postmenopausal and inflamed

Grammar (keywords are lower case):

    expr       := term ("or" term)*
    term       := factor ("and" factor)*
    factor     := "not" factor | "(" expr ")" | "true" | "false"
                | "known(" NAME ")" | NAME OP THRESHOLD_ID | NAME
    OP         := "<" | "<=" | ">" | ">="

A comparison must repeat the threshold row's own comparison and compare a value of the
row's unit, so `ferritin >= ferritin.rls_indicated` (a row that holds at "<= 75") or
`age < ferritin.rls_indicated` are refused when the table loads, naming the rule.

Logic is Kleene's three-valued logic, the same as SQL's NULL logic, so that a dataframe
compiler (the batch screener) can evaluate the same rows: a missing value, or a one-sided
result that straddles the threshold ("<100" against "<= 75"), is unknown; "false and
unknown" is false, "true or unknown" is true, "not unknown" is unknown. `known(x)` is
never unknown: it is how a rule says what to do when a value is missing.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Literal

from rlsiron.core.knowledge.thresholds import Threshold
from rlsiron.core.readings import Reading

Op = Literal["<", "<=", ">", ">="]
Truth = bool | None
Value = Reading | bool | None
Kind = Literal["quantity", "boolean"]


class ExpressionError(ValueError):
    """A condition that does not parse or names what does not exist (a data-file error)."""


@dataclass(frozen=True, slots=True)
class Comparison:
    name: str
    op: Op
    threshold: Threshold


@dataclass(frozen=True, slots=True)
class Fact:
    name: str


@dataclass(frozen=True, slots=True)
class Known:
    name: str


@dataclass(frozen=True, slots=True)
class Constant:
    value: bool


@dataclass(frozen=True, slots=True)
class Not:
    operand: Expr


@dataclass(frozen=True, slots=True)
class And:
    operands: tuple[Expr, ...]


@dataclass(frozen=True, slots=True)
class Or:
    operands: tuple[Expr, ...]


Expr = Comparison | Fact | Known | Constant | Not | And | Or

_TOKEN = re.compile(r"\s*(?:(<=|>=|<|>|\(|\))|([A-Za-z_][A-Za-z0-9_.-]*))")
_KEYWORDS = frozenset({"and", "or", "not", "true", "false", "known"})


def _tokens(text: str) -> list[str]:
    tokens: list[str] = []
    position = 0
    while position < len(text):
        if text[position:].strip() == "":
            break
        match = _TOKEN.match(text, position)
        if match is None:
            raise ExpressionError(f"cannot read {text[position:].strip()!r} in {text!r}")
        tokens.append(match[1] or match[2])
        position = match.end()
    return tokens


@dataclass(frozen=True, slots=True)
class Vocabulary:
    """What a condition may name: values (with kind and unit) and thresholds."""

    values: Mapping[str, tuple[Kind, str]]
    thresholds: Mapping[str, Threshold]


class _Parser:
    def __init__(self, text: str, vocabulary: Vocabulary) -> None:
        self.text = text
        self.tokens = _tokens(text)
        self.position = 0
        self.vocabulary = vocabulary

    def parse(self) -> Expr:
        expr = self._or()
        if self.position != len(self.tokens):
            raise self._error(f"unexpected {self.tokens[self.position]!r}")
        return expr

    def _error(self, message: str) -> ExpressionError:
        return ExpressionError(f"{message} in {self.text!r}")

    def _peek(self) -> str | None:
        return self.tokens[self.position] if self.position < len(self.tokens) else None

    def _take(self, expected: str | None = None) -> str:
        token = self._peek()
        if token is None or (expected is not None and token != expected):
            raise self._error(f"expected {expected or 'more'}")
        self.position += 1
        return token

    def _or(self) -> Expr:
        operands = [self._and()]
        while self._peek() == "or":
            self._take()
            operands.append(self._and())
        return operands[0] if len(operands) == 1 else Or(tuple(operands))

    def _and(self) -> Expr:
        operands = [self._factor()]
        while self._peek() == "and":
            self._take()
            operands.append(self._factor())
        return operands[0] if len(operands) == 1 else And(tuple(operands))

    def _factor(self) -> Expr:
        token = self._take()
        if token == "not":
            return Not(self._factor())
        if token == "(":
            expr = self._or()
            self._take(")")
            return expr
        if token in ("true", "false"):
            return Constant(token == "true")
        if token == "known":
            self._take("(")
            name = self._value_name(self._take())
            self._take(")")
            return Known(name)
        if token in _KEYWORDS or token in ("<", "<=", ">", ">=", ")"):
            raise self._error(f"unexpected {token!r}")
        name = self._value_name(token)
        kind, unit = self.vocabulary.values[name]
        operator = self._peek()
        if operator in ("<", "<=", ">", ">="):
            self._take()
            return self._comparison(name, unit, operator, self._take())
        if kind != "boolean":
            raise self._error(f"{name} is a quantity: compare it with a threshold")
        return Fact(name)

    def _value_name(self, token: str) -> str:
        if token not in self.vocabulary.values:
            raise self._error(f"unknown value {token!r}")
        return token

    def _comparison(self, name: str, unit: str, operator: str, threshold_id: str) -> Comparison:
        row = self.vocabulary.thresholds.get(threshold_id)
        if row is None:
            raise self._error(f"unknown threshold {threshold_id!r}")
        if row.op != operator:
            raise self._error(f"{threshold_id} holds at {row.op!r}, not {operator!r}")
        if row.unit != unit:
            raise self._error(f"{name} is in {unit!r} but {threshold_id} in {row.unit!r}")
        return Comparison(name, row.op, row)


def parse(text: str, vocabulary: Vocabulary) -> Expr:
    """The condition `text`, checked against the names and thresholds that exist."""
    return _Parser(text, vocabulary).parse()


# --- evaluation ---------------------------------------------------------------------------


def evaluate(expr: Expr, values: Mapping[str, Value]) -> Truth:
    """Kleene three-valued truth of `expr` for one person's named values."""
    match expr:
        case Comparison(name=name, threshold=row):
            reading = values[name]
            return row.holds(reading) if isinstance(reading, Reading) else None
        case Fact(name=name):
            fact = values[name]
            return fact if fact is None or isinstance(fact, bool) else None
        case Known(name=name):
            return values[name] is not None
        case Constant(value=value):
            return value
        case Not(operand=operand):
            truth = evaluate(operand, values)
            return None if truth is None else not truth
        case And(operands=operands):
            result: Truth = True
            for operand in operands:
                truth = evaluate(operand, values)
                if truth is False:
                    return False
                if truth is None:
                    result = None
            return result
        case Or(operands=operands):
            result = False
            for operand in operands:
                truth = evaluate(operand, values)
                if truth is True:
                    return True
                if truth is None:
                    result = None
            return result


Test = Callable[[Mapping[str, Value]], Truth]
Check = Callable[[Mapping[str, Value]], bool]


def _definitely(expr: Expr, want: bool) -> str:
    """Python source, over a mapping `v`, that is True exactly when `expr` is surely `want`.

    Kleene logic in two-valued pieces: "a and b" is surely true when both are, surely
    false when either is; "not a" is surely true when a is surely false. Unknown is
    whatever is neither, so Python's own short-circuiting `and`/`or` can do the work.
    """
    match expr:
        case Comparison(name=name, op=op, threshold=row):
            # A quantity is a Reading or None (values.txt); None is never surely anything.
            method = _OP_NAMES[op]
            return f"((_r := v[{name!r}]) is not None and _r.{method}({row.value!r}) is {want})"
        case Fact(name=name):
            return f"(v[{name!r}] is {want})"
        case Known(name=name):
            return f"(v[{name!r}] is {'not ' if want else ''}None)"
        case Constant(value=value):
            return repr(value is want)
        case Not(operand=operand):
            return _definitely(operand, not want)
        case And(operands=operands) | Or(operands=operands):
            joiner = " and " if isinstance(expr, And) == want else " or "
            return "(" + joiner.join(_definitely(o, want) for o in operands) + ")"


_OP_NAMES: Mapping[str, str] = {"<": "lt", "<=": "le", ">": "gt", ">=": "ge"}


def compile_checks(expr: Expr) -> tuple[Check, Test, tuple[Test, ...]]:
    """(surely true, three-valued truth) of `expr`, as Python functions built once at load.

    The engine runs every rule and finding condition for every person; generated code with
    Python's own short-circuiting takes 120-165 ns a condition against 730 ns for walking
    the tree (docs/decisions.md, 10). `evaluate` stays the reference; a test keeps them equal.
    """
    # One compile for the condition and each of its comparisons (compiling is most of this
    # module's share of a cold start); the code names nothing but its argument.
    per_comparison = "".join(f"{_three_valued(c)}, " for c in comparisons(expr))
    source = f"(lambda v: {_definitely(expr, True)}, {_three_valued(expr)}, ({per_comparison}))"
    functions: tuple[Check, Test, tuple[Test, ...]] = eval(
        compile(source, "<condition>", "eval"), {"__builtins__": {}}
    )
    return functions


def _three_valued(expr: Expr) -> str:
    surely_true, surely_false = _definitely(expr, True), _definitely(expr, False)
    return f"lambda v: True if {surely_true} else False if {surely_false} else None"


@dataclass(frozen=True, slots=True)
class Condition:
    """A parsed condition, ready to run: its text, tree, compiled test, comparisons, names."""

    text: str
    expr: Expr
    holds: Check  # surely true
    test: Test  # true, false or unknown
    checks: tuple[tuple[Comparison, Test], ...]  # each comparison, for explanations
    reads: tuple[str, ...]


def condition_of(text: str, vocabulary: Vocabulary) -> Condition:
    """Parse, check and compile a condition once, when its table loads."""
    expr = parse(text, vocabulary)
    holds, test, tests = compile_checks(expr)
    return Condition(
        text=text,
        expr=expr,
        holds=holds,
        test=test,
        checks=tuple(zip(comparisons(expr), tests, strict=True)),
        reads=tuple(dict.fromkeys(names(expr))),
    )


def comparisons(expr: Expr) -> Iterator[Comparison]:
    """Every comparison in `expr`, in reading order (for explanations)."""
    match expr:
        case Comparison():
            yield expr
        case Not(operand=operand):
            yield from comparisons(operand)
        case And(operands=operands) | Or(operands=operands):
            for operand in operands:
                yield from comparisons(operand)
        case _:
            return


def names(expr: Expr) -> Iterator[str]:
    """Every value name `expr` reads."""
    match expr:
        case Comparison(name=name) | Fact(name=name) | Known(name=name):
            yield name
        case Not(operand=operand):
            yield from names(operand)
        case And(operands=operands) | Or(operands=operands):
            for operand in operands:
                yield from names(operand)
        case _:
            return
