"""Public opt-in forms (issue 8): one per list, each starting a double opt-in (C3) by SMS.

An admin (``consent.manage``) creates a form naming its list, its disclosure (the versioned
consent text it shows), its purposes, the countries whose numbers it accepts and the sites
that may embed it. A person submitting the form starts a double opt-in through the consent
service, with the evidence C2 asks for (IP address, user agent, form id, source URL and the
exact disclosure version shown); the request SMS offers a YES reply (confirmed by the inbound
path) or a 6-digit code typed on the form's next page (:meth:`FormService.confirm_code`).
The preference page's opt-out is a plain revocation with method ``web`` (C6).

Public calls act as the system on behalf of the form (``system:form:<id>``), so the ledger
and the audit log say which form recorded what.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass

import phonenumbers
import pydantic
from sqlalchemy import select
from sqlalchemy.orm import Session

from phonelist.audit import record as audit
from phonelist.clock import utcnow
from phonelist.consent.commands import ConfirmOptIn, RequestOptIn, Revoke
from phonelist.consent.service import CONSENT_PURPOSES, ConsentService, DisclosureOut
from phonelist.contacts.commands import AddToLists, CreateContact
from phonelist.contacts.schemas import ContactIn, PhoneIn
from phonelist.contacts.service import ContactService
from phonelist.errors import Conflict, NotFound, ValidationError
from phonelist.ids import new_id
from phonelist.numbers import normalize
from phonelist.security.permissions import Actor, Permission, Role
from phonelist.store.consent_models import ConsentRequest, Disclosure
from phonelist.store.form_models import OptInForm, OptInSubmission

__all__ = ["FormIn", "FormOut", "FormService", "Submitted", "require_ticked", "validated"]

SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{1,62}$")
# scheme://host[:port], host may start with "*." (CSP frame-ancestors source expressions).
ORIGIN = re.compile(r"^https?://(\*\.)?[a-z0-9]([a-z0-9.-]{0,250}[a-z0-9])?(:[0-9]{1,5})?$")
MAX_CODE_ATTEMPTS = 5


@dataclass(frozen=True, slots=True)
class FormIn:
    """What an admin types on the settings page (validated by :meth:`FormService.save`)."""

    slug: str
    title: str
    list_name: str
    disclosure_name: str
    purposes: tuple[str, ...] = ("marketing",)
    allowed_countries: tuple[str, ...] = ("US",)
    embed_origins: tuple[str, ...] = ()
    active: bool = True


@dataclass(frozen=True, slots=True)
class FormOut:
    id: str
    workspace_id: int
    slug: str
    title: str
    list_name: str
    disclosure_name: str
    purposes: tuple[str, ...]
    allowed_countries: tuple[str, ...]
    embed_origins: tuple[str, ...]
    active: bool
    updated_at: dt.datetime


@dataclass(frozen=True, slots=True)
class Submitted:
    request_id: str
    e164: str
    contact_id: str | None


class FormService:
    def __init__(self, consent: ConsentService, contacts: ContactService) -> None:
        self.consent = consent
        self.contacts = contacts
        self.store = consent.store
        self.keyring = consent.keyring

    # -- settings (consent.manage) --------------------------------------------------------------
    def forms(self, actor: Actor) -> list[FormOut]:
        actor.require(Permission.CONSENT_READ)
        with self.store.read() as session:
            rows = session.scalars(
                select(OptInForm)
                .where(OptInForm.workspace_id == actor.workspace_id)
                .order_by(OptInForm.slug)
            ).all()
            return [_out(row) for row in rows]

    def get(self, actor: Actor, form_id: str) -> FormOut:
        actor.require(Permission.CONSENT_READ)
        with self.store.read() as session:
            row = session.get(OptInForm, form_id)
            if row is None or row.workspace_id != actor.workspace_id:
                raise NotFound(f"no opt-in form {form_id}")
            return _out(row)

    def save(self, actor: Actor, data: FormIn, form_id: str | None = None) -> FormOut:
        """Create a form (``form_id`` None) or change one; the slug stays unique."""
        actor.require(Permission.CONSENT_MANAGE)
        clean = validated(data)
        now = utcnow()
        with self.store.write() as session:
            if not session.scalar(
                select(Disclosure.id)
                .where(
                    Disclosure.workspace_id == actor.workspace_id,
                    Disclosure.name == clean.disclosure_name,
                )
                .limit(1)
            ):
                raise ValidationError(
                    f"no consent text named {clean.disclosure_name!r}", field="disclosure_name"
                )
            taken = session.scalar(select(OptInForm.id).where(OptInForm.slug == clean.slug))
            if taken is not None and taken != form_id:
                raise Conflict(f"the address /join/{clean.slug} is taken", field="slug")
            if form_id is None:
                row = OptInForm(
                    id=new_id(),
                    workspace_id=actor.workspace_id,
                    created_at=now,
                    created_by=actor.label,
                )
                session.add(row)
            else:
                found = session.get(OptInForm, form_id)
                if found is None or found.workspace_id != actor.workspace_id:
                    raise NotFound(f"no opt-in form {form_id}")
                row = found
            row.slug, row.title, row.list_name = clean.slug, clean.title, clean.list_name
            row.disclosure_name = clean.disclosure_name
            row.purposes = list(clean.purposes)
            row.allowed_countries = list(clean.allowed_countries)
            row.embed_origins = list(clean.embed_origins)
            row.active, row.updated_at = clean.active, now
            session.flush()
            audit(
                session,
                actor,
                "optin_form.create" if form_id is None else "optin_form.update",
                "optin_form",
                row.id,
                {"countries": len(clean.allowed_countries), "origins": len(clean.embed_origins)},
            )
            return _out(row)

    # -- the public face ------------------------------------------------------------------------
    def public(self, slug: str) -> FormOut | None:
        """The active form at ``/join/{slug}``, or None."""
        if not SLUG.match(slug):
            return None
        with self.store.read() as session:
            row = session.scalar(select(OptInForm).where(OptInForm.slug == slug))
            return _out(row) if row is not None and row.active else None

    def disclosure(self, form: FormOut, disclosure_id: str | None = None) -> DisclosureOut:
        """The newest version of the form's consent text, or the version ``disclosure_id``."""
        with self.store.read() as session:
            query = select(Disclosure).where(
                Disclosure.workspace_id == form.workspace_id,
                Disclosure.name == form.disclosure_name,
            )
            if disclosure_id is not None:
                query = query.where(Disclosure.id == disclosure_id)
            row = session.scalars(query.order_by(Disclosure.version.desc()).limit(1)).first()
            if row is None:
                raise NotFound("this form's consent text is missing", field="disclosure")
            return DisclosureOut(
                id=row.id,
                name=row.name,
                version=row.version,
                sha256=row.sha256,
                language=row.language,
                automated_marketing=row.automated_marketing,
                not_condition_of_purchase=row.not_condition_of_purchase,
                created_at=row.created_at,
                text=row.text,
            )

    def e164(self, form: FormOut, number: str) -> str:
        """The number in E.164; without a + it is read in the form's first country."""
        region = form.allowed_countries[0] if form.allowed_countries else "US"
        return normalize(number, region, field="number").e164

    def submit(
        self,
        form: FormOut,
        number: str,
        *,
        name: str | None,
        disclosure_id: str,
        ticked: bool,
        ip: str | None,
        user_agent: str | None,
        source_url: str,
        now: dt.datetime | None = None,
    ) -> Submitted:
        """Start a double opt-in (C3) for ``number``: a request SMS with a YES and a code.

        An unticked box is refused (C4): nothing is stored and nothing sent.
        """
        require_ticked(ticked)
        now = now or utcnow()
        actor = _actor(form)
        e164 = self.e164(form, number)
        code = f"{secrets.randbelow(1_000_000):06d}"
        with self.store.write() as session:
            contact_id = self._contact(session, actor, form, e164, name)
            outcome, outbox = self.consent.apply_in(
                session,
                actor,
                RequestOptIn(
                    e164,
                    purposes=form.purposes,
                    method="web_form",
                    disclosure=disclosure_id,
                    source_url=source_url[:500],
                    form_id=form.id,
                    ip=ip,
                    user_agent=(user_agent or "")[:500] or None,
                    code=code,
                ),
                now,
            )
            assert outcome.request_id is not None
            session.add(
                OptInSubmission(
                    request_id=outcome.request_id,
                    workspace_id=form.workspace_id,
                    form_id=form.id,
                    code_hash=_code_hash(outcome.request_id, code),
                    attempts=0,
                    contact_id=contact_id,
                    created_at=now,
                )
            )
        self.consent.send(actor, outbox)
        return Submitted(outcome.request_id, e164, contact_id)

    def _contact(
        self, session: Session, actor: Actor, form: FormOut, e164: str, name: str | None
    ) -> str | None:
        """The contact holding ``e164`` joins the form's list; a new number becomes a contact.

        List membership is not consent: nothing is sent to the number until the double
        opt-in is confirmed (the policy engine reads the ledger, not lists).
        """
        try:
            data = ContactIn(
                display_name=" ".join((name or "").split())[:200] or None,
                phones=[PhoneIn(number=e164)],
                lists=[form.list_name],
                source=f"opt-in form {form.slug}"[:100],
            )
        except pydantic.ValidationError:
            raise ValidationError(
                "the name holds characters we cannot store", field="name"
            ) from None
        try:
            created = self.contacts.apply_in(session, actor, CreateContact(data))
        except Conflict as exc:
            holder = exc.details.get("contact_id")
            if not isinstance(holder, str):
                raise
            self.contacts.apply_in(session, actor, AddToLists(holder, (form.list_name,)))
            return holder
        return created.id if created is not None else None

    def confirm_code(
        self, form: FormOut, request_id: str, code: str, now: dt.datetime | None = None
    ) -> str:
        """Confirm the double opt-in ``request_id`` with the code from its SMS; returns E.164.

        Wrong codes are counted; after :data:`MAX_CODE_ATTEMPTS` the code stops working (a
        YES reply still does). An expired request is refused (C3).
        """
        now = now or utcnow()
        actor = _actor(form)
        with self.store.write() as session:
            submission = session.get(OptInSubmission, request_id)
            if submission is None or submission.form_id != form.id:
                raise NotFound("no such confirmation for this form", field="code")
            request = session.get(ConsentRequest, request_id)
            if request is None:
                raise NotFound("no such confirmation for this form", field="code")
            if request.status == "confirmed":
                return _decrypt(self, request)
            if now > request.expires_at:
                raise ValidationError(
                    "this confirmation has expired: fill in the form again (C3)",
                    field="code",
                    code="request_expired",
                )
            if submission.attempts >= MAX_CODE_ATTEMPTS:
                raise ValidationError(
                    "too many wrong codes: reply YES to the text message instead",
                    field="code",
                    code="code_locked",
                )
            given = "".join(ch for ch in code if ch.isdigit())
            if not hmac.compare_digest(_code_hash(request_id, given), submission.code_hash):
                submission.attempts += 1
                left = MAX_CODE_ATTEMPTS - submission.attempts
                wrong = ValidationError(
                    f"that code is not right ({left} tries left)", field="code", code="code_wrong"
                )
            else:
                wrong = None
        if wrong is not None:  # raised after the commit, so that the attempt is counted
            raise wrong
        confirm = ConfirmOptIn(request_id, None, now, "the code from the SMS, on the web form")
        outcome = self.consent.apply(actor, confirm, now)
        return outcome.e164

    def status(self, form: FormOut, request_id: str) -> str | None:
        """pending, confirmed or expired; None when the request is not this form's."""
        with self.store.read() as session:
            submission = session.get(OptInSubmission, request_id)
            request = session.get(ConsentRequest, request_id)
            if submission is None or request is None or submission.form_id != form.id:
                return None
            if request.status == "pending" and utcnow() > request.expires_at:
                return "expired"
            return request.status

    def opt_out(
        self, form: FormOut, number: str, *, source_url: str, now: dt.datetime | None = None
    ) -> str:
        """The preference page's one-click opt-out (C6): every purpose, every channel (O3)."""
        e164 = self.e164(form, number)
        revoke = Revoke(
            e164,
            method="web",
            occurred_at=now,
            affirmative_action=f"asked to opt out on the preference page {source_url[:300]}",
            evidence_ref=f"optin_form:{form.id}",
        )
        return self.consent.apply(_actor(form), revoke, now).e164


