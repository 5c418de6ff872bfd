"""Inbound reply classification: the COMPLIANCE.md section 8 cases and rules O1, O2, O6, C3."""

from __future__ import annotations

import unicodedata
from itertools import cycle
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from phonelist.consent.classify import (
    KeywordPack,
    Reply,
    classify_reply,
    load_keywords,
    normalize_reply,
)
from phonelist.errors import ConfigError, ValidationError

DEFAULT = load_keywords()


@pytest.mark.parametrize(
    ("text", "keyword"),
    [
        ("STOP", "stop"),
        ("stop", "stop"),
        (" Stop. ", "stop"),
        ("STOP!!", "stop"),
        ("Stop 🛑", "stop"),
        ("opt out", "opt out"),
        ("OPT-OUT", "opt out"),
        ("optout", "optout"),
        ("Revoke", "revoke"),
        ("quit", "quit"),
        ("End.", "end"),
        ("cancel", "cancel"),
        ("Unsubscribe", "unsubscribe"),
        ("STOPALL", "stopall"),
        ("stop all", "stop all"),
        ("TD", "td"),
        ("PARAR", "parar"),
        ("arrêt", "arrêt"),
        ("¡No más!", "no más"),
        ("\uff33\uff34\uff2f\uff30", "stop"),  # fullwidth
        ("\u200bstop\ufe0f", "stop"),
    ],
)
def test_O1_exact_keyword_revokes(text: str, keyword: str) -> None:
    result = classify_reply(text)
    assert result.kind is Reply.OPT_OUT
    assert result.rule == "O1"
    assert result.keyword == keyword
    assert result.reason == f"the whole message is the opt-out keyword '{keyword}'"


@pytest.mark.parametrize(
    ("text", "language", "kind"),
    [
        ("PARAR", "es-MX", Reply.OPT_OUT),
        ("parar", "pt", Reply.OPT_OUT),
        ("parar", "de", Reply.OTHER),
        ("Stopp", "de", Reply.OPT_OUT),
        ("Stopp", "es", Reply.OTHER),
        ("sair", "pt_BR", Reply.OPT_OUT),
        ("sair", "fr", Reply.OTHER),
        ("sair", None, Reply.OPT_OUT),
        ("Désabonner", "fr", Reply.OPT_OUT),
        ("desabonner", "es", Reply.OTHER),
        ("STOP", "de", Reply.OPT_OUT),  # "*" keywords apply in every language
        ("arret", "en", Reply.OPT_OUT),
        ("ayuda", "es", Reply.HELP),
        ("ayuda", "en", Reply.OTHER),
        ("sim", "pt", Reply.OPT_IN),
        ("sim", "es", Reply.OTHER),
    ],
)
def test_O1_language_specific(text: str, language: str | None, kind: Reply) -> None:
    assert classify_reply(text, language).kind is kind


@pytest.mark.parametrize("text", ["arrêt", "arret", "arrête", "ARRÊTE", "Arrete!"])
def test_O1_accent_insensitive(text: str) -> None:
    for form in ("NFC", "NFD"):
        result = classify_reply(unicodedata.normalize(form, text), "fr")
        assert (result.kind, result.rule) == (Reply.OPT_OUT, "O1")


@pytest.mark.parametrize(
    ("text", "phrase"),
    [
        ("UNSUBSCRIBE me", "unsubscribe me"),
        ("please stop texting me", "please stop texting me"),
        ("Please, STOP texting me!!", "please stop texting me"),
        ("take me off your list", "take me off your list"),
        ("wrong number", "wrong number"),
        ("Wrong number, who is this?", "wrong number"),
        ("remove me", "remove me"),
        ("stop sending", "stop sending"),
        ("Do not text me", "do not text me"),
        ("leave me alone", "leave me alone"),
        ("Número equivocado", "numero equivocado"),
    ],
)
def test_O2_phrase_revokes(text: str, phrase: str) -> None:
    result = classify_reply(text)
    assert (result.kind, result.rule, result.keyword) == (Reply.OPT_OUT, "O2", phrase)
    assert f"revocation phrase '{phrase}'" in result.reason


@pytest.mark.parametrize(
    ("text", "keyword"),
    [
        ("Don't stop!", "stop"),
        ("When does the sale end?", "end"),
        ("cancel my order 123", "cancel"),
        ("never stop", "stop"),
        ("please don't stop sending me deals", "stop sending"),
        ("do not stop texting me", "stop texting me"),
        ("I do not want you to remove me", "remove me"),
    ],
)
def test_O2_ambiguous_goes_to_review(text: str, keyword: str) -> None:
    result = classify_reply(text)
    assert (result.kind, result.rule, result.keyword) == (Reply.REVIEW, "O2", keyword)
    assert "may not mean revocation" in result.reason


