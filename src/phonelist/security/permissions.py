"""Who may do what. The matrix is enforced in the core services, not only in the faces.

The full permission matrix, with agents' masked view, is documented in docs/security.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from phonelist.errors import PermissionDenied

__all__ = ["ROLE_PERMISSIONS", "Actor", "Permission", "Role"]


class Role(StrEnum):
    OWNER = "owner"
    ADMIN = "admin"
    EDITOR = "editor"
    AGENT = "agent"
    VIEWER = "viewer"


class Permission(StrEnum):
    CONTACTS_READ = "contacts.read"
    CONTACTS_WRITE = "contacts.write"
    CONTACTS_DELETE = "contacts.delete"
    CONTACTS_NUMBERS = "contacts.numbers"  # see full numbers; without it they are masked
    FIELDS_MANAGE = "fields.manage"
    TOKENS_MANAGE = "tokens.manage"
    USERS_MANAGE = "users.manage"
    USERS_RESET_PASSWORD = "users.reset_password"  # noqa: S105 (a name, not a password); owners only
    KEYS_MANAGE = "keys.manage"
    CONSENT_READ = "consent.read"
    CONSENT_GRANT = "consent.grant"
    CONSENT_REVOKE = "consent.revoke"
    CONSENT_MANAGE = "consent.manage"  # disclosures, review queue, verify, rebuild
    SUPPRESSIONS_ADD = "suppressions.add"
    SUPPRESSIONS_LIFT = "suppressions.lift"
    REGISTRY_IMPORT = "registry.import"
    POLICY_CHECK = "policy.check"
    INBOUND_PROCESS = "inbound.process"
    SEGMENTS_MANAGE = "segments.manage"  # save and delete saved segments
    AUDIT_READ = "audit.read"  # show and verify the audit log (owners and admins)
    PRIVACY_MANAGE = "privacy.manage"  # export all data held about a person (owners and admins)
    CAMPAIGNS_MANAGE = "campaigns.manage"  # compose, preview, launch, pause and cancel campaigns
    CAMPAIGNS_APPROVE = "campaigns.approve"  # approve marketing campaigns above the threshold
    CAMPAIGNS_EMERGENCY = "campaigns.emergency"  # emergency broadcasts (always audited)
    MESSAGES_READ = "messages.read"  # conversations and campaign statistics
    MESSAGES_SEND = "messages.send"  # one-to-one follow-ups and call logs, under the policy


_ALL = frozenset(Permission)
_CONSENT_DESK = frozenset(
    {
        Permission.CONSENT_READ,
        Permission.CONSENT_GRANT,
        Permission.CONSENT_REVOKE,
        Permission.SUPPRESSIONS_ADD,
        Permission.POLICY_CHECK,
    }
)
ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.OWNER: _ALL,
    Role.ADMIN: _ALL - {Permission.KEYS_MANAGE, Permission.USERS_RESET_PASSWORD},
    Role.EDITOR: frozenset(
        {
            Permission.CONTACTS_READ,
            Permission.CONTACTS_NUMBERS,
            Permission.CONTACTS_WRITE,
            Permission.CONTACTS_DELETE,
            Permission.SEGMENTS_MANAGE,
            Permission.CAMPAIGNS_MANAGE,
            Permission.MESSAGES_READ,
            Permission.MESSAGES_SEND,
            *_CONSENT_DESK,
        }
    ),
    # Agents record what people tell them: consent, opt-outs and do-not-call requests (C6, O8).
    # They see numbers masked (no contacts.numbers); to show an agent full numbers, give the
    # user the editor role.
    Role.AGENT: frozenset(
        {
            Permission.CONTACTS_READ,
            Permission.CONTACTS_WRITE,
            Permission.MESSAGES_READ,
            Permission.MESSAGES_SEND,
            *_CONSENT_DESK,
        }
    ),
    Role.VIEWER: frozenset(
        {
            Permission.CONTACTS_READ,
            Permission.CONTACTS_NUMBERS,
            Permission.CONSENT_READ,
            Permission.POLICY_CHECK,
            Permission.MESSAGES_READ,
        }
    ),
}


@dataclass(frozen=True, slots=True)
class Actor:
    """Who is acting: a signed-in user, an API token, the local CLI operator, or the system.

    ``label`` goes into the audit log; it never holds personal data of contacts.
    """

    workspace_id: int
    role: Role
    kind: str  # "user" | "token" | "cli" | "system"
    ref: str  # user id, token id, OS user name or job name

    @property
    def label(self) -> str:
        return f"{self.kind}:{self.ref}"

    def can(self, permission: Permission) -> bool:
        return permission in ROLE_PERMISSIONS[self.role]

    def require(self, permission: Permission) -> None:
        if not self.can(permission):
            raise PermissionDenied(
                f"role {self.role.value!r} may not do {permission.value!r}",
                details={"permission": permission.value, "role": self.role.value},
            )
