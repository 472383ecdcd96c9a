"""One settings object, built once (in `create_app()` or the CLI) and passed down.

Environment names keep the seeds' Stripe names (`STRIPE_SECRET_KEY`, ...); everything
else is prefixed `COMPTOIR_`. Secrets are `SecretStr` so they never print by accident.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AliasChoices, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from comptoir.wording import DEFAULT_MESSAGE_LANGUAGE

PLACEHOLDER_SECRETS = frozenset({"", "changeme", "change-me", "secret", "changethis", "placeholder"})
MIN_JWT_SECRET_BYTES = 32
"""HS256 keys shorter than the hash (32 bytes) can be brute-forced from one token (RFC 7518 §3.2)."""
STRIPE_KEY_PREFIXES = ("sk_test_", "sk_live_", "rk_test_", "rk_live_")
STRIPE_API_BASE = "https://api.stripe.com"
DATABASE_URL_EXAMPLES = "sqlite:///path/to/comptoir.sqlite3 or postgresql+psycopg://user:pass@host:5432/comptoir"
_JWT_SECRET_FILE = "jwt-secret"
_EMBEDDED_SANDBOX_FILE = "embedded-sandbox.json"
_NEVER_ECHOED = frozenset({"database_url", "smtp_url"})
"""Settings whose value may carry a password: an error names them without repeating them."""


class InsecureSettingsError(RuntimeError):
    """Raised when a production start would run with a placeholder secret or a misfit Stripe key."""


class EmbeddedSandboxUnreadable(RuntimeError):
    """The embedded sandbox's settings file in the data folder is empty, not JSON or incomplete."""


