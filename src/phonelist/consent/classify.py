"""Inbound reply classification: is this text an opt-out, help, opt-in or confirmation?

:func:`classify_reply` is a pure function of the text, the contact's language and a dated
:class:`KeywordPack` (COMPLIANCE.md O1, O2, O6, C3). It decides what a reply *says*; what to do
about it (revoke, answer, re-subscribe, queue for review) is the caller's job. Checks, in order:

1. The whole normalised text is an opt-out keyword: ``OPT_OUT``, rule O1 (revokes per se).
2. It is a help keyword: ``HELP``, rule O6.
3. It is an opt-in keyword: ``OPT_IN``, rule O6; else a confirmation keyword: ``CONFIRM``, C3.
4. A short message (at most ``max_phrase_words`` words) contains a revocation phrase as whole
   words, with no negation word before it: ``OPT_OUT``, rule O2 ("any reasonable means").
5. It contains a revocation phrase or an opt-out keyword anyway (a negated phrase, a long
   message, "when does the sale end?"): ``REVIEW``, rule O2. The default policy treats a
   review as a revocation until a person decides; that is the policy engine's call, not ours.
6. Anything else: ``OTHER``.

YES: "yes" (and "si", "sim", "oui", "ja") is both an opt-in and a confirmation word; it is
classified ``OPT_IN``. Callers treat an ``OPT_IN`` "yes" as the C3 confirmation when a double
opt-in request is pending for the number. Only words that are nothing but confirmations ("y",
"confirm") classify ``CONFIRM``.

Matching is accent-insensitive ("arret", "arrêt" and "arrête" all match) because both the text
and the keywords are compared after :func:`normalize_reply` and the removal of accents.
"""

from __future__ import annotations

import tomllib
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cache
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import Any

from phonelist.errors import ConfigError, PhonelistError, ValidationError

__all__ = [
    "Classification",
    "KeywordPack",
    "Reply",
    "classify_reply",
    "load_keywords",
    "normalize_reply",
]

ALL_LANGUAGES = "*"

# Apostrophes are dropped rather than read as spaces, so "don't" stays one word ("dont").
_APOSTROPHES = frozenset("'`\u00b4\u2018\u2019\u02bc\u2032\uff07")
# Invisible characters that separate words; every other format character (zero-width joiner,
# byte order mark, bidi controls, emoji tags) is dropped.
_ZERO_WIDTH_SPACES = frozenset("\u200b")
# Combining keycap: part of an emoji ("1️⃣"), not of a word.
_EMOJI_MARKS = frozenset("\u20e3")
# NFKC, case folding and character removal can each expose work for the other; a couple of
# passes reach the fixed point for any real text.
_MAX_PASSES = 6

_DEFAULT_MAX_PHRASE_WORDS = 12
# Used when a pack does not list its own negations: never let "don't stop sending" revoke.
_DEFAULT_NEGATIONS: Mapping[str, frozenset[str]] = MappingProxyType(
    {
        ALL_LANGUAGES: frozenset(
            {"not", "dont", "never", "cant", "cannot", "wont", "doesnt", "didnt", "nor"}
        )
    }
)
_KEYWORD_SECTIONS = ("opt_out", "opt_in", "help", "confirm", "negations")
_PHRASE_SECTIONS = ("revocation_phrases",)
_SECTIONS = frozenset({"version", "max_phrase_words", *_KEYWORD_SECTIONS, *_PHRASE_SECTIONS})


class Reply(StrEnum):
    """What an inbound reply means for consent."""

    OPT_OUT = "opt_out"
    OPT_IN = "opt_in"
    HELP = "help"
    CONFIRM = "confirm"
    REVIEW = "review"
    OTHER = "other"


@dataclass(frozen=True, slots=True)
class Classification:
    """The meaning of one reply, the keyword or phrase that decided it, the rule, and why."""

    kind: Reply
    keyword: str | None
    rule: str | None
    reason: str


