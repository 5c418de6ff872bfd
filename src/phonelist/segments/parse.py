"""Read segment query text into the nodes of :mod:`phonelist.segments.ast`.

:func:`parse` is the one boundary of the parser: whatever the text, it returns a node or raises
:class:`~phonelist.segments.errors.QueryError`, never a lark or Python error. A hand-written
scanner turns the text into tokens (only it knows whether ``in`` is a keyword, ``-30d`` a relative
date and ``a@b.pt`` a word); lark's LALR(1) parser checks them against ``query.lark`` and builds
the nodes as it reduces, without recursion, so no input can exhaust the stack; and a rejected
token is explained in the user's words from the tokens before it and what could have come next.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any, cast

from lark import Lark, Token, Transformer
from lark.exceptions import LarkError, UnexpectedInput

from phonelist.segments.ast import And, Compare, InList, IsSet, Node, Not, Operator, Or, Value
from phonelist.segments.errors import QueryError, where
from phonelist.segments.scan import KEYWORDS, NAME_PATTERN, Problem, read_date, read_datetime, scan

__all__ = ["MAX_DEPTH", "MAX_IN_VALUES", "MAX_LENGTH", "parse"]

MAX_LENGTH = 4_000
MAX_DEPTH = 50  # parentheses and NOTs inside one another
MAX_IN_VALUES = 500

_BOOLS = {"true": True, "yes": True, "false": False, "no": False}
_VALUES = frozenset({"STRING", "NUMBER", "RELDATE", "DATE", "DATETIME", "NAME", "WORD"})
_BARE_VALUES = _VALUES - {"STRING"}
_CONDITION_START = frozenset({"NOT", "LPAR", "HAS", "NAME"})

_Built = tuple[Node, int]  # a node and how many parentheses/NOTs deep it is


def parse(text: str) -> Node:
    """The query ``text`` as a tree; raises :class:`QueryError` and nothing else."""
    try:
        return _parse(text)
    except Problem as problem:
        raise QueryError(
            problem.message,
            query=text,
            pos=problem.pos,
            end=problem.end,
            suggestion=problem.suggestion,
        ) from None
    except LarkError as exc:  # a parser state _explain does not know; still the text's fault
        raise QueryError("could not read the query", query=text, pos=0) from exc


def _parse(text: str) -> Node:
    if len(text) > MAX_LENGTH:
        raise Problem(
            f"query is too long: {len(text):,} characters (at most {MAX_LENGTH:,})",
            MAX_LENGTH,
            len(text),
        )
    if not text.strip():
        raise Problem("empty query", 0)
    parser = _PARSER.parse_interactive()
    fed: list[Token] = []
    opened: list[tuple[Token, bool]] = []  # each '(' not closed yet and whether it is a group
    groups = 0
    for token in scan(text):
        try:
            parser.feed_token(token)
        except UnexpectedInput:
            raise _explain(text, fed, token, [t for t, _ in opened]) from None
        if token.type == "LPAR":
            is_group = not fed or fed[-1].type != "IN"
            opened.append((token, is_group))
            groups += is_group
            if groups > MAX_DEPTH:
                raise _too_deep(token)
        elif token.type == "RPAR":
            groups -= opened.pop()[1]
        fed.append(token)
    try:
        node, _depth = cast(_Built, _untyped(parser).feed_eof(fed[-1]))
    except UnexpectedInput:
        raise _explain(text, fed, None, [t for t, _ in opened]) from None
    return node


# -- building the tree -------------------------------------------------------------------------


def _start(token: Token) -> int:
    return token.start_pos if token.start_pos is not None else 0


def _end(token: Token) -> int:
    return token.end_pos if token.end_pos is not None else _start(token)


def _value(token: Token) -> Value:
    raw, pos, end = str(token.value), _start(token), _end(token)
    parsed: str | float | bool | tuple[int, str] | dt.date
    if token.type == "STRING":
        return Value(kind="string", raw=raw, parsed=raw, pos=pos, end=end)
    if token.type == "NUMBER":
        return Value(kind="number", raw=raw, parsed=float(raw), pos=pos, end=end)
    if token.type == "RELDATE":
        parsed = (int(raw[:-1]), raw[-1])
        return Value(kind="reldate", raw=raw, parsed=parsed, pos=pos, end=end)
    if token.type == "DATE":
        return Value(kind="date", raw=raw, parsed=read_date(raw, pos, end), pos=pos, end=end)
    if token.type == "DATETIME":
        parsed = read_datetime(raw, pos, end)
        return Value(kind="datetime", raw=raw, parsed=parsed, pos=pos, end=end)
    if raw.lower() in _BOOLS:
        return Value(kind="bool", raw=raw, parsed=_BOOLS[raw.lower()], pos=pos, end=end)
    return Value(kind="word", raw=raw, parsed=raw, pos=pos, end=end)


def _field(token: Token) -> dict[str, Any]:
    return {"field": str(token.value).lower(), "field_pos": _start(token), "field_end": _end(token)}


def _join(kind: type[And] | type[Or], children: list[Any]) -> _Built:
    built = [c for c in children if not isinstance(c, Token)]
    if len(built) == 1:
        return cast(_Built, built[0])
    operands: list[Node] = []
    for node, _depth in built:
        operands.extend(node.operands if isinstance(node, kind) else (node,))
    return kind(operands=tuple(operands)), max(depth for _node, depth in built)


def _nested(node: Node, depth: int, opener: Token) -> _Built:
    if depth + 1 > MAX_DEPTH:
        raise _too_deep(opener)
    return node, depth + 1


def _too_deep(opener: Token) -> Problem:
    message = f"nested too deeply (at most {MAX_DEPTH} levels of parentheses and NOT)"
    return Problem(message, _start(opener), _end(opener))


class _Build(Transformer[Token, Any]):
    """Called by the LALR parser as it reduces each rule (so iteratively, innermost first)."""

    def start(self, children: list[Any]) -> _Built:
        return cast(_Built, children[0])

    def or_expr(self, children: list[Any]) -> _Built:
        return _join(Or, children)

    def and_expr(self, children: list[Any]) -> _Built:
        return _join(And, children)

    def negation(self, children: list[Any]) -> _Built:
        keyword, (operand, depth) = children
        return _nested(Not(operand=operand, pos=_start(keyword)), depth, keyword)

    def group(self, children: list[Any]) -> _Built:
        opener, (node, depth), _closer = children
        return _nested(node, depth, opener)

    def has(self, children: list[Any]) -> _Built:
        return IsSet(**_field(children[1])), 0

    def compare(self, children: list[Any]) -> _Built:
        name, op, value = children
        operator = cast(Operator, str(op.value))
        return Compare(**_field(name), op=operator, value=value, op_pos=_start(op)), 0

    def in_list(self, children: list[Any]) -> _Built:
        return InList(**_field(children[0]), values=children[3]), 0

    def not_in_list(self, children: list[Any]) -> _Built:
        return InList(**_field(children[0]), values=children[4], negated=True), 0

    def is_set(self, children: list[Any]) -> _Built:
        return IsSet(**_field(children[0])), 0

    def is_not_set(self, children: list[Any]) -> _Built:
        return IsSet(**_field(children[0]), negated=True), 0

    def values(self, children: list[Any]) -> tuple[Value, ...]:
        values = tuple(c for c in children if isinstance(c, Value))
        if len(values) > MAX_IN_VALUES:
            extra = values[MAX_IN_VALUES]
            message = f"too many values in the IN list (at most {MAX_IN_VALUES})"
            raise Problem(message, extra.pos, extra.end)
        return values

    def value(self, children: list[Any]) -> Value:
        return _value(children[0])


_PARSER = Lark(
    Path(__file__).with_name("query.lark").read_text(encoding="utf-8"),
    parser="lalr",
    lexer="basic",  # never used: scan feeds the tokens
    transformer=_Build(),
)


# -- explaining a rejected token ---------------------------------------------------------------

_Reason = tuple[str, str | None, bool]  # message, suggestion, whether to offer quoting the value


def _explain(text: str, fed: list[Token], token: Token | None, opened: list[Token]) -> Problem:
    """Why ``token`` (None: the end of the text) cannot follow ``fed``, in the user's words."""
    message, suggestion, hint = _reason(text, fed, token, opened)
    quoted = _quote_hint(text, fed, token) if hint else None
    if quoted is not None:
        message += f" — to match a value with spaces, put it in quotes: {quoted}"
        suggestion = quoted
    if token is None:
        return Problem(message, len(text.rstrip()), None, suggestion)
    return Problem(message, _start(token), _end(token), suggestion)