def require_ticked(ticked: bool) -> None:
    """C4: consent is a box the person ticked themselves; an unticked form is refused."""
    if not ticked:
        raise ValidationError(
            "Tick the box to agree to the messages: nobody is subscribed without it.",
            field="agree",
            code="consent_unticked",
        )


def _actor(form: FormOut) -> Actor:
    return Actor(form.workspace_id, Role.OWNER, "system", f"form:{form.id}")


def _decrypt(service: FormService, request: ConsentRequest) -> str:
    return service.keyring.decrypt(
        request.e164_enc, table="consent_requests", column="e164", row_id=request.id
    )


def _code_hash(request_id: str, code: str) -> str:
    return hashlib.sha256(f"{request_id}:{code}".encode()).hexdigest()


def validated(data: FormIn) -> FormIn:
    """``data`` cleaned (slug lower-cased, countries upper-cased), or ValidationError."""
    slug = data.slug.strip().lower()
    if not SLUG.match(slug):
        raise ValidationError(
            "the address needs 2-63 lower-case letters, digits or dashes", field="slug"
        )
    title = " ".join(data.title.split())
    if not 1 <= len(title) <= 200:
        raise ValidationError("a title of 1-200 characters is needed", field="title")
    list_name = " ".join(data.list_name.split())
    if not 1 <= len(list_name) <= 100:
        raise ValidationError("a list name of 1-100 characters is needed", field="list_name")
    purposes = _unique(data.purposes)
    if not purposes or any(p not in CONSENT_PURPOSES for p in purposes):
        raise ValidationError("choose marketing and/or informational", field="purposes")
    countries = _unique(c.strip().upper() for c in data.allowed_countries if c.strip())
    if not countries or any(c not in phonenumbers.SUPPORTED_REGIONS for c in countries):
        raise ValidationError(
            "allowed countries are ISO 3166 codes such as US, CA or PT", field="allowed_countries"
        )
    origins = _unique(o.strip().lower().rstrip("/") for o in data.embed_origins if o.strip())
    for origin in origins:
        if not ORIGIN.match(origin):
            raise ValidationError(
                f"{origin!r} is not an origin such as https://shop.example.com",
                field="embed_origins",
            )
    return FormIn(
        slug=slug,
        title=title,
        list_name=list_name,
        disclosure_name=data.disclosure_name.strip(),
        purposes=purposes,
        allowed_countries=countries,
        embed_origins=origins,
        active=data.active,
    )


def _unique(items: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(items))


def _out(row: OptInForm) -> FormOut:
    return FormOut(
        id=row.id,
        workspace_id=row.workspace_id,
        slug=row.slug,
        title=row.title,
        list_name=row.list_name,
        disclosure_name=row.disclosure_name,
        purposes=tuple(row.purposes),
        allowed_countries=tuple(row.allowed_countries),
        embed_origins=tuple(row.embed_origins),
        active=row.active,
        updated_at=row.updated_at,
    )
