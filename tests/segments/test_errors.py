"""Rejected queries: the exact message, the span it points at, and the caret under it."""

from __future__ import annotations

import pytest

from phonelist.errors import ValidationError
from phonelist.segments.errors import QueryError, suggest, where
from phonelist.segments.parse import MAX_DEPTH, MAX_IN_VALUES, MAX_LENGTH, parse


def rejected(text: str) -> QueryError:
    with pytest.raises(QueryError) as caught:
        parse(text)
    return caught.value


IN_EXAMPLE = "write the values in parentheses, e.g. status IN (customer, lead)"


@pytest.mark.parametrize(
    ("text", "message", "pos", "end"),
    [
        ("", "empty query", 0, None),
        ("   \n\t ", "empty query", 0, None),
        ('country = "PT', "unterminated string", 10, 13),
        ("country = 'PT\nAND x = 1", "unterminated string", 10, 13),
        ('a = "ends in a backslash\\', "unterminated string", 4, 25),
        ('a = "x\\d"', "unknown escape '\\d' in a string (write \\\\ for a backslash)", 6, 8),
        ("country =", "expected a value after '='", 9, None),
        ("country =   ", "expected a value after '='", 9, None),
        ("country = , x", "expected a value after '=', got ','", 10, 11),
        (
            "country = AND x = 1",
            "expected a value after '=', got 'AND' — to use it as a value, "
            'put it in quotes: "AND"',
            10,
            13,
        ),
        ("country == = 1", "expected a value after '==', got '='", 11, 12),
        ("country = )", "unexpected ')': there is no '(' to close", 10, 11),
        ("(country = )", "expected a value after '=', got ')'", 11, 12),
        ("(a = 1", "expected ')' to close the '(' at column 1", 6, None),
        ("x = 1 AND (a = 1 OR (b = 2)", "expected ')' to close the '(' at column 11", 27, None),
        ("a in (1, 2", "expected ')' to close the '(' at column 6", 10, None),
        ("a = 1)", "unexpected ')': there is no '(' to close", 5, 6),
        (")", "unexpected ')': there is no '(' to close", 0, 1),
        ("(a = 1))", "unexpected ')': there is no '(' to close", 7, 8),
        ("a = 1 AND IN", "unexpected 'IN'", 10, 12),
        ("a = 1 SET", "unexpected 'SET'", 6, 9),
        ("a = 1 b = 2 in (1)", "unexpected 'in'", 12, 14),
        ("a => 1", "unknown operator '=>' — did you mean '>='?", 2, 4),
        ("a =< 1", "unknown operator '=<' — did you mean '<='?", 2, 4),
        ("a === 1", "unknown operator '===' — did you mean '='?", 2, 5),
        ("!has email", "unknown operator '!' — did you mean 'NOT'?", 0, 1),
        ("a >< 1", "unknown operator '><'", 2, 4),
        ("AND a = 1", "unexpected 'AND'", 0, 3),
        ("and a = 1", "unexpected 'and'", 0, 3),
        ("OR a = 1", "unexpected 'OR'", 0, 2),
        ("a = 1 OR", "expected a condition after 'OR'", 8, None),
        ("a = 1 and ", "expected a condition after 'and'", 9, None),
        ("a = 1 NOT", "expected a condition after 'NOT'", 9, None),
        ("a = 1 AND OR b = 2", "unexpected 'OR'", 10, 12),
        ("a = 2026-13-40", "not a date: '2026-13-40' (write dates as YYYY-MM-DD)", 4, 14),
        ("a = 2025-02-29", "not a date: '2025-02-29' (write dates as YYYY-MM-DD)", 4, 14),
        ("a = 2026-1-5", "not a date: '2026-1-5' (write dates as YYYY-MM-DD)", 4, 12),
        (
            "a > 2026-01-01T25:00Z",
            "not a date and time: '2026-01-01T25:00Z' "
            "(write YYYY-MM-DDTHH:MM, optionally :SS and Z)",
            4,
            21,
        ),
        (
            "a > 2026-01-01T10:00+01:00",
            "not a date and time: '2026-01-01T10:00+01:00' "
            "(write YYYY-MM-DDTHH:MM, optionally :SS and Z)",
            4,
            26,
        ),
        ("status in customer", f"expected '(' after 'in', got 'customer' — {IN_EXAMPLE}", 10, 18),
        (
            "status not in customer",
            f"expected '(' after 'in', got 'customer' — {IN_EXAMPLE}",
            14,
            22,
        ),
        ("status in", f"expected '(' after 'in' — {IN_EXAMPLE}", 9, None),
        ("status in ()", "an IN list needs at least one value", 11, 12),
        ("status in (,)", "expected a value in the IN list, got ','", 11, 12),
        ("status in (a,,b)", "expected a value in the IN list, got ','", 13, 14),
        ("status in (a 'b')", "expected ',' or ')' in the IN list, got \"'b'\"", 13, 16),
        ("status in (a) = 1", "unexpected '='", 14, 15),
        ("country PT", "expected an operator after 'country', got 'PT'", 8, 10),
        ("country", "expected an operator after 'country'", 7, None),
        ("x is", "expected SET or NOT SET after 'is'", 4, None),
        ("x is y", "expected SET or NOT SET after 'is', got 'y'", 5, 6),
        ("x IS NOT y", "expected SET after 'IS NOT', got 'y'", 9, 10),
        ("x NOT y", "expected IN after 'NOT', got 'y'", 6, 7),
        ("has", "expected a field name after 'has'", 3, None),
        ("has 5", "expected a field name after 'has', got '5'", 4, 5),
        ("= 1", "expected a field name before '='", 0, 1),
        ("5 = 1", "expected a field name, got '5'", 0, 1),
        ("a.. = 1", "expected a field name, got 'a..'", 0, 3),
        ("a = 1 , b = 2", "unexpected ','", 6, 7),
        ("()", "empty parentheses", 1, 2),
        ("a = 1 AND ()", "empty parentheses", 11, 12),
        ("NOT )", "unexpected ')': there is no '(' to close", 4, 5),
        ("(NOT )", "expected a condition after 'NOT'", 5, 6),
        ("a = 1 && b = 2", "unexpected '&&' — write AND", 6, 8),
        ("a = 1 || b = 2", "unexpected '||' — write OR", 6, 8),
        (
            "city = São Paulo",
            "expected an operator after 'Paulo' — to match a value with spaces, put it in "
            'quotes: "São Paulo"',
            16,
            None,
        ),
        ("a = 1 # note", "unexpected character '#' — put values that hold it in quotes", 6, 7),
        ("a = \x00", "unexpected character '\\x00' — put values that hold it in quotes", 4, 5),
    ],
)
def test_message_and_position(text: str, message: str, pos: int, end: int | None) -> None:
    error = rejected(text)
    assert (error.message, error.pos, error.end) == (message, pos, end)


