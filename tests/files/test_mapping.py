"""Header auto-mapping: a table per language, explicit --map, slots, conflicts. Pure."""

from __future__ import annotations

import pytest

from phonelist.errors import ValidationError
from phonelist.files import auto_map, custom_field_name
from phonelist.files.mapping import guess_column

ENGLISH = [
    ("Phone", "phone"),
    ("Phone Number", "phone"),
    ("Mobile", "phone:mobile"),
    ("Cell", "phone:mobile"),
    ("Cell Phone", "phone:mobile"),
    ("Business Phone", "phone:work"),
    ("Home Phone", "phone:home"),
    ("E-mail Address", "email"),
    ("Work Email", "email:work"),
    ("First Name", "first_name"),
    ("Given Name", "first_name"),
    ("Surname", "last_name"),
    ("Full Name", "display_name"),
    ("Name", "display_name"),
    ("Country", "country"),
    ("State", "region"),
    ("Town", "city"),
    ("ZIP code", "postal_code"),
    ("Time zone", "time_zone"),
    ("Status", "status"),
    ("Tags", "tags"),
    ("Labels", "tags"),
    ("Groups", "lists"),
    ("Notes", "note"),
    ("Lead source", "source"),
    ("Opt-in date", "consent_at"),
]
PORTUGUESE = [
    ("Telefone", "phone"),
    ("Número de telefone", "phone"),
    ("Telemóvel", "phone:mobile"),
    ("Número de telemóvel", "phone:mobile"),
    ("Celular", "phone:mobile"),
    ("Tlm.", "phone:mobile"),
    ("Telefone comercial", "phone:work"),
    ("Telefone residencial", "phone:home"),
    ("E-mail", "email"),
    ("Primeiro nome", "first_name"),
    ("Apelido", "last_name"),
    ("Sobrenome", "last_name"),
    ("Nome completo", "display_name"),
    ("País", "country"),
    ("Estado", "region"),
    ("Cidade", "city"),
    ("Código postal", "postal_code"),
    ("CEP", "postal_code"),
    ("Etiquetas", "tags"),
    ("Grupos", "lists"),
    ("Notas", "note"),
    ("Observações", "note"),
    ("Origem", "source"),
]
SPANISH = [
    ("Teléfono", "phone"),
    ("Móvil", "phone:mobile"),
    ("Movil", "phone:mobile"),
    ("Teléfono celular", "phone:mobile"),
    ("Teléfono trabajo", "phone:work"),
    ("Correo", "email"),
    ("Correo electrónico", "email"),
    ("Apellido", "last_name"),
    ("Apellidos", "last_name"),
    ("Nombre completo", "display_name"),
    ("Ciudad", "city"),
    ("Provincia", "region"),
    ("Código Postal", "postal_code"),
    ("Etiqueta", "tags"),
    ("Listas", "lists"),
    ("Comentarios", "note"),
    ("Fuente", "source"),
]
FRENCH = [
    ("Téléphone", "phone"),
    ("Numéro de téléphone", "phone"),
    ("Portable", "phone:mobile"),
    ("Téléphone portable", "phone:mobile"),
    ("Téléphone bureau", "phone:work"),
    ("Téléphone domicile", "phone:home"),
    ("Courriel", "email"),
    ("Adresse e-mail", "email"),
    ("Prénom", "first_name"),
    ("Nom de famille", "last_name"),
    ("Pays", "country"),
    ("Ville", "city"),
    ("Code postal", "postal_code"),
    ("Région", "region"),
    ("Étiquettes", "tags"),
    ("Remarques", "note"),
]
GERMAN = [
    ("Telefon", "phone"),
    ("Telefonnummer", "phone"),
    ("Rufnummer", "phone"),
    ("Handy", "phone:mobile"),
    ("Handynummer", "phone:mobile"),
    ("Mobilnummer", "phone:mobile"),
    ("Telefon geschäftlich", "phone:work"),
    ("Telefon privat", "phone:home"),
    ("E-Mail", "email"),
    ("E-Mail-Adresse", "email"),
    ("Vorname", "first_name"),
    ("Nachname", "last_name"),
    ("Land", "country"),
    ("Bundesland", "region"),
    ("Stadt", "city"),
    ("Ort", "city"),
    ("PLZ", "postal_code"),
    ("Postleitzahl", "postal_code"),
    ("Schlagworte", "tags"),
    ("Gruppen", "lists"),
    ("Bemerkung", "note"),
    ("Notizen", "note"),
    ("Quelle", "source"),
]
CANONICAL = [
    ("phone", "phone"),
    ("phone_2", "phone_2"),
    ("phone_2_label", "phone_2_label"),
    ("email_label", "email_label"),
    ("custom.vip_since", "custom:vip_since"),
    ("region_hint", "region_hint"),
    ("consent_evidence_ref", "consent_evidence_ref"),
    ("id", "id"),
    ("created_at", "created_at"),
    ("Phone 1 - Value", "phone"),
    ("Phone 1 - Type", "phone_label"),
    ("E-mail 2 - Value", "email_2"),
]


