"""Properties of the parser on generated input.

Whatever the text, parse() returns a tree or raises QueryError (never a lark, recursion or
other error) whose span lies inside the text; whatever it returns, its canonical text parses
back to the same tree. And every tree the language can express survives to_text -> parse.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from phonelist.segments.ast import (
    And,
    Compare,
    InList,
    IsSet,
    Node,
    Not,
    Or,
    Value,
    strip_positions,
    to_text,
)
from phonelist.segments.errors import QueryError
from phonelist.segments.parse import MAX_DEPTH, MAX_LENGTH, parse

FUZZ = settings(max_examples=400, deadline=None)

KEYWORDS = {"AND", "OR", "NOT", "IN", "HAS", "IS", "SET"}
BOOLS = {"true": True, "yes": True, "false": False, "no": False}


def holds_up(text: str) -> None:
    """parse(text) either fails cleanly at a place in the text or round-trips."""
    try:
        node = parse(text)
    except QueryError as error:
        assert 0 <= error.pos <= len(text)
        assert error.end is None or error.pos <= error.end <= len(text)
        # Every rejection is explained; these two are the parser's "don't know why".
        assert error.message not in ("could not read the query", "unexpected end of the query")
        assert error.__cause__ is None
        assert str(error).startswith(error.message)
        return
    if len(to_text(node)) > MAX_LENGTH:
        return  # normal form spells out implicit ANDs; saving keeps the text as written then
    again = parse(to_text(node))
    assert strip_positions(again) == strip_positions(node)
    assert to_text(again) == to_text(node)


@FUZZ
@given(st.text(max_size=300))
def test_any_text(text: str) -> None:
    holds_up(text)


@FUZZ
@given(st.binary(max_size=300))
def test_any_bytes_decoded(data: bytes) -> None:
    holds_up(data.decode("utf-8", errors="replace"))


QUERY_CHARACTERS = "ab xyz.=!<>~()\"',-+:@/0123456789TZdmyh_\\\n\tANDORNOTINHASISSET"


@FUZZ
@given(st.text(alphabet=QUERY_CHARACTERS, max_size=120))
def test_text_from_the_query_alphabet(text: str) -> None:
    holds_up(text)


PIECES = [
    *("AND", "and", "OR", "Or", "NOT", "not", "IN", "in", "HAS", "has", "IS", "is", "SET", "set"),
    *("=", "==", "!=", "<>", "~", ">", ">=", "<", "<=", "=>", "=<", "!", "&&", "||"),
    *("(", ")", "(", ")", ",", '"', "'", '"x y"', "'it\\'s'", '"a\\\\b"', '"\\q"', "\\"),
    *("country", "Country", "consent.sms.marketing", "custom.plan", "a", "b", "tag", "a..b"),
    *("PT", "vip", "1", "-1.5", "007", "-30d", "+1d", "-6m", "2026-01-01", "2026-13-40"),
    *("2026-01-01T10:00Z", "2026-01-01T10:00", "2026-1-1", "yes", "no", "TRUE", "a@b.pt"),
    *("+351912345678", "+351", "912", "#", "ã", "\x00", "\t", "\n"),
]
SEPARATORS = ["", " ", " ", "  ", "\n"]


@FUZZ
@given(st.lists(st.tuples(st.sampled_from(PIECES), st.sampled_from(SEPARATORS)), max_size=40))
def test_token_soup(pieces: list[tuple[str, str]]) -> None:
    holds_up("".join(piece + separator for piece, separator in pieces))


CONDITIONS = [
    *("a = 1", "country = PT", "tag != 'x y'", "created > -30d", "d <= 2026-01-31T10:00Z"),
    *("has email", "b is set", "c IS NOT SET", "s in (x, 'y', 3,)", "s not in (1)", "r = yes"),
]
CONNECTORS = ["AND", "OR", "NOT", "(", ")", ""]


@FUZZ
@given(
    st.lists(
        st.one_of(
            st.sampled_from(CONDITIONS), st.sampled_from(CONNECTORS), st.sampled_from(PIECES)
        ),
        max_size=25,
    )
)
def test_near_queries(pieces: list[str]) -> None:
    """Mostly whole conditions and connectors, so many parse and errors come late."""
    holds_up(" ".join(pieces))


@settings(max_examples=50, deadline=None)
@given(st.integers(MAX_LENGTH - 5, MAX_LENGTH * 3), st.sampled_from(["(", "NOT ", "a = 1 ", ")"]))
def test_long_and_deep_text(length: int, piece: str) -> None:
    holds_up((piece * length)[:length])


# -- every expressible tree round-trips ---------------------------------------------------------

fields = st.from_regex(r"[a-z_][a-z0-9_]{0,6}(\.[a-z_][a-z0-9_]{0,6}){0,2}", fullmatch=True).filter(
    lambda f: f.upper() not in KEYWORDS
)


def value(kind: str, raw: str, parsed: object) -> Value:
    return Value(kind=kind, raw=raw, parsed=parsed)  # type: ignore[arg-type]


string_characters = st.one_of(
    st.sampled_from("\\\"' ()=,"),
    st.characters(exclude_characters="\r\n"),
)
strings = st.text(alphabet=string_characters, max_size=12).map(lambda s: value("string", s, s))
numbers = st.from_regex(r"-?[0-9]{1,6}(\.[0-9]{1,3})?", fullmatch=True).map(
    lambda raw: value("number", raw, float(raw))
)
reldates = st.from_regex(r"[+-][0-9]{1,4}[hdwmy]", fullmatch=True).map(
    lambda raw: value("reldate", raw, (int(raw[:-1]), raw[-1]))
)
dates = st.dates().map(lambda d: value("date", f"{d.year:04d}-{d.month:02d}-{d.day:02d}", d))


@st.composite
def datetimes(draw: st.DrawFn) -> Value:
    at = draw(st.datetimes()).replace(microsecond=0)
    seconds, zulu = draw(st.booleans()), draw(st.booleans())
    raw = f"{at.year:04d}-{at.month:02d}-{at.day:02d}T{at.hour:02d}:{at.minute:02d}"
    raw += f":{at.second:02d}" if seconds else ""
    raw += "Z" if zulu else ""
    parsed = at.replace(second=at.second if seconds else 0, tzinfo=dt.UTC)
    return value("datetime", raw, parsed)


words = st.one_of(
    st.from_regex(r"[A-Za-z@][A-Za-z0-9_+@.:/-]{0,10}", fullmatch=True).filter(
        lambda w: w.upper() not in KEYWORDS and w.lower() not in BOOLS
    ),
    st.sampled_from(["+351912345678", "-", "+5", "12abc", "1.2.3", "-30D", "a@b.pt", "10:30"]),
).map(lambda w: value("word", w, w))
bools = st.sampled_from(["yes", "no", "true", "false", "YES", "False"]).map(
    lambda b: value("bool", b, BOOLS[b.lower()])
)
values = st.one_of(strings, numbers, reldates, dates, datetimes(), words, bools)

leaves = st.one_of(
    st.builds(
        Compare,
        field=fields,
        op=st.sampled_from(["=", "!=", "~", ">", ">=", "<", "<="]),
        value=values,
    ),
    st.builds(
        InList,
        field=fields,
        values=st.lists(values, min_size=1, max_size=4).map(tuple),
        negated=st.booleans(),
    ),
    st.builds(IsSet, field=fields, negated=st.booleans()),
)


def joined(kind: type[And] | type[Or]) -> Callable[[list[Node]], Node]:
    def build(operands: list[Node]) -> Node:
        flat: list[Node] = []
        for operand in operands:
            flat.extend(operand.operands if isinstance(operand, kind) else (operand,))
        return kind(operands=tuple(flat))

    return build


trees = st.recursive(
    leaves,
    lambda children: st.one_of(
        children.map(lambda n: Not(operand=n)),
        st.lists(children, min_size=2, max_size=4).map(joined(And)),
        st.lists(children, min_size=2, max_size=4).map(joined(Or)),
    ),
    max_leaves=12,
)


def nesting(node: Node) -> int:
    """How many NOTs and parentheses to_text puts around the deepest condition."""
    if isinstance(node, Not):
        return 1 + nesting(node.operand)
    if isinstance(node, And | Or):
        return max(nesting(o) + isinstance(o, And | Or) for o in node.operands)
    return 0


@settings(max_examples=300, deadline=None)
@given(trees)
def test_every_tree_round_trips_through_text(node: Node) -> None:
    text = to_text(node)
    assume(nesting(node) <= MAX_DEPTH and len(text) <= MAX_LENGTH)
    assert strip_positions(parse(text)) == node
