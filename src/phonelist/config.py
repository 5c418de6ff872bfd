"""Settings: one object, read from ``PHONELIST_*`` environment variables and an optional TOML file.

Precedence, highest first: keyword arguments, environment variables, the config file
(``PHONELIST_CONFIG``, else ``<data_dir>/phonelist.toml`` when it exists), defaults.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, SecretStr, field_validator
from pydantic import ValidationError as PydanticValidationError
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from phonelist.errors import ConfigError

__all__ = ["Settings", "default_data_dir", "load_settings"]


def default_data_dir() -> Path:
    """``$XDG_DATA_HOME/phonelist``, else ``~/.local/share/phonelist``."""
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "phonelist"


class Settings(BaseSettings):
    """Everything phonelist can be configured with. See docs/configuration.md."""

    model_config = SettingsConfigDict(env_prefix="PHONELIST_", extra="forbid")

    data_dir: Path = Field(default_factory=default_data_dir)
    database_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL; default sqlite:///<data_dir>/phonelist.db. "
        "PostgreSQL: postgresql+psycopg://user@host/db",
    )
    keys_dir: Path | None = Field(default=None, description="Default <data_dir>/keys")
    # Where the keyring comes from (docs/security.md, "Keys").
    keys_provider: Literal["file", "env", "command"] = Field(
        default="file",
        description="file: <keys_dir>/keyring.json; env: PHONELIST_KEYRING; command: keys_command",
    )
    keyring: SecretStr | None = Field(
        default=None, description="The keyring JSON (or base64 of it), for keys_provider = env"
    )
    keys_command: str | None = Field(
        default=None,
        description="Command (no shell) that prints the keyring JSON, for keys_provider = command",
    )
    keys_command_timeout: float = Field(
        default=10, gt=0, le=600, description="Seconds keys_command may take"
    )
    backup_key: SecretStr | None = Field(
        default=None, description="The backup key (64 hex digits); default <keys_dir>/backup.key"
    )
    session_secret: SecretStr | None = Field(
        default=None, description="Signs web sessions; default <keys_dir>/session.key"
    )
    default_region: str = Field(default="US", description="ISO 3166 region for numbers without +")
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    secure_cookies: bool = Field(
        default=False, description="Mark session cookies Secure (set when served over HTTPS)"
    )
    max_request_bytes: int = Field(default=2_000_000, ge=1024)
    max_upload_bytes: int = Field(
        default=500_000_000, ge=1024, description="Largest file accepted by POST /api/v1/imports"
    )
    sqlite_busy_timeout_ms: int = Field(default=30_000, ge=0)
    lookup_provider: Literal["none", "twilio"] = Field(
        default="none", description="Live line checks: never called unless set"
    )
    twilio_account_sid: str | None = None
    twilio_auth_token: SecretStr | None = None
    twilio_lookup_base_url: str = "https://lookups.twilio.com"
    lookup_max_age_days: int = Field(default=30, ge=0, le=3650)
    log_level: str = "info"
    # Consent, opt-out and policy (docs/compliance.md).
    policy_file: Path | None = Field(
        default=None,
        description="Operator rule pack (TOML): own quiet hours, caps, holiday bans, keywords",
    )
    review_policy: Literal["opt_out", "hold"] = Field(
        default="opt_out",
        description="Ambiguous replies (O2): revoke at once and review (opt_out), or only review",
    )
    revocation_scope: Literal["all", "purpose"] = Field(
        default="all",
        description="What an opt-out revokes (O3): every channel and purpose, or only its own",
    )
    optout_confirmation_window_hours: float = Field(
        default=24, ge=0, description="A repeated STOP inside this window gets no confirmation"
    )
    double_opt_in_hours: float = Field(
        default=48, gt=0, description="How long a double opt-in request waits for its reply (C3)"
    )
    public_url: str | None = Field(
        default=None,
        max_length=300,
        description="The address providers call (webhook signatures cover it), e.g. behind a proxy",
    )
    gateway: dict[str, Any] = Field(
        default_factory=dict, description="The SMS gateway: a [gateway] table (docs/gateways.md)"
    )
    program_name: str = Field(default="phonelist messages", description="Named in every reply")
    support_contact: str = Field(
        default="", description="Support phone, email or URL given in HELP replies"
    )
    message_frequency: str = Field(
        default="Msg frequency varies", description="Said in opt-in confirmations (CTIA)"
    )
    # Backups (docs/backups.md).
    backup_interval_hours: float = Field(
        default=24, ge=0, description="phonelist serve makes a backup this often; 0 disables"
    )
    backup_keep: int = Field(default=7, ge=1, description="Scheduled backups kept; older deleted")
    backup_dir: Path | None = Field(default=None, description="Default <data_dir>/backups")
    retention_interval_hours: float = Field(
        default=24, ge=0, description="phonelist serve runs the retention purge this often; 0 off"
    )
    keyword_programs: dict[str, dict[str, Any]] = Field(
        default_factory=dict,
        description="Keyword opt-in: KEYWORD -> {purposes, disclosure, list}; see docs",
    )
    # Campaigns (docs/campaigns.md).
    campaign_approval_threshold: int = Field(
        default=1000, ge=0, description="Marketing campaigns to more contacts need approval"
    )
    sms_price_per_segment: dict[str, float] = Field(
        default_factory=lambda: {"default": 0.0079},
        description="Estimated price of one SMS segment by region (ISO code) or 'default'",
    )
    message_footer: str = Field(
        default="{brand}: Reply STOP to opt out",
        description="Appended to marketing SMS without an opt-out instruction (M1)",
    )
    opt_out_route: str | None = Field(
        default=None, description="Opt-out web page or number for senders without replies (M2)"
    )
    one_way_senders: list[str] = Field(
        default_factory=list, description="Sender numbers that cannot receive replies (M2)"
    )

    # Dispatch: the outbox worker (docs/dispatch.md).
    worker_batch_size: int = Field(
        default=200, ge=1, le=10_000, description="Messages one worker claims per round"
    )
    worker_lease_seconds: float = Field(
        default=120, ge=1, description="A dead worker's claimed messages are resent after this"
    )
    worker_poll_seconds: float = Field(
        default=1.0, gt=0, le=60, description="How often an idle worker looks for due messages"
    )
    worker_threads: int = Field(
        default=8, ge=1, le=64, description="Concurrent sends within one round of one worker"
    )
    worker_send_processes: int = Field(
        default=0, ge=0, le=64, description="Child processes that send for one worker; 0: threads"
    )
    worker_embedded: Literal["auto", "on", "off"] = Field(
        default="auto", description="phonelist serve runs a worker: auto = on SQLite only"
    )
    retry_max_attempts: int = Field(
        default=8, ge=1, le=100, description="Attempts at a message before it is failed"
    )
    retry_backoff_seconds: float = Field(
        default=10, gt=0, description="First retry after about this; doubles each attempt"
    )
    retry_backoff_cap_seconds: float = Field(
        default=3600, gt=0, description="Longest wait between two attempts"
    )
    gateway_rate: float = Field(
        default=0, ge=0, description="Messages per second per gateway and worker; 0: no limit"
    )

    # Sign-in protection (docs/security.md, "Signing in").
    sign_in_max_failures: int = Field(
        default=5, ge=1, le=1000, description="Failed sign-ins in a row that lock an account"
    )
    sign_in_lockout_minutes: float = Field(
        default=15, gt=0, le=10080, description="How long a locked account stays locked"
    )

    @field_validator("default_region")
    @classmethod
    def _upper_region(cls, value: str) -> str:
        value = value.strip().upper()
        if len(value) != 2 or not value.isalpha():
            raise ValueError("default_region must be a two-letter ISO 3166 code such as US or PT")
        return value

    @property
    def resolved_database_url(self) -> str:
        return self.database_url or f"sqlite:///{self.data_dir / 'phonelist.db'}"

    @property
    def resolved_keys_dir(self) -> Path:
        return self.keys_dir or self.data_dir / "keys"

    @property
    def resolved_backup_dir(self) -> Path:
        return self.backup_dir or self.data_dir / "backups"

    @property
    def is_sqlite(self) -> bool:
        return self.resolved_database_url.startswith("sqlite")

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        init_kwargs = getattr(init_settings, "init_kwargs", {})
        return (init_settings, env_settings, _TomlFileSource(settings_cls, init_kwargs))


class _TomlFileSource(PydanticBaseSettingsSource):
    """Reads the optional TOML config file; its keys are the Settings field names.

    Its default place is in the data directory, as given to ``load_settings(data_dir=...)``,
    else by ``PHONELIST_DATA_DIR``, else the default data directory.
    """

    def __init__(self, settings_cls: type[BaseSettings], init_kwargs: dict[str, Any]) -> None:
        super().__init__(settings_cls)
        self.init_data_dir = init_kwargs.get("data_dir")

    def get_field_value(self, field: Any, field_name: str) -> tuple[Any, str, bool]:
        return None, field_name, False  # unused: __call__ returns the whole file

    def __call__(self) -> dict[str, Any]:
        path_text = os.environ.get("PHONELIST_CONFIG")
        if path_text:
            path = Path(path_text)
            if not path.is_file():
                raise ConfigError(f"config file {path} (from PHONELIST_CONFIG) does not exist")
        else:
            data_dir = Path(
                self.init_data_dir or os.environ.get("PHONELIST_DATA_DIR") or default_data_dir()
            )
            path = data_dir / "phonelist.toml"
            if not path.is_file():
                return {}
        try:
            with path.open("rb") as handle:
                data = tomllib.load(handle)
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise ConfigError(f"cannot read config file {path}: {exc}") from exc
        return data


def load_settings(**overrides: Any) -> Settings:
    """Build the settings, turning pydantic's errors into a :class:`ConfigError`."""
    try:
        return Settings(**overrides)
    except PydanticValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise ConfigError(f"invalid setting {where}: {first['msg']}") from exc
