"""The segment query grammar: every operator, value kind, keyword and precedence rule, on tables.

Trees are compared without positions (``strip_positions``) except in the tests about positions.
"""

from __future__ import annotations

import datetime as dt

import pytest

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
from phonelist.segments.parse import MAX_DEPTH, MAX_IN_VALUES, parse

UTC = dt.UTC


def tree(text: str) -> Node:
    return strip_positions(parse(text))


def word(raw: str) -> Value:
    return Value(kind="word", raw=raw, parsed=raw)


def num(raw: str) -> Value:
    return Value(kind="number", raw=raw, parsed=float(raw))


def cmp(field: str, value: Value | str | int, op: str = "=") -> Compare:
    if isinstance(value, int):
        value = num(str(value))
    elif isinstance(value, str):
        value = word(value)
    return Compare(field=field, op=op, value=value)  # type: ignore[arg-type]


A, B, C, D = cmp("a", 1), cmp("b", 2), cmp("c", 3), cmp("d", 4)


# -- operators ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "op"),
    [
        ("a = 1", "="),
        ("a == 1", "="),
        ("a != 1", "!="),
        ("a <> 1", "!="),
        ("a ~ 1", "~"),
        ("a > 1", ">"),
        ("a >= 1", ">="),
        ("a < 1", "<"),
        ("a <= 1", "<="),
        ("a>=1", ">="),
        ("a<>1", "!="),
        ("a~1", "~"),
    ],
)
def test_every_operator(text: str, op: str) -> None:
    assert tree(text) == cmp("a", 1, op)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "status in (customer, lead)",
            InList(field="status", values=(word("customer"), word("lead"))),
        ),
        (
            "status IN (customer, lead,)",
            InList(field="status", values=(word("customer"), word("lead"))),
        ),
        ("status in (customer)", InList(field="status", values=(word("customer"),))),
        ("status in (customer,)", InList(field="status", values=(word("customer"),))),
        ("n in (1,2,3)", InList(field="n", values=(num("1"), num("2"), num("3")))),
        (
            'tag not in ("a b", vip)',
            InList(
                field="tag",
                values=(Value(kind="string", raw="a b", parsed="a b"), word("vip")),
                negated=True,
            ),
        ),
        ("tag NOT IN (spam,)", InList(field="tag", values=(word("spam"),), negated=True)),
        ("email is set", IsSet(field="email")),
        ("email IS NOT SET", IsSet(field="email", negated=True)),
        ("has email", IsSet(field="email")),
        ("HAS custom.plan", IsSet(field="custom.plan")),
    ],
)
def test_lists_and_presence(text: str, expected: Node) -> None:
    assert tree(text) == expected


def test_in_list_holds_up_to_the_limit() -> None:
    values = ", ".join(str(i) for i in range(MAX_IN_VALUES))
    node = parse(f"n in ({values})")
    assert isinstance(node, InList)
    assert len(node.values) == MAX_IN_VALUES


# -- structure and precedence -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a = 1 AND b = 2", And(operands=(A, B))),
        ("a = 1 b = 2", And(operands=(A, B))),
        ("a = 1 OR b = 2", Or(operands=(A, B))),
        ("a = 1 OR b = 2 c = 3", Or(operands=(A, And(operands=(B, C))))),
        ("a = 1 OR b = 2 AND c = 3", Or(operands=(A, And(operands=(B, C))))),
        ("a = 1 AND b = 2 OR c = 3", Or(operands=(And(operands=(A, B)), C))),
        ("(a = 1 OR b = 2) c = 3", And(operands=(Or(operands=(A, B)), C))),
        ("a = 1 (b = 2 OR c = 3)", And(operands=(A, Or(operands=(B, C))))),
        ("NOT a = 1", Not(operand=A)),
        ("NOT a = 1 AND b = 2", And(operands=(Not(operand=A), B))),
        ("NOT a = 1 OR b = 2", Or(operands=(Not(operand=A), B))),
        ("NOT (a = 1 OR b = 2)", Not(operand=Or(operands=(A, B)))),
        ("NOT NOT a = 1", Not(operand=Not(operand=A))),
        ("a = 1 NOT b = 2", And(operands=(A, Not(operand=B)))),
        ("((a = 1))", A),
        ("(a = 1)", A),
        ("a = 1 AND b = 2 AND c = 3", And(operands=(A, B, C))),
        ("(a = 1 AND b = 2) AND c = 3", And(operands=(A, B, C))),
        ("a = 1 (b = 2 c = 3) d = 4", And(operands=(A, B, C, D))),
        ("a = 1 OR (b = 2 OR c = 3) OR d = 4", Or(operands=(A, B, C, D))),
        ("(a = 1 OR b = 2) OR (c = 3 OR d = 4)", Or(operands=(A, B, C, D))),
        (
            "(a = 1 AND b = 2) OR (c = 3 AND d = 4)",
            Or(operands=(And(operands=(A, B)), And(operands=(C, D)))),
        ),
        ("NOT (a = 1 AND b = 2) c = 3", And(operands=(Not(operand=And(operands=(A, B))), C))),
        ("has a b = 2", And(operands=(IsSet(field="a"), B))),
        ("a is set b is not set", And(operands=(IsSet(field="a"), IsSet(field="b", negated=True)))),
    ],
)
def test_structure(text: str, expected: Node) -> None:
    assert tree(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "a = 1 and b = 2 or not c = 3",
        "a = 1 AnD b = 2 oR NoT c = 3",
        "A = 1 AND B = 2 OR NOT C = 3",
    ],
)
def test_keywords_and_fields_ignore_case(text: str) -> None:
    assert tree(text) == Or(operands=(And(operands=(A, B)), Not(operand=C)))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("x In (1)", InList(field="x", values=(num("1"),))),
        ("x nOt iN (1)", InList(field="x", values=(num("1"),), negated=True)),
        ("x iS sEt", IsSet(field="x")),
        ("x Is NoT sEt", IsSet(field="x", negated=True)),
        ("hAs x", IsSet(field="x")),
    ],
)
def test_list_and_presence_keywords_ignore_case(text: str, expected: Node) -> None:
    assert tree(text) == expected


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ("Country = 1", "country"),
        ("consent.SMS.Marketing = 1", "consent.sms.marketing"),
        ("custom.Plan_2 = 1", "custom.plan_2"),
        ("_x.y = 1", "_x.y"),
        ("yes = 1", "yes"),
    ],
)
def test_dotted_fields_are_lower_cased(text: str, field: str) -> None:
    node = parse(text)
    assert isinstance(node, Compare)
    assert node.field == field