def test_O2_review_reason_names_the_keyword() -> None:
    assert classify_reply("Don't stop!").reason == (
        "contains the keyword 'stop' but may not mean revocation"
    )


def test_O2_only_short_messages_revoke() -> None:
    limit = DEFAULT.max_phrase_words
    short = " ".join(["word"] * (limit - 2) + ["remove", "me"])
    long = "word " + short
    assert len(short.split()) == limit
    assert classify_reply(short).kind is Reply.OPT_OUT
    assert classify_reply(long).kind is Reply.REVIEW
    assert classify_reply(long).keyword == "remove me"


@pytest.mark.parametrize(
    ("text", "keyword"),
    [("HELP", "help"), ("help!", "help"), ("Info", "info"), ("Aide", "aide"), ("HILFE", "hilfe")],
)
def test_O6_help(text: str, keyword: str) -> None:
    result = classify_reply(text)
    assert (result.kind, result.rule, result.keyword) == (Reply.HELP, "O6", keyword)


@pytest.mark.parametrize(
    ("text", "keyword"),
    [("START", "start"), ("unstop", "unstop"), ("Yes!", "yes"), ("join", "join"), ("Sí", "si")],
)
def test_O6_opt_in(text: str, keyword: str) -> None:
    result = classify_reply(text)
    assert (result.kind, result.rule, result.keyword) == (Reply.OPT_IN, "O6", keyword)


@pytest.mark.parametrize(
    ("text", "language", "keyword"),
    [("Y", None, "y"), ("confirm", None, "confirm"), ("Confirmar", "es", "confirmar")],
)
def test_C3_confirm(text: str, language: str | None, keyword: str) -> None:
    result = classify_reply(text, language)
    assert (result.kind, result.rule, result.keyword) == (Reply.CONFIRM, "C3", keyword)


@pytest.mark.parametrize(
    "text", ["Hello there", "", "   ", "🛑", "stopping by later", "great weekend", "I need help"]
)
def test_other(text: str) -> None:
    result = classify_reply(text)
    assert (result.kind, result.keyword, result.rule) == (Reply.OTHER, None, None)
    assert result.reason


@pytest.mark.parametrize(
    ("raw", "normalised"),
    [
        ("OPT-OUT", "opt out"),
        ("opt_out", "opt out"),
        ("  Stop.  ", "stop"),
        ("Don't  STOP!", "dont stop"),
        ("Don\u2019t stop", "dont stop"),
        ("👍🏽stop👍🏽", "stop"),
        ("\uff33\uff34\uff2f\uff30", "stop"),  # fullwidth
        ("STOP™", "stop"),
        ("Straße", "strasse"),
        ("arrêt", "arrêt"),
        ("order #123", "order 123"),
        ("line\none\ttwo", "line one two"),
    ],
)
def test_normalize_reply(raw: str, normalised: str) -> None:
    assert normalize_reply(raw) == normalised


@given(st.text(max_size=60))
def test_normalising_twice_changes_nothing(text: str) -> None:
    once = normalize_reply(text)
    assert normalize_reply(once) == once


# Noise that must never change an opt-out: punctuation, symbols, emoji (with skin tones,
# variation selectors and joiners), spaces and control characters. Apostrophes join words
# ("don't" -> "dont"), so they are not used between the words of a keyword.
_APOSTROPHES = "'`\u00b4\u2018\u2019\u2032\uff07"
_EMOJI = st.sampled_from(["🛑", "✋🏽", "❤\ufe0f", "👨\u200d👩\u200d👧", "🇺🇸", "⛔", "🙏"])
_NOISE_CHARS = st.characters(categories=("P", "S", "Zs", "Zl", "Zp", "Cc"))
_NOISE = st.lists(_NOISE_CHARS | _EMOJI, max_size=4).map("".join)
_SEPARATOR = st.lists(
    st.characters(categories=("P", "S", "Zs"), exclude_characters=_APOSTROPHES) | _EMOJI,
    min_size=1,
    max_size=3,
).map("".join)
_OPT_OUT_KEYWORDS = sorted({k for words in DEFAULT.opt_out.values() for k in words})


@given(
    keyword=st.sampled_from(_OPT_OUT_KEYWORDS),
    before=_NOISE,
    after=_NOISE,
    separators=st.lists(_SEPARATOR, min_size=3, max_size=3),
    upper=st.lists(st.booleans(), min_size=1, max_size=8),
    form=st.sampled_from(["NFC", "NFD"]),
)
def test_O1_keyword_survives_noise(
    keyword: str, before: str, after: str, separators: list[str], upper: list[bool], form: str
) -> None:
    words = keyword.split(" ")
    body = words[0] + "".join(sep + word for sep, word in zip(separators, words[1:], strict=False))
    cased = "".join(c.upper() if up else c for c, up in zip(body, cycle(upper), strict=False))
    text = before + unicodedata.normalize(form, cased) + after
    result = classify_reply(text)
    assert (result.kind, result.rule) == (Reply.OPT_OUT, "O1"), text