# Rule id for each whole-message keyword kind.
_EXACT_RULES: Mapping[Reply, str] = MappingProxyType(
    {Reply.OPT_OUT: "O1", Reply.HELP: "O6", Reply.OPT_IN: "O6", Reply.CONFIRM: "C3"}
)
_EXACT_NAMES: Mapping[Reply, str] = MappingProxyType(
    {
        Reply.OPT_OUT: "opt-out",
        Reply.HELP: "help",
        Reply.OPT_IN: "opt-in",
        Reply.CONFIRM: "confirmation",
    }
)

Words = tuple[str, ...]


@dataclass(frozen=True, slots=True)
class _Rules:
    """A pack compiled for one language choice: every key is accent-free normalised text."""

    exact: Mapping[str, tuple[Reply, Words]]
    phrases: tuple[tuple[Words, str], ...]
    opt_out_words: tuple[tuple[Words, str], ...]
    negations: frozenset[str]


@dataclass(frozen=True)
class KeywordPack:
    """A dated set of reply keywords and revocation phrases, keyed by language ("*" = any).

    Entries are stored normalised (:func:`normalize_reply`), whatever form they were given in.
    """

    version: str
    opt_out: Mapping[str, frozenset[str]]
    opt_in: Mapping[str, frozenset[str]]
    help: Mapping[str, frozenset[str]]
    confirm: Mapping[str, frozenset[str]]
    revocation_phrases: Mapping[str, tuple[str, ...]]
    max_phrase_words: int = _DEFAULT_MAX_PHRASE_WORDS
    negations: Mapping[str, frozenset[str]] = field(default_factory=lambda: _DEFAULT_NEGATIONS)
    _compiled: dict[str | None, _Rules] = field(
        init=False, repr=False, compare=False, default_factory=dict
    )

    def __post_init__(self) -> None:
        words = self.max_phrase_words
        if isinstance(words, bool) or not isinstance(words, int) or words < 1:
            raise ValidationError(
                f"max_phrase_words must be a whole number of at least 1, not {words!r}",
                field="max_phrase_words",
            )
        for name in _KEYWORD_SECTIONS:
            object.__setattr__(self, name, _keyword_table(name, getattr(self, name)))
        object.__setattr__(
            self, "revocation_phrases", _phrase_table("revocation_phrases", self.revocation_phrases)
        )

    def merged(self, extra: Mapping[str, Any]) -> KeywordPack:
        """This pack plus an operator's (or a list's) additions, given in the TOML's shape.

        Additions only add: a default keyword cannot be removed. ``max_phrase_words`` replaces
        the pack's value. The version becomes ``<version>+<extra version or "custom">`` so a
        decision shows that operator keywords were in force.
        """
        added = _parse_sections(extra, ValidationError, "keyword additions")
        version = added.version or "custom"
        return KeywordPack(
            version=f"{self.version}+{version}",
            opt_out=_union(self.opt_out, added.tables.get("opt_out", {})),
            opt_in=_union(self.opt_in, added.tables.get("opt_in", {})),
            help=_union(self.help, added.tables.get("help", {})),
            confirm=_union(self.confirm, added.tables.get("confirm", {})),
            revocation_phrases=_append(
                self.revocation_phrases, added.tables.get("revocation_phrases", {})
            ),
            max_phrase_words=(
                self.max_phrase_words if added.max_phrase_words is None else added.max_phrase_words
            ),
            negations=_union(self.negations, added.tables.get("negations", {})),
        )

    def _rules_for(self, language: str | None) -> _Rules:
        """The pack compiled for one language (cached: packs are immutable)."""
        key = None if language is None or not language.strip() else _language_key(language)
        rules = self._compiled.get(key)
        if rules is None:
            rules = _compile(self, key)
            self._compiled[key] = rules
        return rules


def normalize_reply(text: str) -> str:
    """The comparable form of a reply: NFKC, case folded, words of letters, digits and marks.

    Punctuation, symbols and emoji become spaces (so "OPT-OUT" reads "opt out"), apostrophes
    and invisible joiners vanish ("don't" reads "dont"), whitespace collapses. Idempotent.
    """
    current = _normalize_once(text)
    for _ in range(_MAX_PASSES):
        again = _normalize_once(current)
        if again == current:
            break
        current = again
    return current


