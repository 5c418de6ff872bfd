"""The core: one object that holds the store, the keys and the services every face calls.

Built from :class:`~phonelist.config.Settings` by :meth:`Phonelist.open`; nothing is built at
import time, so tests open as many cores as they like against SQLite or PostgreSQL.
"""

from __future__ import annotations

import functools
import getpass
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from phonelist.audit.log import session_info
from phonelist.audit.service import AuditService
from phonelist.backup.service import BackupService
from phonelist.campaigns import CampaignService, ConversationService
from phonelist.config import Settings
from phonelist.consent.classify import KeywordPack, load_keywords
from phonelist.consent.inbound import InboundService
from phonelist.consent.service import ConsentService
from phonelist.contacts.fields import FieldService
from phonelist.contacts.service import ContactService
from phonelist.dispatch.service import DispatchService
from phonelist.errors import ConfigError
from phonelist.exports.service import ExportService
from phonelist.gateways import Gateway, close_gateway
from phonelist.gateways.factory import GatewaySettings, build_gateway
from phonelist.imports.service import ImportService
from phonelist.lookup.service import LineCheckService, LookupSettings, build_line_checks
from phonelist.policy.rules import RuleSet, load_rules
from phonelist.policy.service import PolicyService
from phonelist.privacy.erase import Eraser
from phonelist.privacy.requests import PrivacyRequestService
from phonelist.privacy.retention import RetentionService
from phonelist.privacy.service import PrivacyService
from phonelist.security.crypto import Keyring
from phonelist.security.keystore import key_provider, rotation_keys, session_secret
from phonelist.security.permissions import Actor, Role
from phonelist.security.rotation import KeyRotation
from phonelist.security.tokens import TokenService
from phonelist.security.users import UserService
from phonelist.segments.service import SegmentService
from phonelist.store import Store, build_engine
from phonelist.store.migrate import current_revision, head_revision, upgrade
from phonelist.suppression.registry import RegistryService
from phonelist.suppression.service import SuppressionService

__all__ = ["DEFAULT_WORKSPACE", "Phonelist"]

DEFAULT_WORKSPACE = 1


