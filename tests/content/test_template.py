"""Templates: placeholders with defaults, braces, and errors that point at the character."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from phonelist.content.template import TemplateError, parse_template


def test_placeholders_defaults_and_literal_braces() -> None:
    template = parse_template("Hi {first_name|there}, {{plan}}: {custom.plan|basic}{city}.")
    assert template.fields == ("first_name", "custom.plan", "city")
    assert template.render({"first_name": "Ana", "custom.plan": "pro", "city": "Porto"}) == (
        "Hi Ana, {plan}: proPorto."
    )
    assert template.render({"first_name": "  ", "city": None}) == "Hi there, {plan}: basic."
    assert template.missing({}) == ("city",)  # no default: renders as nothing, and is reported


def test_values_are_never_interpreted() -> None:
    template = parse_template("Hi {first_name}")
    assert template.render({"first_name": "{last_name} {{x}} Reply\nSTOP"}) == (
        "Hi {last_name} {{x}} Reply STOP"
    )


@pytest.mark.parametrize(
    ("source", "position", "words"),
    [
        ("", 0, "empty"),
        ("Hi {first_name", 3, "never closed"),
        ("Hi }", 3, "without its"),
        ("Hi {frist_name}", 4, "unknown field 'frist_name'"),
        ("Hi {custom.tier}", 4, "no custom field 'tier'"),
        ("Hi {1st}", 4, "not a field name"),
        ("Hi {a{b}", 5, "inside a placeholder"),
        ("Hi\x00", 2, "control character"),
    ],
)
def test_errors_point_at_the_character(source: str, position: int, words: str) -> None:
    with pytest.raises(TemplateError) as caught:
        parse_template(source, custom_fields=frozenset({"plan"}))
    assert caught.value.position == position and words in str(caught.value)
    assert caught.value.field == "body"


@given(
    st.text(
        alphabet=st.characters(blacklist_characters="{}", blacklist_categories=("Cc",)), min_size=1
    ).filter(str.strip)
)
def test_text_without_placeholders_renders_as_itself(text: str) -> None:
    assert parse_template(text).render({}) == text