def _reason(text: str, fed: list[Token], token: Token | None, opened: list[Token]) -> _Reason:
    accepts = _accepts(fed)
    last = fed[-1] if fed else None
    after = f" after {_show(text, last)}" if last is not None else ""
    got = f", got {_show(text, token)}" if token is not None else ""
    if token is None and "RPAR" in accepts and opened:
        return f"expected ')' to close the '(' at {where(text, _start(opened[-1]))}", None, False
    if token is not None and token.type == "RPAR" and not opened:
        return "unexpected ')': there is no '(' to close", None, False
    if accepts == _CONDITION_START:
        return _reason_condition(text, last, token, after)
    if "STRING" in accepts:
        return _reason_value(text, last, token, after)
    if "OP" in accepts:
        return f"expected an operator{after}{got}", None, True
    if accepts == {"SET", "NOT"}:
        return f"expected SET or NOT SET{after}{got}", None, False
    if accepts == {"SET"} and len(fed) > 1:
        said = " ".join(text[_start(fed[-2]) : _end(fed[-1])].split())
        return f"expected SET after '{said}'{got}", None, False
    if accepts == {"IN"}:
        return f"expected IN{after}{got}", None, False
    if accepts == {"LPAR"}:
        example = "e.g. status IN (customer, lead)"
        return f"expected '('{after}{got} — write the values in parentheses, {example}", None, False
    if accepts == {"NAME"}:
        return f"expected a field name{after}{got}", None, False
    if accepts == {"COMMA", "RPAR"}:
        return f"expected ',' or ')' in the IN list{got}", None, True
    if token is None:
        return "unexpected end of the query", None, False
    return f"unexpected {_show(text, token)}", None, True


