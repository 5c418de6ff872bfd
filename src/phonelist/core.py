"""The core: one object that holds the store, the keys and the services every face calls.

Built from :class:`~phonelist.config.Settings` by :meth:`Phonelist.open`; nothing is built at
import time, so tests open as many cores as they like against SQLite or PostgreSQL.
"""

from __future__ import annotations

import getpass
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from phonelist.audit.log import session_info
from phonelist.audit.service import AuditService
from phonelist.backup.service import BackupService
from phonelist.config import Settings
from phonelist.consent.classify import KeywordPack, load_keywords
from phonelist.consent.inbound import InboundService
from phonelist.consent.service import ConsentService
from phonelist.contacts.fields import FieldService
from phonelist.contacts.service import ContactService
from phonelist.errors import ConfigError
from phonelist.exports.service import ExportService
from phonelist.gateways import Gateway, RecordingGateway
from phonelist.imports.service import ImportService
from phonelist.lookup.service import LineCheckService, LookupSettings, build_line_checks
from phonelist.policy.rules import RuleSet, load_rules
from phonelist.policy.service import PolicyService
from phonelist.privacy.service import PrivacyService
from phonelist.security.crypto import Keyring, load_keyring, load_or_create_session_secret
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

    @classmethod
    def open(cls, settings: Settings, *, migrate: bool = True) -> Phonelist:
        """Open the store and keys named by ``settings``; apply pending migrations."""
        keys_dir = settings.resolved_keys_dir
        keyring = load_keyring(keys_dir)
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
        gateway = RecordingGateway()
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
            session_secret=load_or_create_session_secret(keys_dir),
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
            backups=BackupService(store, keys_dir, settings.resolved_backup_dir),
            privacy=PrivacyService(store, keyring, consent),
        )

    def rotation(self) -> KeyRotation:
        return KeyRotation(self.store, self.settings.resolved_keys_dir, self.keyring)

    def close(self) -> None:
        self.imports.shutdown()
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