@dataclass
class Phonelist:
    settings: Settings
    store: Store
    keyring: Keyring
    contacts: ContactService
    fields: FieldService
    imports: ImportService
    exports: ExportService
    line_checks: LineCheckService | None  # None unless a lookup provider is configured
    tokens: TokenService
    users: UserService
    session_secret: bytes
    rules: RuleSet
    keywords: KeywordPack
    gateway: Gateway
    consent: ConsentService
    inbound: InboundService
    suppressions: SuppressionService
    registries: RegistryService
    policy: PolicyService
    segments: SegmentService
    audit: AuditService
    backups: BackupService
    privacy: PrivacyService
    erasure: Eraser
    dispatch: DispatchService

    @classmethod
    def open(cls, settings: Settings, *, migrate: bool = True) -> Phonelist:
        """Open the store and keys named by ``settings``; apply pending migrations."""
        keyring = key_provider(settings).load()  # file, env or key manager (keystore.py)
        engine = build_engine(
            settings.resolved_database_url, sqlite_busy_timeout_ms=settings.sqlite_busy_timeout_ms
        )
        store = Store(engine, info=session_info(keyring))  # the audit chain's key
        if migrate:
            upgrade(engine)
        elif current_revision(engine) != head_revision():
            raise ConfigError("the database schema is not current: run 'phonelist init'")
        contacts = ContactService(store, keyring)
        fields = FieldService(store)
        rules = load_rules(settings.policy_file)
        keywords = load_keywords()
        if settings.policy_file is not None:
            keywords = keywords.merged(_operator_keywords(settings.policy_file))
        if settings.keyword_programs:  # a program's keyword is an opt-in keyword too
            keywords = keywords.merged({"opt_in": {"*": sorted(settings.keyword_programs)}})
        gateway_settings = (
            GatewaySettings.from_mapping(settings.gateway)
            if settings.gateway
            else GatewaySettings.from_env()
        )
        gateway = build_gateway(gateway_settings)
        consent = ConsentService(store, keyring, settings, gateway, rules)
        max_age = rules.registry.max_age_days if rules.registry else 31
        suppressions = SuppressionService(store, keyring, settings, consent)

        def provider_error(actor: Actor, e164: str, code: str) -> None:
            # O7 on our own replies: the system records it, whoever caused the reply.
            system = Actor(actor.workspace_id, Role.OWNER, "system", f"provider-error:{code}")
            suppressions.provider_signal(system, e164, code)

        consent.on_provider_error = provider_error
        exports = ExportService(store, contacts, fields)
        policy = PolicyService(store, keyring, rules, settings.default_region)
        privacy = PrivacyService(store, keyring, consent)
        dispatch = DispatchService(store, keyring, policy, gateway, suppressions, settings)
        # Send processes (worker_send_processes) each build their own gateway from the settings.
        dispatch.gateway_factory = functools.partial(build_gateway, gateway_settings)
        return cls(
            settings=settings,
            store=store,
            keyring=keyring,
            contacts=contacts,
            fields=fields,
            imports=ImportService(store, keyring, contacts, fields),
            exports=exports,
            line_checks=build_line_checks(LookupSettings.from_settings(settings), store, keyring),
            tokens=TokenService(store),
            users=UserService(
                store,
                keyring,
                max_failures=settings.sign_in_max_failures,
                lockout_minutes=settings.sign_in_lockout_minutes,
            ),
            session_secret=session_secret(settings),
            rules=rules,
            keywords=keywords,
            gateway=gateway,
            consent=consent,
            inbound=InboundService(consent, keywords, contacts),
            suppressions=suppressions,
            registries=RegistryService(store, keyring, max_age),
            policy=policy,
            segments=SegmentService(
                store, keyring, contacts, exports, policy, settings.default_region
            ),
            audit=AuditService(store),
            backups=BackupService.from_settings(store, settings),
            privacy=privacy,
            erasure=Eraser(store, keyring, consent, contacts, privacy),
            dispatch=dispatch,
        )

    def rotation(self, to: Path | None = None) -> KeyRotation:
        """``to``: the staging file, for a keyring phonelist cannot write (keystore.py)."""
        keys = rotation_keys(key_provider(self.settings), to)
        return KeyRotation(self.store, keys, self.keyring)

    @property
    def campaigns(self) -> CampaignService:
        return CampaignService(self.store, self.keyring, self.settings, self.segments, self.policy)

    @property
    def conversations(self) -> ConversationService:
        return ConversationService(
            self.store, self.keyring, self.settings, self.policy, self.contacts
        )

    @property
    def privacy_requests(self) -> PrivacyRequestService:
        return PrivacyRequestService(self.store, self.keyring, self.consent)

    @property
    def retention(self) -> RetentionService:
        return RetentionService(self.store, self.consent.ledger, self.erasure)

    def close(self) -> None:
        self.imports.shutdown()
        close_gateway(self.gateway)
        self.store.dispose()

    def __enter__(self) -> Phonelist:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @staticmethod
    def cli_actor() -> Actor:
        """Whoever runs the CLI holds the key files, so acts as the workspace owner."""
        try:
            name = getpass.getuser()
        except (KeyError, OSError):
            name = "unknown"
        return Actor(workspace_id=DEFAULT_WORKSPACE, role=Role.OWNER, kind="cli", ref=name[:80])

    @staticmethod
    def system_actor(job: str) -> Actor:
        return Actor(workspace_id=DEFAULT_WORKSPACE, role=Role.OWNER, kind="system", ref=job)


def _operator_keywords(path: Path) -> dict[str, Any]:
    """The ``[keywords]`` table of the operator's policy file (same shape as keywords.toml)."""
    with path.open("rb") as handle:
        keywords = tomllib.load(handle).get("keywords", {})
    if not isinstance(keywords, dict):
        raise ConfigError(f"{path}: [keywords] must be a table")
    return keywords