def test_nesting_up_to_the_limit_parses() -> None:
    assert tree("(" * MAX_DEPTH + "a = 1" + ")" * MAX_DEPTH) == A
    assert tree("NOT " * MAX_DEPTH + "a = 1") is not None
    half = MAX_DEPTH // 2
    assert tree("NOT (" * half + "a = 1" + ")" * half) is not None


# -- values -------------------------------------------------------------------------------------


def val(kind: str, raw: str, parsed: object) -> Value:
    return Value(kind=kind, raw=raw, parsed=parsed)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ('"PT"', val("string", "PT", "PT")),
        ("'PT'", val("string", "PT", "PT")),
        ('""', val("string", "", "")),
        ('"+351 912 345 678"', val("string", "+351 912 345 678", "+351 912 345 678")),
        (r'"say \"hi\""', val("string", 'say "hi"', 'say "hi"')),
        (r"'it\'s'", val("string", "it's", "it's")),
        (r'"a\\b"', val("string", "a\\b", "a\\b")),
        (r"'a\"b'", val("string", 'a"b', 'a"b')),
        ('"it\'s"', val("string", "it's", "it's")),
        ("'say \"hi\"'", val("string", 'say "hi"', 'say "hi"')),
        ('"and"', val("string", "and", "and")),
        ('"São Paulo"', val("string", "São Paulo", "São Paulo")),
        ('"a ( ) , = b"', val("string", "a ( ) , = b", "a ( ) , = b")),
        ("42", val("number", "42", 42.0)),
        ("-7", val("number", "-7", -7.0)),
        ("3.25", val("number", "3.25", 3.25)),
        ("-0.5", val("number", "-0.5", -0.5)),
        ("007", val("number", "007", 7.0)),
        ("-30d", val("reldate", "-30d", (-30, "d"))),
        ("+1d", val("reldate", "+1d", (1, "d"))),
        ("-2w", val("reldate", "-2w", (-2, "w"))),
        ("-6m", val("reldate", "-6m", (-6, "m"))),
        ("-1y", val("reldate", "-1y", (-1, "y"))),
        ("-12h", val("reldate", "-12h", (-12, "h"))),
        ("2026-01-31", val("date", "2026-01-31", dt.date(2026, 1, 31))),
        ("2024-02-29", val("date", "2024-02-29", dt.date(2024, 2, 29))),
        (
            "2026-01-31T09:30",
            val("datetime", "2026-01-31T09:30", dt.datetime(2026, 1, 31, 9, 30, tzinfo=UTC)),
        ),
        (
            "2026-01-31T09:30Z",
            val("datetime", "2026-01-31T09:30Z", dt.datetime(2026, 1, 31, 9, 30, tzinfo=UTC)),
        ),
        (
            "2026-01-31T09:30:15Z",
            val(
                "datetime", "2026-01-31T09:30:15Z", dt.datetime(2026, 1, 31, 9, 30, 15, tzinfo=UTC)
            ),
        ),
        (
            "2026-01-31T23:59:59",
            val(
                "datetime", "2026-01-31T23:59:59", dt.datetime(2026, 1, 31, 23, 59, 59, tzinfo=UTC)
            ),
        ),
        ("PT", val("word", "PT", "PT")),
        ("vip", val("word", "vip", "vip")),
        ("Lisboa", val("word", "Lisboa", "Lisboa")),
        ("a@b.pt", val("word", "a@b.pt", "a@b.pt")),
        ("+351912345678", val("word", "+351912345678", "+351912345678")),
        ("https://x.pt/a", val("word", "https://x.pt/a", "https://x.pt/a")),
        ("10:30", val("word", "10:30", "10:30")),
        ("12abc", val("word", "12abc", "12abc")),
        ("1.2.3", val("word", "1.2.3", "1.2.3")),
        ("+5", val("word", "+5", "+5")),
        ("-30D", val("word", "-30D", "-30D")),
        ("-", val("word", "-", "-")),
        ("a.b", val("word", "a.b", "a.b")),
        ("yes", val("bool", "yes", True)),
        ("no", val("bool", "no", False)),
        ("true", val("bool", "true", True)),
        ("false", val("bool", "false", False)),
        ("YES", val("bool", "YES", True)),
        ("False", val("bool", "False", False)),
    ],
)
def test_every_value_kind(written: str, expected: Value) -> None:
    node = tree(f"x = {written}")
    assert isinstance(node, Compare)
    assert node.value == expected


