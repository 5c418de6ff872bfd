"""Header names people use for each field, in English, Portuguese, Spanish, French and German.

Written as people write them; compared after :func:`~phonelist.files.layout.fold` with the
spaces taken out, so "Código Postal", "codigo_postal" and "CODIGO-POSTAL" are one entry.
"""

from __future__ import annotations

from phonelist.files.layout import SINGLE_FIELDS, fold

__all__ = ["FILLER_WORDS", "LABEL_WORDS", "NAME_WORDS", "SYNONYMS"]

# fmt: off
_FIELDS: dict[str, tuple[str, ...]] = {
    "display_name": (
        "name", "full name", "display name", "contact name",
        "nome", "nome completo", "nome de exibição",
        "nombre", "nombre completo", "nombre y apellidos",
        "nom", "nom complet", "nom et prénom",
        "vollständiger name", "anzeigename",
    ),
    "first_name": (
        "first name", "given name", "forename", "first",
        "primeiro nome", "nome próprio", "prenome",
        "primer nombre", "nombre de pila",
        "prénom",
        "vorname", "rufname",
    ),
    "last_name": (
        "last name", "surname", "family name", "last",
        "apelido", "apelidos", "sobrenome", "último nome",
        "apellido", "apellidos",
        "nom de famille", "nom de naissance",
        "nachname", "familienname", "zuname",
    ),
    "email": (
        "email", "e-mail", "emails", "email address", "mail", "e-mail address",
        "correio eletrónico", "correio electrónico", "correio eletrônico", "endereço de email",
        "correo", "correo electrónico", "dirección de correo",
        "courriel", "adresse e-mail", "adresse email", "adresse mail", "mél",
        "e-mail-adresse", "emailadresse", "mailadresse",
    ),
    "country": (
        "country", "country code", "nation",
        "país", "pais", "código do país",
        "código de país", "nación",
        "pays", "code pays",
        "land", "staat", "ländercode",
    ),
    "region": (
        "region", "state", "province", "county", "state/province",
        "estado", "região", "uf", "distrito",
        "provincia", "comunidad autónoma",
        "région", "département", "canton",
        "bundesland", "kanton", "landkreis",
    ),
    "city": (
        "city", "town", "locality",
        "cidade", "município", "localidade", "concelho",
        "ciudad", "localidad", "municipio", "población",
        "ville", "commune", "localité",
        "stadt", "ort", "wohnort", "gemeinde",
    ),
    "postal_code": (
        "postal code", "postcode", "zip", "zip code", "zipcode",
        "código postal", "cep", "cp",
        "code postal",
        "plz", "postleitzahl",
    ),
    "time_zone": (
        "time zone", "timezone", "tz",
        "fuso horário", "zona horaria", "fuseau horaire", "zeitzone",
    ),
    "status": (
        "status", "situação", "situación", "estatus", "statut", "zustand",
    ),
    "tags": (
        "tags", "tag", "labels", "categories", "keywords",
        "etiquetas", "etiqueta", "marcadores", "categorias",
        "categorías", "palabras clave",
        "étiquettes", "étiquette", "mots clés", "catégories",
        "schlagworte", "schlagwörter", "stichworte", "kategorien",
    ),
    "lists": (
        "lists", "list", "groups", "group", "group membership", "segments",
        "listas", "lista", "grupos", "grupo",
        "listes", "liste", "groupes", "groupe",
        "gruppen", "gruppe", "verteiler",
    ),
    "note": (
        "note", "notes", "comment", "comments", "remarks", "memo",
        "nota", "notas", "observações", "observação", "obs", "comentário", "comentários",
        "comentario", "comentarios", "observaciones",
        "remarque", "remarques", "commentaire", "commentaires",
        "bemerkung", "bemerkungen", "notiz", "notizen", "kommentar", "anmerkung",
    ),
    "source": (
        "source", "lead source", "origin",
        "origem", "fonte", "origen", "fuente", "procedencia",
        "origine", "provenance",
        "quelle", "herkunft",
    ),
    "region_hint": (
        "number country", "phone country", "number region", "phone region",
    ),
    "consent_at": (
        "consent date", "consented at", "opt-in date", "opt in date", "optin date",
        "data do consentimento", "data de consentimento", "fecha de consentimiento",
        "date du consentement", "date de consentement", "einwilligungsdatum",
    ),
    "consent_source_url": ("consent url", "opt-in url", "form url"),
    "consent_ip": ("consent ip", "opt-in ip", "ip address", "ip"),
    "consent_text": ("consent text", "opt-in text", "disclosure"),
    "id": ("contact id", "uid"),
}