@dataclass(frozen=True, slots=True)
class EmbeddedSandbox:
    """Where the sandbox `comptoir serve` embeds listens, and its keys: written into the data folder
    at start-up so `reconcile`, `worker` and `events replay` on the same folder reach it."""

    api_base: str
    secret_key: str
    publishable_key: str
    webhook_secret: str


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="COMPTOIR_", extra="ignore", populate_by_name=True)

    dev: bool = Field(default=False, description="Development mode: console mail, generated secrets allowed.")
    data_dir: Path = Field(default=Path("var"), description="Where the SQLite database and generated secrets live.")
    database_url: str | None = Field(default=None, description="SQLAlchemy URL; default is SQLite in data_dir.")
    public_url: str = Field(default="http://127.0.0.1:8000", description="Base URL customers' browsers reach.")

    jwt_secret: SecretStr = Field(default=SecretStr(""))
    jwt_ttl_seconds: int = 3600
    hold_minutes: int = Field(
        default=30, ge=30, le=24 * 60, description="Stock hold in minutes, 30 to 1440: a Checkout Session's life."
    )
    max_body_bytes: int = 64 * 1024

    stripe_secret_key: SecretStr | None = Field(
        default=None, validation_alias=AliasChoices("STRIPE_SECRET_KEY", "COMPTOIR_STRIPE_SECRET_KEY")
    )
    stripe_publishable_key: str | None = Field(
        default=None, validation_alias=AliasChoices("STRIPE_PUBLISHABLE_KEY", "COMPTOIR_STRIPE_PUBLISHABLE_KEY")
    )
    stripe_webhook_secrets: Annotated[list[SecretStr], NoDecode] = Field(
        default_factory=list,
        validation_alias=AliasChoices("STRIPE_WEBHOOK_SECRET", "COMPTOIR_STRIPE_WEBHOOK_SECRET"),
        description="Comma-separated during a rotation: any one of them verifies a delivery.",
    )
    stripe_payment_method_types: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description=(
            "What Checkout offers, comma-separated (card,sepa_debit); empty lets Stripe pick from the Dashboard."
        ),
    )
    stripe_api_base: str | None = Field(default=None, description="Point the SDK at a sandbox running elsewhere.")
    sandbox_port: int = Field(
        default=12111, ge=0, le=65535, description="Port of the embedded sandbox; 0 picks a free one."
    )
    reconcile_every_seconds: float = Field(default=60.0, gt=0, description="How often the worker reconciles.")
    outbox_every_seconds: float = Field(default=2.0, gt=0, description="How often the worker sends queued mail.")

    login_failures_per_account: int = Field(
        default=10, ge=1, description="Failed logins one account may have per window before it waits."
    )
    login_failures_per_address: int = Field(
        default=50, ge=1, description="Failed logins (any accounts) one client address may have per window."
    )
    login_window_seconds: int = Field(default=15 * 60, ge=1, description="The moving window of failed logins.")
    registrations_per_address: int = Field(
        default=20, ge=1, description="Accounts one client address may try to create per registration window."
    )
    registration_window_seconds: int = Field(default=60 * 60, ge=1, description="The registrations' window.")
    rate_limit_storage: SecretStr = Field(
        default=SecretStr("memory://"),
        description=(
            "Where attempts are counted: memory:// (one instance), or for several instances `database` "
            "(the shop's database) or redis://[:password@]host:6379 (secret: it may carry a password)."
        ),
    )
    trusted_proxies: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description=(
            "Addresses (or networks) of reverse proxies whose X-Forwarded-For names the client, comma-separated; "
            "empty trusts no header: the client is the connecting peer."
        ),
    )

    time_zone: str = Field(
        default="Europe/Paris",
        description="The shops' time zone (IANA name, e.g. Europe/Paris): the dates, times and 'today' of the pages.",
    )
    page_session_idle_seconds: int = Field(
        default=12 * 60 * 60,
        ge=5 * 60,
        le=7 * 24 * 60 * 60,
        description="A signed-in screen unused for this long asks to sign in again; any page seen renews it.",
    )

    default_language: Literal["fr", "en"] = Field(
        default=DEFAULT_MESSAGE_LANGUAGE,
        description=(
            "The e-mails' language (fr or en) for a person who chose none: a customer's receipts, a merchant's "
            "alerts. Someone who chose a language (at sign-up, with the pages' switch) gets theirs."
        ),
    )
    smtp_url: str | None = Field(default=None, description="smtp://user:pass@host:port; console mail when unset.")
    mail_from: str = "comptoir <no-reply@comptoir.local>"

    @field_validator("stripe_webhook_secrets", "stripe_payment_method_types", "trusted_proxies", mode="before")
    @classmethod
    def _split_secrets(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @field_validator("database_url")
    @classmethod
    def _supported_database(cls, value: str | None) -> str | None:
        """Refuse at start-up what the engine would only refuse later, with a traceback."""
        if not value:
            return None
        try:
            url = make_url(value)
        except ArgumentError:
            raise ValueError(f"not a database URL; expected {DATABASE_URL_EXAMPLES}") from None
        if url.get_backend_name() == "sqlite" and url.get_driver_name() == "pysqlite":
            return value
        if url.get_backend_name() == "postgresql" and url.get_driver_name() == "psycopg":
            return value
        raise ValueError(f"{url.drivername}:// is not supported; expected {DATABASE_URL_EXAMPLES}")

    @field_validator("time_zone")
    @classmethod
    def _known_time_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"{value!r} is not a time zone; expected an IANA name such as Europe/Paris") from None
        return value

    @property
    def time_zone_info(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)

    @field_validator("rate_limit_storage")
    @classmethod
    def _usable_rate_limit_storage(cls, value: SecretStr) -> SecretStr:
        """Refuse at start-up a storage URI that would only fail inside `create_app()`, with a traceback;
        the refusal (`RateLimitStorageInvalid` is a ValueError) never repeats a password."""
        from comptoir.adapters.rate_limits import open_storage

        if value.get_secret_value() != "database":
            open_storage(value.get_secret_value())
        return value

    @property
    def effective_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'comptoir.sqlite3').resolve()}"

    @property
    def uses_embedded_sandbox(self) -> bool:
        return self.stripe_secret_key is None

    def with_secrets_ensured(self) -> Settings:
        """Return settings fit to serve: a real JWT secret, or in dev mode one generated and kept in data_dir.

        Outside dev mode a placeholder or short secret is refused rather than silently replaced, so a
        production instance never signs tokens with a guessable key. A Stripe key is checked in
        every mode: a malformed one would only fail at the first payment, and a live key sent to
        a sandbox's address would hand a real key to a test server.
        """
        self.check_stripe_key()
        current = self.jwt_secret.get_secret_value()
        if current.lower() not in PLACEHOLDER_SECRETS:
            if not self.dev and len(current.encode()) < MIN_JWT_SECRET_BYTES:
                raise InsecureSettingsError(
                    f"COMPTOIR_JWT_SECRET is {len(current.encode())} bytes; outside --dev it must be at least "
                    f"{MIN_JWT_SECRET_BYTES} random bytes (e.g. python3 -c 'import secrets; "
                    "print(secrets.token_urlsafe(48))')"
                )
            return self
        if not self.dev:
            raise InsecureSettingsError(
                "COMPTOIR_JWT_SECRET is unset or a placeholder; set a long random value, or run with --dev"
            )
        self.data_dir.mkdir(parents=True, exist_ok=True)
        path = self.data_dir / _JWT_SECRET_FILE
        if not path.exists():
            path.write_text(secrets.token_urlsafe(48))
            path.chmod(0o600)
        return self.model_copy(update={"jwt_secret": SecretStr(path.read_text().strip())})

    def check_stripe_key(self) -> None:
        """Refuse a key Stripe would refuse anyway, and a live key about to be sent somewhere else."""
        if self.stripe_secret_key is None:
            return
        key = self.stripe_secret_key.get_secret_value()
        if not key.startswith(STRIPE_KEY_PREFIXES):
            raise InsecureSettingsError(
                "STRIPE_SECRET_KEY is not a Stripe secret key: expected sk_test_…, sk_live_… or rk_…"
                " (a publishable pk_… key belongs in STRIPE_PUBLISHABLE_KEY)"
            )
        api_base = (self.stripe_api_base or STRIPE_API_BASE).rstrip("/")
        if key.startswith(("sk_live_", "rk_live_")) and api_base != STRIPE_API_BASE:
            raise InsecureSettingsError(
                f"STRIPE_SECRET_KEY is a live key but COMPTOIR_STRIPE_API_BASE points at {api_base}: "
                "a live key goes to Stripe only; unset COMPTOIR_STRIPE_API_BASE or use an sk_test_ key"
            )

    def remember_embedded_sandbox(self, sandbox: EmbeddedSandbox) -> None:
        """Keep the embedded sandbox's address and keys in the data folder (owner-only, like the JWT secret)."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        path = self.data_dir / _EMBEDDED_SANDBOX_FILE
        path.touch(mode=0o600)
        path.chmod(0o600)
        path.write_text(json.dumps(asdict(sandbox), indent=2) + "\n")

    def with_embedded_sandbox(self) -> Settings:
        """Without a Stripe key, use the sandbox a `comptoir serve` on this data folder embeds (if one did)."""
        path = self.data_dir / _EMBEDDED_SANDBOX_FILE
        if not self.uses_embedded_sandbox or not path.is_file():
            return self
        sandbox = _read_embedded_sandbox(path)
        return self.model_copy(
            update={
                "stripe_secret_key": SecretStr(sandbox.secret_key),
                "stripe_publishable_key": sandbox.publishable_key,
                "stripe_webhook_secrets": [SecretStr(sandbox.webhook_secret)],
                "stripe_api_base": sandbox.api_base,
            }
        )


def _read_embedded_sandbox(path: Path) -> EmbeddedSandbox:
    """The file `remember_embedded_sandbox` wrote, or `EmbeddedSandboxUnreadable` saying how to get a good one
    (a start cut short, a full disk or a hand edit can leave it empty or partial)."""
    try:
        fields = json.loads(path.read_text())
        if not isinstance(fields, dict):
            raise ValueError("not a JSON object")
        missing = [name for name in EmbeddedSandbox.__slots__ if not isinstance(fields.get(name), str)]
        if missing:
            raise ValueError(f"no text for {', '.join(missing)}")
    except (OSError, ValueError) as exc:
        why = "not JSON" if isinstance(exc, json.JSONDecodeError) else str(exc)
        raise EmbeddedSandboxUnreadable(
            f"{path} is unreadable ({why}): start `comptoir serve --dev` (or `--sandbox`) on this data folder "
            "again to rewrite it, or set STRIPE_SECRET_KEY"
        ) from exc
    return EmbeddedSandbox(**{name: fields[name] for name in EmbeddedSandbox.__slots__})


def environment_name(field: str) -> str:
    """The environment variable that sets ``field`` (``hold_minutes`` -> ``COMPTOIR_HOLD_MINUTES``)."""
    info = Settings.model_fields.get(field)
    if info is None:
        return field.upper()
    alias = info.validation_alias
    if isinstance(alias, AliasChoices) and isinstance(alias.choices[0], str):
        return alias.choices[0]
    return f"COMPTOIR_{field.upper()}"


def describe_invalid(exc: ValidationError) -> str:
    """One line naming each refused setting, what it was given (unless secret) and what is allowed."""
    parts = []
    for error in exc.errors(include_url=False):
        field = str(error["loc"][0]) if error["loc"] else ""
        name = environment_name(field)
        info = Settings.model_fields.get(field)
        secret = field in _NEVER_ECHOED or (info is not None and "Secret" in str(info.annotation))
        given = "" if secret or isinstance(error.get("input"), dict) else f"={error.get('input')}"
        explained = error["type"] == "value_error"  # our own validators already say what is allowed
        hint = f" ({info.description})" if info is not None and info.description and not explained else ""
        parts.append(f"{name}{given}: {error['msg'].removeprefix('Value error, ')}{hint}")
    return "; ".join(parts)