def load_keywords(path: Path | None = None) -> KeywordPack:
    """Read a keyword pack from a TOML file; without a path, the packaged default (cached)."""
    if path is None:
        return _default_pack()
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(
            f"cannot read the keyword pack {path}: {exc}", code="keyword_pack_invalid"
        ) from exc
    return _pack_from_toml(text, str(path))


def classify_reply(
    text: str, language: str | None = None, keywords: KeywordPack | None = None
) -> Classification:
    """Classify an inbound reply (COMPLIANCE.md O1, O2, O6, C3); see the module docstring.

    ``language`` ("es", "es-MX") limits the keywords to that language's and the "*" ones;
    ``None`` applies every language's.
    """
    pack = load_keywords() if keywords is None else keywords
    normalised = normalize_reply(text)
    if not normalised:
        return Classification(
            Reply.OTHER, None, None, "the message has no words once punctuation is removed"
        )
    rules = pack._rules_for(language)
    folded = _strip_accents(normalised)

    exact = rules.exact.get(folded)
    if exact is not None:
        kind, candidates = exact
        keyword = normalised if normalised in candidates else candidates[0]
        return Classification(
            kind,
            keyword,
            _EXACT_RULES[kind],
            f"the whole message is the {_EXACT_NAMES[kind]} keyword '{keyword}'",
        )

    tokens = tuple(folded.split(" "))
    limit = pack.max_phrase_words
    phrases = _occurrences(tokens, rules.phrases)
    if phrases:
        covered = {i for start, end, _ in phrases for i in range(start, end)}
        for start, _, phrase in phrases:
            negation = next(
                (
                    token
                    for i, token in enumerate(tokens[:start])
                    if i not in covered and token in rules.negations
                ),
                None,
            )
            if negation is not None:
                return Classification(
                    Reply.REVIEW,
                    phrase,
                    "O2",
                    f"contains the revocation phrase '{phrase}' after the negation "
                    f"'{negation}', so it may not mean revocation",
                )
        phrase = max(phrases, key=lambda hit: hit[1] - hit[0])[2]
        if len(tokens) <= limit:
            return Classification(
                Reply.OPT_OUT,
                phrase,
                "O2",
                f"a short message ({len(tokens)} words, at most {limit}) contains "
                f"the revocation phrase '{phrase}'",
            )
        return Classification(
            Reply.REVIEW,
            phrase,
            "O2",
            f"contains the revocation phrase '{phrase}' but has {len(tokens)} words, "
            f"more than {limit}, so it may not mean revocation",
        )

    keywords_found = _occurrences(tokens, rules.opt_out_words)
    if keywords_found:
        keyword = keywords_found[0][2]
        return Classification(
            Reply.REVIEW,
            keyword,
            "O2",
            f"contains the keyword '{keyword}' but may not mean revocation",
        )
    return Classification(
        Reply.OTHER, None, None, "no reply keyword and no revocation phrase was found"
    )


def _normalize_once(text: str) -> str:
    # Symbols go before NFKC too, or NFKC would turn some into letters ("™" -> "tm").
    cleaned = _keep_word_characters(text)
    folded = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", cleaned).casefold())
    return " ".join(_keep_word_characters(folded).split())


def _keep_word_characters(text: str) -> str:
    """Letters, digits and marks kept; punctuation, symbols, separators become spaces."""
    out: list[str] = []
    after_base = False  # a combining mark is kept only on a kept letter, digit or mark
    for char in text:
        if char in _APOSTROPHES:
            continue
        category = unicodedata.category(char)
        if category[0] in "LN":
            out.append(char)
            after_base = True
        elif category[0] == "M":
            if after_base and not _is_emoji_mark(char):
                out.append(char)
        elif category == "Cf" and char not in _ZERO_WIDTH_SPACES:
            continue
        else:
            out.append(" ")
            after_base = False
    return "".join(out)


def _is_emoji_mark(char: str) -> bool:
    code = ord(char)
    return (
        0xFE00 <= code <= 0xFE0F  # variation selectors (emoji or text presentation)
        or 0xE0100 <= code <= 0xE01EF  # variation selectors supplement
        or char in _EMOJI_MARKS
    )