_PHONES: dict[str | None, tuple[str, ...]] = {
    None: (
        "phone", "phones", "telephone", "tel", "phone number", "telephone number", "number",
        "contact number", "phone no", "msisdn", "whatsapp",
        "telefone", "número", "número de telefone", "fone",
        "teléfono", "telefono", "número de teléfono",
        "téléphone", "numéro", "numéro de téléphone",
        "telefon", "telefonnummer", "rufnummer", "nummer", "tel nr", "telefon nr",
    ),
    "mobile": (
        "mobile", "mobile phone", "mobile number", "cell", "cell phone", "cellphone",
        "cellular",
        "celular", "telemóvel", "telemovel", "tlm", "tlm.", "telefone celular",
        "número de telemóvel", "móvil", "movil", "teléfono móvil", "teléfono celular",
        "portable", "téléphone portable", "gsm",
        "handy", "handynummer", "mobil", "mobilnummer", "mobiltelefon", "mobilfunknummer",
    ),
    "work": ("work phone", "business phone", "office phone"),
    "home": ("home phone", "landline", "festnetz", "téléphone fixe", "telefone fixo"),
    "fax": ("fax", "telefax"),
}

LABEL_WORDS: dict[str, str | None] = {
    "mobile": "mobile", "cell": "mobile", "celular": "mobile", "mobil": "mobile",
    "movil": "mobile", "portable": "mobile", "handy": "mobile",
    "work": "work", "business": "work", "office": "work", "comercial": "work",
    "trabalho": "work", "empresa": "work", "trabajo": "work", "oficina": "work",
    "travail": "work", "bureau": "work", "professionnel": "work", "pro": "work",
    "geschaftlich": "work", "dienstlich": "work", "buro": "work", "arbeit": "work",
    "home": "home", "private": "home", "personal": "home", "residencial": "home",
    "casa": "home", "domicile": "home", "maison": "home", "fixe": "home",
    "privat": "home", "personnel": "home", "particular": "home", "fixo": "home",
    "fax": "fax",
    "other": "other", "outro": "other", "otro": "other", "autre": "other", "andere": "other",
    "primary": None, "main": None, "principal": None, "haupt": None,
}
# fmt: on
"""A word beside a phone or email word that says its label ("Business Phone")."""

# fmt: off
FILLER_WORDS = frozenset(
    {"number", "numero", "nummer", "no", "nr", "num", "n", "de", "do", "da", "du", "del",
     "des", "of", "the", "address", "endereco", "direccion", "adresse", "e"}
)
# fmt: on
"""Words left out when the whole header is not known ("Número de telemóvel")."""

NAME_WORDS = {"name": "first", "nome": "first", "nombre": "first", "nom": "last"}
"""A bare name header whose meaning depends on its neighbours (see mapping._resolve_names)."""


def _key(text: str) -> str:
    return fold(text).replace(" ", "")


def _build() -> dict[str, tuple[str, str | None]]:
    table: dict[str, tuple[str, str | None]] = {}
    for name in SINGLE_FIELDS:
        table[_key(name)] = (name, None)
    for field_name, words in _FIELDS.items():
        for word in words:
            table.setdefault(_key(word), (field_name, None))
    for label, words in _PHONES.items():
        for word in words:
            table[_key(word)] = ("phone", label)
    return table


SYNONYMS = _build()
"""Folded header (no spaces) -> (field, implied label)."""