@pytest.mark.parametrize(
    ("text", "message", "suggestion"),
    [
        (
            "country = Costa Rica",
            "expected an operator after 'Rica' — to match a value with spaces, "
            'put it in quotes: "Costa Rica"',
            '"Costa Rica"',
        ),
        (
            "city = Rio de Janeiro AND x = 1",
            "expected an operator after 'de', got 'Janeiro' — to match a value with spaces, "
            'put it in quotes: "Rio de Janeiro"',
            '"Rio de Janeiro"',
        ),
        (
            "number = +351 912 345 678",
            "unexpected '912' — to match a value with spaces, put it in quotes: "
            '"+351 912 345 678"',
            '"+351 912 345 678"',
        ),
        (
            "city in (Porto, Costa Rica)",
            "expected ',' or ')' in the IN list, got 'Rica' — to match a value with spaces, "
            'put it in quotes: "Costa Rica"',
            '"Costa Rica"',
        ),
        (
            "tag = set",
            "expected a value after '=', got 'set' — to use it as a value, "
            'put it in quotes: "set"',
            '"set"',
        ),
        (
            '"country" = PT',
            "expected a field name, got '\"country\"' — write field names without quotes",
            "country",
        ),
        ("a => 1", "unknown operator '=>' — did you mean '>='?", ">="),
        ("a = 1 && b = 2", "unexpected '&&' — write AND", "AND"),
        ("(x is set) a", "expected an operator after 'a'", None),
    ],
)
def test_suggestions(text: str, message: str, suggestion: str | None) -> None:
    error = rejected(text)
    assert error.message == message
    assert error.suggestion == suggestion
    assert error.details["suggestion"] == suggestion


def test_too_long() -> None:
    text = "a = 1 " + "x" * MAX_LENGTH
    error = rejected(text)
    assert error.message == f"query is too long: {len(text):,} characters (at most 4,000)"
    assert (error.pos, error.end) == (MAX_LENGTH, len(text))


def test_exactly_the_longest_query_is_read() -> None:
    text = "a = " + "x" * (MAX_LENGTH - 4)
    assert len(text) == MAX_LENGTH
    parse(text)


@pytest.mark.parametrize("count", [10_000, 1_000_000])
def test_huge_nesting_is_a_query_error_not_a_recursion_error(count: int) -> None:
    error = rejected("(" * count + "a = 1" + ")" * count)
    assert error.message.startswith("query is too long")


DEEP = f"nested too deeply (at most {MAX_DEPTH} levels of parentheses and NOT)"