def _reason_condition(text: str, last: Token | None, token: Token | None, after: str) -> _Reason:
    """Where a condition should start: a field, HAS, NOT or '('."""
    if token is None:
        return f"expected a condition{after}", None, False
    shown = _show(text, token)
    if token.type == "RPAR":
        empty = last is not None and last.type == "LPAR"
        return ("empty parentheses" if empty else f"expected a condition{after}"), None, False
    if token.type in KEYWORDS or token.type == "COMMA":
        return f"unexpected {shown}", None, False
    if token.type == "OP":
        return f"expected a field name before {shown}", None, False
    if token.type == "STRING" and NAME_PATTERN.fullmatch(str(token.value)):
        message = f"expected a field name, got {shown} — write field names without quotes"
        return message, str(token.value), False
    return f"expected a field name, got {shown}", None, False


def _reason_value(text: str, last: Token | None, token: Token | None, after: str) -> _Reason:
    """Where a value should be: after an operator or in an IN list."""
    if last is not None and last.type == "OP":
        message = f"expected a value{after}"
    elif token is not None and token.type == "RPAR" and last is not None and last.type == "LPAR":
        return "an IN list needs at least one value", None, False
    else:
        message = "expected a value in the IN list"
    if token is None:
        return message, None, False
    message += f", got {_show(text, token)}"
    if token.type in KEYWORDS:
        quoted = f'"{token.value}"'
        return f"{message} — to use it as a value, put it in quotes: {quoted}", quoted, False
    return message, None, False


def _accepts(fed: list[Token]) -> set[str]:
    """The token types that could have come after ``fed`` (replayed on a fresh parser)."""
    parser = _PARSER.parse_interactive()
    for token in fed:
        parser.feed_token(token)
    return set(_untyped(parser).accepts())


def _quote_hint(text: str, fed: list[Token], token: Token | None) -> str | None:
    """``"Costa Rica"`` when the tokens around the error look like a value that needs quotes."""
    first = len(fed)
    while first > 0 and fed[first - 1].type in _BARE_VALUES:
        first -= 1
    if first == len(fed) or not _starts_value(fed, first):
        return None
    words, last = len(fed) - first, fed[-1]
    if token is not None and token.type in _BARE_VALUES:
        words, last = words + 1, token
        try:
            for following in scan(text, _end(token)):
                if following.type not in _BARE_VALUES:
                    break
                words, last = words + 1, following
        except Problem:
            pass
    span = text[_start(fed[first]) : _end(last)]
    if words < 2 or "\n" in span or "\r" in span:
        return None
    return f'"{span}"'


def _starts_value(fed: list[Token], first: int) -> bool:
    """Whether ``fed[first]`` stands where a value goes: after an operator, in an IN list."""
    before = fed[first - 1].type if first > 0 else None
    if before in ("OP", "COMMA"):
        return True
    return before == "LPAR" and first > 1 and fed[first - 2].type == "IN"


def _untyped(parser: object) -> Any:
    """lark's InteractiveParser, whose ``feed_eof`` and ``accepts`` carry no type hints."""
    return parser


def _show(text: str, token: Token) -> str:
    """The token as written, quoted for a message (shortened past 30 characters)."""
    said = text[_start(token) : _end(token)]
    said = f"{said[:27]}..." if len(said) > 30 else said
    return f'"{said}"' if "'" in said and '"' not in said else f"'{said}'"