def test_merged_adds_operator_keywords() -> None:
    assert classify_reply("halt").kind is Reply.OTHER
    assert classify_reply("quiero salir", "es").kind is Reply.OTHER
    pack = DEFAULT.merged(
        {
            "version": "acme-1",
            "opt_out": {"*": ["HALT"]},
            "revocation_phrases": {"es-MX": ["quiero salir"]},
            "help": {"fr": ["au secours"]},
        }
    )
    assert pack.version == f"{DEFAULT.version}+acme-1"
    assert classify_reply("Halt!", keywords=pack).kind is Reply.OPT_OUT
    assert classify_reply("quiero salir", "es", keywords=pack).kind is Reply.OPT_OUT
    assert classify_reply("Au secours", keywords=pack).kind is Reply.HELP
    # The default keywords are still there, and the default pack is unchanged.
    assert classify_reply("stop", keywords=pack).kind is Reply.OPT_OUT
    assert classify_reply("halt").kind is Reply.OTHER


def test_merged_cannot_turn_an_opt_out_into_something_else() -> None:
    pack = DEFAULT.merged({"help": {"*": ["stop"]}, "opt_in": {"*": ["cancel"]}})
    assert pack.version == f"{DEFAULT.version}+custom"
    assert classify_reply("STOP", keywords=pack).kind is Reply.OPT_OUT
    assert classify_reply("cancel", keywords=pack).kind is Reply.OPT_OUT


def test_merged_max_phrase_words() -> None:
    pack = DEFAULT.merged({"max_phrase_words": 3})
    assert classify_reply("please remove me", keywords=pack).kind is Reply.OPT_OUT
    assert classify_reply("ok please remove me", keywords=pack).kind is Reply.REVIEW


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"opt_out": {"*": "halt"}}, "opt_out.*"),
        ({"opt_out": ["halt"]}, "opt_out"),
        ({"opt_out": {"*": [1]}}, "opt_out.*"),
        ({"stop_words": {"*": ["halt"]}}, "stop_words"),
        ({"max_phrase_words": "12"}, "max_phrase_words"),
        ({"max_phrase_words": 0}, "max_phrase_words"),
    ],
)
def test_merged_rejects_bad_shapes(extra: dict[str, object], field: str) -> None:
    with pytest.raises(ValidationError) as caught:
        DEFAULT.merged(extra)
    assert caught.value.field == field


def test_pack_normalises_entries_and_defaults_negations() -> None:
    pack = KeywordPack(
        version="test",
        opt_out={"*": frozenset({"OPT-OUT!"})},
        opt_in={},
        help={},
        confirm={},
        revocation_phrases={"EN-us": ("Stop Sending.",)},
    )
    assert pack.opt_out == {"*": frozenset({"opt out"})}
    assert pack.revocation_phrases == {"en": ("stop sending",)}
    assert classify_reply("stop sending", keywords=pack).kind is Reply.OPT_OUT
    assert classify_reply("don't stop sending", keywords=pack).kind is Reply.REVIEW


def test_default_pack_is_dated_and_cached() -> None:
    assert load_keywords() is DEFAULT
    assert len(DEFAULT.version) == 10
    assert DEFAULT.version[4] == DEFAULT.version[7] == "-"
    assert DEFAULT.max_phrase_words == 12
    fcc = {"stop", "quit", "end", "revoke", "opt out", "cancel", "unsubscribe"}
    assert fcc <= DEFAULT.opt_out["*"]


def test_load_keywords_from_a_file(tmp_path: Path) -> None:
    path = tmp_path / "keywords.toml"
    path.write_text(
        'version = 2026-01-02\n[opt_out]\n"*" = ["Basta"]\n[help]\nes = ["socorro"]\n',
        encoding="utf-8",
    )
    pack = load_keywords(path)
    assert pack.version == "2026-01-02"
    assert classify_reply("BASTA", keywords=pack).kind is Reply.OPT_OUT
    assert classify_reply("stop", keywords=pack).kind is Reply.OTHER  # a file replaces
    assert classify_reply("Socorro", "es", keywords=pack).kind is Reply.HELP


@pytest.mark.parametrize(
    "content",
    ["version = ", '[opt_out]\n"*" = ["halt"]\n', 'version = "x"\nopt_out = "halt"\n'],
)
def test_load_keywords_rejects_bad_files(tmp_path: Path, content: str) -> None:
    path = tmp_path / "keywords.toml"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_keywords(path)
    assert caught.value.code == "keyword_pack_invalid"


def test_load_keywords_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError):
        load_keywords(tmp_path / "absent.toml")