def test_datetimes_are_aware_utc() -> None:
    node = parse("x > 2026-03-29T01:30")
    assert isinstance(node, Compare)
    assert isinstance(node.value.parsed, dt.datetime)
    assert node.value.parsed.utcoffset() == dt.timedelta(0)


# -- positions ----------------------------------------------------------------------------------


def test_positions_point_at_the_words() -> None:
    text = 'NOT Country >= "PT"  tag in (vip, x)  has email'
    node = parse(text)
    assert isinstance(node, And)
    negation, in_list, has = node.operands
    assert isinstance(negation, Not)
    assert negation.pos == 0
    compare = negation.operand
    assert isinstance(compare, Compare)
    assert text[compare.field_pos : compare.field_end] == "Country"
    assert text[compare.op_pos : compare.op_pos + 2] == ">="
    assert text[compare.value.pos : compare.value.end] == '"PT"'
    assert isinstance(in_list, InList)
    assert text[in_list.field_pos : in_list.field_end] == "tag"
    assert [text[v.pos : v.end] for v in in_list.values] == ["vip", "x"]
    assert isinstance(has, IsSet)
    assert text[has.field_pos : has.field_end] == "email"


def test_strip_positions_keeps_everything_else() -> None:
    node = parse("a = 1 OR NOT b in (x) c is set")
    stripped = strip_positions(node)
    assert stripped != node
    assert stripped == strip_positions(parse("a=1   OR\n NOT b IN (x,) AND c IS SET"))


# -- canonical text -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "canonical"),
    [
        ("a == 1", "a = 1"),
        ("a<>x", "a != x"),
        ("Tag = vip", "tag = vip"),
        ("a = 'x'", 'a = "x"'),
        (r"a = 'say \"hi\" \\ it\'s'", r'a = "say \"hi\" \\ it' + "'s\""),
        ("a = 1 b = 2", "a = 1 AND b = 2"),
        ("a = 1 or b = 2 c = 3", "a = 1 OR (b = 2 AND c = 3)"),
        ("(a = 1 or b = 2) c = 3", "(a = 1 OR b = 2) AND c = 3"),
        ("not (a = 1 b = 2)", "NOT (a = 1 AND b = 2)"),
        ("not not a = 1", "NOT NOT a = 1"),
        ("((a = 1))", "a = 1"),
        ("has email", "email IS SET"),
        ("x is not set", "x IS NOT SET"),
        ("s in (a, 'b c',)", 's IN (a, "b c")'),
        ("s not in (1)", "s NOT IN (1)"),
        ("d > -30d", "d > -30d"),
        ("d > 2026-01-01T10:00Z", "d > 2026-01-01T10:00Z"),
        ("r = Yes", "r = Yes"),
        ("n = -1.50", "n = -1.50"),
    ],
)
def test_to_text_is_canonical(text: str, canonical: str) -> None:
    assert to_text(parse(text)) == canonical
    assert tree(canonical) == tree(text)


ROUND_TRIP = [
    'country = "PT" AND tag = vip',
    "consent.sms.marketing = granted NOT suppressed = yes",
    '(city ~ lisb OR postal_code ~ "1200") AND created > -30d',
    "status in (customer, lead)  tag != spam  has email  custom.plan is set  region is not set",
    'sent.last > -7d  replied = yes  segment = "VIP"  number = "+351 912 345 678"',
    "email = a@b.pt OR number = +351912345678",
    "not (a = 1 or not (b = 2 c = 3)) or d in (x, 'y', 2026-01-01, -2w, 1.5, no)",
]


@pytest.mark.parametrize("text", ROUND_TRIP)
def test_to_text_round_trips(text: str) -> None:
    node = parse(text)
    again = parse(to_text(node))
    assert strip_positions(again) == strip_positions(node)
    assert to_text(again) == to_text(node)