def _strip_accents(text: str) -> str:
    """The text without nonspacing marks: "arrête" -> "arrete"."""
    if text.isascii():
        return text
    decomposed = unicodedata.normalize("NFD", text)
    kept = "".join(c for c in decomposed if unicodedata.category(c) != "Mn")
    return unicodedata.normalize("NFC", kept)


def _language_key(language: str) -> str:
    """The primary language subtag, case folded: "es-MX" and "es_mx" -> "es"; "*" stays."""
    key = language.strip().replace("_", "-").split("-")[0].casefold()
    if not key:
        raise ValidationError(f"not a language: {language!r}", field="language")
    return key


def _entries(section: str, language: str, values: Any) -> list[str]:
    if isinstance(values, str) or not isinstance(values, Iterable):
        raise ValidationError(
            f"{section}.{language} must be a list of strings", field=f"{section}.{language}"
        )
    entries = list(values)
    if not all(isinstance(value, str) for value in entries):
        raise ValidationError(
            f"{section}.{language} must be a list of strings", field=f"{section}.{language}"
        )
    return [normalised for value in entries if (normalised := normalize_reply(value))]


def _languages(section: str, table: Any) -> Mapping[str, Any]:
    if not isinstance(table, Mapping) or not all(isinstance(k, str) for k in table):
        raise ValidationError(
            f"{section} must be a table of language -> list of strings", field=section
        )
    return table


def _keyword_table(section: str, table: Any) -> Mapping[str, frozenset[str]]:
    merged: dict[str, set[str]] = {}
    for language, values in _languages(section, table).items():
        key = ALL_LANGUAGES if language == ALL_LANGUAGES else _language_key(language)
        merged.setdefault(key, set()).update(_entries(section, language, values))
    return MappingProxyType({key: frozenset(values) for key, values in merged.items()})


def _phrase_table(section: str, table: Any) -> Mapping[str, tuple[str, ...]]:
    merged: dict[str, dict[str, None]] = {}  # a dict keeps the order and drops repeats
    for language, values in _languages(section, table).items():
        key = ALL_LANGUAGES if language == ALL_LANGUAGES else _language_key(language)
        merged.setdefault(key, {}).update(dict.fromkeys(_entries(section, language, values)))
    return MappingProxyType({key: tuple(values) for key, values in merged.items()})


def _union(
    base: Mapping[str, frozenset[str]], extra: Mapping[str, Iterable[str]]
) -> dict[str, frozenset[str]]:
    result = dict(base)
    for language, values in extra.items():
        result[language] = result.get(language, frozenset()) | frozenset(values)
    return result


def _append(
    base: Mapping[str, tuple[str, ...]], extra: Mapping[str, Iterable[str]]
) -> dict[str, tuple[str, ...]]:
    result = dict(base)
    for language, values in extra.items():
        result[language] = (*result.get(language, ()), *values)
    return result


@dataclass(frozen=True, slots=True)
class _Sections:
    version: str | None
    max_phrase_words: int | None
    tables: Mapping[str, Mapping[str, tuple[str, ...]]]


def _parse_sections(data: Mapping[str, Any], error: type[PhonelistError], source: str) -> _Sections:
    """Check the TOML shape; ``error`` is ConfigError for files, ValidationError for input."""
    try:
        unknown = sorted(set(data) - _SECTIONS)
        if unknown:
            raise ValidationError(f"unknown sections {unknown}", field=unknown[0])
        version = data.get("version")
        if version is not None:
            # A TOML date literal is accepted and read as its ISO form.
            version = str(version).strip()
            if not version:
                raise ValidationError("version must not be empty", field="version")
        words = data.get("max_phrase_words")
        if words is not None and (isinstance(words, bool) or not isinstance(words, int)):
            raise ValidationError(
                "max_phrase_words must be a whole number", field="max_phrase_words"
            )
        tables: dict[str, Mapping[str, tuple[str, ...]]] = {}
        for section in (*_KEYWORD_SECTIONS, *_PHRASE_SECTIONS):
            if section in data:
                table = _languages(section, data[section])
                tables[section] = {
                    language: tuple(_entries(section, language, values))
                    for language, values in table.items()
                }
    except ValidationError as exc:
        raise error(
            f"{source}: {exc.message}", field=exc.field, code="keyword_pack_invalid"
        ) from exc
    return _Sections(version, words, tables)


