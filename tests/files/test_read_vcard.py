"""vCard 2.1, 3.0 and 4.0 cards read as rows of canonical columns."""

from __future__ import annotations

from pathlib import Path

from phonelist.files import join_list, open_table

CARD_30 = (
    "BEGIN:VCARD\r\n"
    "VERSION:3.0\r\n"
    "N:Lima;Ana;Maria;;\r\n"
    "FN:Ana Lima\r\n"
    "ORG:Feira;Vendas\r\n"
    "TEL;TYPE=WORK,VOICE:+351 21 000 0000\r\n"
    "TEL;TYPE=CELL,pref:+351 912\r\n"
    " 345 678\r\n"
    "EMAIL;TYPE=INTERNET,HOME:ana@example.org\r\n"
    "ADR;TYPE=HOME:;;Rua A\\, 1;Porto;Porto;4000-001;Portugal\r\n"
    "NOTE:Line one\\nLine two\\, with comma\r\n"
    "CATEGORIES:vip,cliente\\,antigo\r\n"
    "TZ:-05:00\r\n"
    "PHOTO;ENCODING=b;TYPE=JPEG:"
    + "A" * 70
    + "\r\n"
    + (" " + "B" * 74 + "\r\n") * 2000
    + "BDAY:1990-05-17\r\n"
    "END:VCARD\r\n"
)

CARD_21 = (
    "BEGIN:VCARD\n"
    "VERSION:2.1\n"
    "N;CHARSET=UTF-8;ENCODING=QUOTED-PRINTABLE:Gon=C3=A7alves;Jo=C3=A3o\n"
    "TEL;CELL;PREF:0912345678\n"
    "NOTE;ENCODING=QUOTED-PRINTABLE:first=0D=0Asec=\n"
    "ond\n"
    "END:VCARD\n"
)

CARD_40 = (
    "BEGIN:VCARD\n"
    "VERSION:4.0\n"
    "FN:Bruno\n"
    "TEL;VALUE=uri;TYPE=home:tel:+12025550143\n"
    "TEL;VALUE=uri;PREF=1:tel:+12025550199\n"
    "item1.TEL:+351911111111\n"
    "item1.X-ABLabel:_$!<Mobile>!$_\n"
    "item2.EMAIL:b@example.org\n"
    "item2.X-ABLabel:Escritório\n"
    "TZ:Europe/Lisbon\n"
    "UID:urn:uuid:1234\n"
    "END:VCARD\n"
)


def read(tmp_path: Path, text: str, name: str = "cards.vcf") -> list[dict[str, str]]:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8", newline="")
    with open_table(path) as table:
        assert table.format == "vcard"
        return [values for _, values in table]


def test_a_3_0_card(tmp_path: Path) -> None:
    [card] = read(tmp_path, CARD_30)
    assert {k: v for k, v in card.items() if v} == {
        "display_name": "Ana Lima",
        "first_name": "Ana",
        "last_name": "Lima",
        "phone": "+351 912345 678",
        "phone_label": "mobile",
        "phone_2": "+351 21 000 0000",
        "phone_2_label": "work",
        "email": "ana@example.org",
        "email_label": "home",
        "city": "Porto",
        "region": "Porto",
        "postal_code": "4000-001",
        "country": "Portugal",
        "tags": join_list(["vip", "cliente,antigo"]),
        "note": "Line one\nLine two, with comma",
        "organization": "Feira, Vendas",
        "birthday": "1990-05-17",
    }


def test_a_2_1_card_with_quoted_printable(tmp_path: Path) -> None:
    [card] = read(tmp_path, CARD_21)
    assert (card["first_name"], card["last_name"]) == ("João", "Gonçalves")
    assert (card["phone"], card["phone_label"]) == ("0912345678", "mobile")
    assert card["note"] == "first\r\nsecond"


def test_a_4_0_card_with_uris_pref_and_apple_labels(tmp_path: Path) -> None:
    [card] = read(tmp_path, CARD_40)
    assert [(card[f"{c}"], card[f"{c}_label"]) for c in ("phone", "phone_2", "phone_3")] == [
        ("+12025550199", ""),
        ("+12025550143", "home"),
        ("+351911111111", "Mobile"),
    ]
    assert (card["email"], card["email_label"]) == ("b@example.org", "Escritório")
    assert (card["time_zone"], card["id"]) == ("Europe/Lisbon", "urn:uuid:1234")


def test_several_cards_are_rows_with_every_column(tmp_path: Path) -> None:
    with (tmp_path / "all.vcf").open("w", encoding="utf-8", newline="") as handle:
        handle.write(CARD_40 + "\n" + CARD_21)
    with open_table(tmp_path / "all.vcf") as table:
        rows = list(table)
        assert [n for n, _ in rows] == [1, 2] and table.row_count == 2
        assert all(set(values) == set(table.columns) for _, values in rows)
        assert table.columns[:4] == ["id", "display_name", "first_name", "last_name"]
        assert rows[1][1]["display_name"] == "" and rows[1][1]["phone_3"] == ""


def test_cards_are_found_without_the_extension(tmp_path: Path) -> None:
    assert read(tmp_path, CARD_40, "contacts")[0]["display_name"] == "Bruno"