def test_too_many_parentheses_point_at_the_first_one_too_deep() -> None:
    depth = MAX_DEPTH + 1
    error = rejected("(" * depth + "a = 1" + ")" * depth)
    assert (error.message, error.pos, error.end) == (DEEP, MAX_DEPTH, MAX_DEPTH + 1)


def test_unclosed_parentheses_past_the_limit_are_too_deep() -> None:
    error = rejected("(" * 3_000)
    assert (error.message, error.pos) == (DEEP, MAX_DEPTH)


def test_in_list_parentheses_do_not_count_as_nesting() -> None:
    parse("(" * MAX_DEPTH + "a in (1)" + ")" * MAX_DEPTH)


@pytest.mark.parametrize(
    "text",
    [
        "NOT " * (MAX_DEPTH + 1) + "a = 1",
        "NOT " * 900 + "a = 1",
        "NOT (" * 26 + "a = 1" + ")" * 26,
        "(NOT " * 26 + "a = 1" + ")" * 26,
    ],
)
def test_deep_not_chains_are_too_deep(text: str) -> None:
    error = rejected(text)
    assert error.message == DEEP
    assert text[error.pos : error.end] in ("NOT", "(")


def test_too_many_values_in_an_in_list() -> None:
    values = [str(i) for i in range(MAX_IN_VALUES + 1)]
    text = f"n in ({', '.join(values)})"
    error = rejected(text)
    assert error.message == "too many values in the IN list (at most 500)"
    assert text[error.pos : error.end] == "500"


# -- caret, str and the error's shape -----------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "caret"),
    [
        ("contry PT", "contry PT\n       ^^"),
        ("a = 1)", "a = 1)\n     ^"),
        ("country =", "country =\n         ^"),
        ('country = "PT', 'country = "PT\n          ^^^'),
        ("", "\n^"),
        ("\ta\t=> 1", "\ta\t=> 1\n\t \t^^"),
    ],
)
def test_caret(text: str, caret: str) -> None:
    assert rejected(text).caret() == caret


def test_a_multi_line_query_shows_only_the_bad_line() -> None:
    text = 'country = PT\nAND tag = "vip\nAND has email'
    error = rejected(text)
    assert error.caret() == 'AND tag = "vip\n          ^^^^'
    assert (
        str(error) == 'unterminated string (at line 2, column 11)\nAND tag = "vip\n          ^^^^'
    )


def test_a_multi_line_query_at_its_end() -> None:
    error = rejected("country = PT\nAND\n")
    assert error.message == "expected a condition after 'AND'"
    assert error.caret() == "AND\n   ^"
    assert str(error).splitlines()[0] == "expected a condition after 'AND' (at line 2, column 4)"


def test_long_lines_are_cut_around_the_error() -> None:
    text = "a = 1 " * 100 + "=> 2" + " b = 2" * 100
    error = rejected(text)
    line, marks = error.caret().splitlines()
    assert line.startswith("...") and line.endswith("...")
    assert len(line) <= 106
    assert line[marks.index("^") : len(marks)] == "=>"


def test_str_is_message_column_and_caret() -> None:
    assert str(rejected("a => 1")) == (
        "unknown operator '=>' — did you mean '>='? (at column 3)\na => 1\n  ^^"
    )


def test_caret_clamps_positions_to_the_text() -> None:
    error = QueryError("x", query="abc", pos=10, end=20)
    assert error.caret() == "abc\n   ^"
    error = QueryError("x", query="abc", pos=-5, end=2)
    assert error.caret() == "abc\n^^"


def test_query_error_shape() -> None:
    error = rejected("a => 1")
    assert isinstance(error, ValidationError)
    assert (error.code, error.status, error.exit_code, error.field) == (
        "invalid_query",
        422,
        5,
        "query",
    )
    assert error.to_dict() == {
        "code": "invalid_query",
        "message": "unknown operator '=>' — did you mean '>='?",
        "field": "query",
        "details": {"position": 2, "end": 4, "suggestion": ">=", "query": "a => 1"},
    }


def test_lark_errors_never_escape() -> None:
    with pytest.raises(QueryError) as caught:
        parse("a = (")
    assert caught.value.__cause__ is None
    assert caught.value.message == "expected a value after '=', got '('"


@pytest.mark.parametrize(
    ("query", "pos", "expected"),
    [("abc", 0, "column 1"), ("abc", 3, "column 4"), ("a\nbc", 3, "line 2, column 2")],
)
def test_where(query: str, pos: int, expected: str) -> None:
    assert where(query, pos) == expected


@pytest.mark.parametrize(
    ("name", "expected"),
    [("contry", "country"), ("citty", "city"), ("zzz", None), ("Country", "country")],
)
def test_suggest(name: str, expected: str | None) -> None:
    assert suggest(name, ["country", "city", "region", "postal_code"]) == expected