@pytest.mark.parametrize(
    ("header", "target"),
    ENGLISH + PORTUGUESE + SPANISH + FRENCH + GERMAN + CANONICAL,
)
def test_a_header_alone(header: str, target: str) -> None:
    assert auto_map([header]).assignments == {header: target}


@pytest.mark.parametrize("header", ["TELEFONE", "  telefone ", "tele-fone", "Telefóne", "TEL."])
def test_case_accents_and_punctuation_do_not_matter(header: str) -> None:
    found = guess_column(header)
    assert found is not None and (found.field, found.label) == ("phone", None)


@pytest.mark.parametrize("header", ["Birthday", "Shoe size", "Contacto", "Address", "", "42"])
def test_unknown_headers_are_unmapped(header: str) -> None:
    mapping = auto_map([header])
    assert mapping.assignments == {} and mapping.unmapped == [header]


@pytest.mark.parametrize(
    ("columns", "first", "last", "display"),
    [
        (["Nome", "Apelido"], "Nome", "Apelido", None),
        (["Nombre", "Apellidos"], "Nombre", "Apellidos", None),
        (["Name", "Surname"], "Name", "Surname", None),
        (["Prénom", "Nom"], "Prénom", "Nom", None),
        (["Nome"], None, None, "Nome"),
        (["Nom"], None, None, "Nom"),
        (["Vorname", "Nachname", "Name"], "Vorname", "Nachname", "Name"),
    ],
)
def test_a_bare_name_depends_on_its_neighbours(
    columns: list[str], first: str | None, last: str | None, display: str | None
) -> None:
    fields = {v: k for k, v in auto_map(columns).assignments.items()}
    assert (fields.get("first_name"), fields.get("last_name"), fields.get("display_name")) == (
        first,
        last,
        display,
    )


def test_the_lead_files_headers() -> None:
    columns = ["Nome", "Apelido", "Telemóvel", "Telefone", "E-mail", "País", "Cidade", "Etiquetas"]
    mapping = auto_map(columns)
    assert mapping.assignments == {
        "Telemóvel": "phone:mobile",
        "Telefone": "phone_2",
        "E-mail": "email",
        "Nome": "first_name",
        "Apelido": "last_name",
        "País": "country",
        "Cidade": "city",
        "Etiquetas": "tags",
    }
    assert list(mapping.assignments)[:2] == ["Telemóvel", "Telefone"]  # primary first
    assert mapping.unmapped == []
    assert mapping.warnings == [
        "several columns hold phones; the first is the primary: "
        "'Telemóvel' -> phone, 'Telefone' -> phone_2"
    ]


def test_numbered_headers_keep_their_slot_and_others_fill_the_gaps() -> None:
    columns = ["Mobile", "Phone 3", "Phone (2)", "Telefone", "Email 2", "email"]
    assert auto_map(columns).assignments == {
        "Mobile": "phone:mobile",
        "Phone (2)": "phone_2",
        "Phone 3": "phone_3",
        "Telefone": "phone_4",
        "email": "email",
        "Email 2": "email_2",
    }