def _pack_from_toml(text: str, source: str) -> KeywordPack:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{source}: not valid TOML: {exc}", code="keyword_pack_invalid") from exc
    sections = _parse_sections(data, ConfigError, source)
    if sections.version is None:
        raise ConfigError(
            f"{source}: a keyword pack needs a version",
            field="version",
            code="keyword_pack_invalid",
        )
    try:
        return KeywordPack(
            version=sections.version,
            opt_out=_union({}, sections.tables.get("opt_out", {})),
            opt_in=_union({}, sections.tables.get("opt_in", {})),
            help=_union({}, sections.tables.get("help", {})),
            confirm=_union({}, sections.tables.get("confirm", {})),
            revocation_phrases=_append({}, sections.tables.get("revocation_phrases", {})),
            max_phrase_words=(
                _DEFAULT_MAX_PHRASE_WORDS
                if sections.max_phrase_words is None
                else sections.max_phrase_words
            ),
            negations=(
                _union({}, sections.tables["negations"])
                if "negations" in sections.tables
                else _DEFAULT_NEGATIONS
            ),
        )
    except ValidationError as exc:
        raise ConfigError(
            f"{source}: {exc.message}", field=exc.field, code="keyword_pack_invalid"
        ) from exc


@cache
def _default_pack() -> KeywordPack:
    text = resources.files("phonelist.consent").joinpath("keywords.toml").read_text("utf-8")
    return _pack_from_toml(text, "the packaged keywords.toml")


def _compile(pack: KeywordPack, language: str | None) -> _Rules:
    def languages(table: Mapping[str, Any]) -> list[str]:
        if language is None:
            return sorted(table, key=lambda key: (key != ALL_LANGUAGES, key))
        return [key for key in (language, ALL_LANGUAGES) if key in table]

    exact: dict[str, tuple[Reply, Words]] = {}
    # Earlier kinds win a tie: a word that is both an opt-out and anything else opts out.
    kinds = (
        (Reply.OPT_OUT, pack.opt_out),
        (Reply.HELP, pack.help),
        (Reply.OPT_IN, pack.opt_in),
        (Reply.CONFIRM, pack.confirm),
    )
    for kind, table in kinds:
        groups: dict[str, set[str]] = {}
        for key in languages(table):
            for keyword in table[key]:
                groups.setdefault(_strip_accents(keyword), set()).add(keyword)
        for folded, keywords in groups.items():
            exact.setdefault(folded, (kind, tuple(sorted(keywords))))

    def word_sequences(entries: Iterable[str]) -> tuple[tuple[Words, str], ...]:
        unique = dict.fromkeys(entries)
        # Longest first, so the most specific phrase is the one reported.
        ordered = sorted(unique, key=lambda entry: (-len(entry.split(" ")), entry))
        return tuple((tuple(_strip_accents(entry).split(" ")), entry) for entry in ordered)

    phrases = [
        p for key in languages(pack.revocation_phrases) for p in pack.revocation_phrases[key]
    ]
    opt_out = [k for key in languages(pack.opt_out) for k in sorted(pack.opt_out[key])]
    negations = frozenset(
        _strip_accents(word) for key in languages(pack.negations) for word in pack.negations[key]
    )
    return _Rules(exact, word_sequences(phrases), word_sequences(opt_out), negations)


def _occurrences(
    tokens: Words, sequences: tuple[tuple[Words, str], ...]
) -> list[tuple[int, int, str]]:
    """Every (start, end, entry) where an entry's words appear as whole words, by position."""
    present = frozenset(tokens)
    found: list[tuple[int, int, str]] = []
    for words, entry in sequences:
        if not present.issuperset(words):
            continue
        width = len(words)
        for start in range(len(tokens) - width + 1):
            if tokens[start : start + width] == words:
                found.append((start, start + width, entry))
    # By position; at one position the longest entry first.
    found.sort(key=lambda hit: (hit[0], hit[0] - hit[1]))
    return found