def test_two_columns_for_one_field_the_first_wins() -> None:
    mapping = auto_map(["Cidade", "Ciudad", "phone"])
    assert mapping.assignments == {"phone": "phone", "Cidade": "city"}
    assert mapping.unmapped == ["Ciudad"]
    assert mapping.warnings == [
        "'Ciudad' also looks like city, which 'Cidade' fills; it was left out (map it with --map)"
    ]


def test_explicit_mapping_wins_and_can_ignore_or_make_custom_fields() -> None:
    columns = ["Contacto", "Telefone", "Tamanho", "Cidade", "Lixo"]
    mapping = auto_map(
        columns,
        {"Contacto": "phone:work", "Tamanho": "custom:size", "Cidade": "region", "Lixo": "ignore"},
    )
    assert mapping.assignments == {
        "Contacto": "phone:work",
        "Telefone": "phone_2",
        "Cidade": "region",
        "Tamanho": "custom:size",
    }
    assert mapping.unmapped == []
    explicit_slot = auto_map(["a", "b"], {"a": "phone_2", "b": "phone"}).assignments
    assert explicit_slot == {"b": "phone", "a": "phone_2"}
    assert auto_map(["x"], {"x": "custom.note_2"}).assignments == {"x": "custom:note_2"}


@pytest.mark.parametrize(
    ("columns", "explicit", "code", "message"),
    [
        (
            ["a"],
            {"b": "phone"},
            "map_unknown_column",
            "map: the file has no column 'b' (its columns: 'a')",
        ),
        (
            ["a"],
            {"a": "telephone"},
            "map_bad_target",
            "map: 'a'='telephone': unknown field; use a field such as first_name, phone, "
            "phone:work, email, country, tags, custom:NAME or ignore (see docs/files.md)",
        ),
        (
            ["a"],
            {"a": "custom:Shoe Size"},
            "map_bad_target",
            "map: 'a'='custom:Shoe Size': a custom field name is lower-case letters, digits "
            "and _, starting with a letter",
        ),
        (
            ["a", "b"],
            {"a": "city", "b": "city"},
            "map_conflict",
            "map: columns 'a' and 'b' both map to city",
        ),
        (
            ["a", "b"],
            {"a": "phone_2", "b": "phone_2"},
            "map_conflict",
            "map: columns 'a' and 'b' both map to phone_2",
        ),
    ],
)
def test_bad_explicit_mappings(
    columns: list[str], explicit: dict[str, str], code: str, message: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        auto_map(columns, explicit)
    assert (caught.value.code, caught.value.message, caught.value.field) == (code, message, "map")


def test_more_than_twenty_phone_columns() -> None:
    columns = [f"Phone {i}" for i in range(1, 22)]
    mapping = auto_map(columns)
    assert len(mapping.assignments) == 20 and mapping.unmapped == ["Phone 21"]


@pytest.mark.parametrize(
    ("header", "name"),
    [
        ("Data de nascimento", "data_de_nascimento"),
        ("Shoe size (EU)", "shoe_size_eu"),
        ("Größe", "grosse"),
        ("2nd phone", "f_2nd_phone"),
        ("???", None),
        ("x" * 100, "x" * 64),
    ],
)
def test_custom_field_names_for_unmapped_headers(header: str, name: str | None) -> None:
    assert custom_field_name(header) == name


def test_label_columns_pair_with_their_slot() -> None:
    export = auto_map(["id", "phone", "phone_label", "phone_2", "phone_2_label", "email",
                       "email_label", "email_2"])  # fmt: skip
    assert export.label_columns == {
        "phone": "phone_label",
        "phone_2": "phone_2_label",
        "email": "email_label",
    }
    google = auto_map(["Phone 1 - Type", "Phone 1 - Value", "Mobile"])
    assert google.assignments == {
        "Phone 1 - Value": "phone",
        "Mobile": "phone_2:mobile",
        "Phone 1 - Type": "phone_label",
    }
    assert google.label_columns == {"Phone 1 - Value": "Phone 1 - Type"}
