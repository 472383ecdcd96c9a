"""One settings object, built once (in `create_app()` or the CLI) and passed down.

Environment names keep the seeds' Stripe names (`STRIPE_SECRET_KEY`, ...); everything
else is prefixed `COMPTOIR_`. Secrets are `SecretStr` so they never print by accident.
"""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Annotated

from pydantic import AliasChoices, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

PLACEHOLDER_SECRETS = frozenset({"", "changeme", "change-me", "secret", "changethis", "placeholder"})
_JWT_SECRET_FILE = "jwt-secret"


class InsecureSettingsError(RuntimeError):
    """Raised when a production start would run with a placeholder secret."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="COMPTOIR_", extra="ignore", populate_by_name=True)

    dev: bool = Field(default=False, description="Development mode: console mail, generated secrets allowed.")
    data_dir: Path = Field(default=Path("var"), description="Where the SQLite database and generated secrets live.")
    database_url: str | None = Field(default=None, description="SQLAlchemy URL; default is SQLite in data_dir.")
    public_url: str = Field(default="http://127.0.0.1:8000", description="Base URL customers' browsers reach.")

    jwt_secret: SecretStr = Field(default=SecretStr(""))
    jwt_ttl_seconds: int = 3600
    hold_minutes: int = Field(
        default=30, ge=30, le=24 * 60, description="Stock hold; Stripe sessions last 30 min to 24 h."
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
    sandbox_port: int = Field(default=12111, description="Port of the embedded sandbox (when no Stripe key is set).")
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

    smtp_url: str | None = Field(default=None, description="smtp://user:pass@host:port; console mail when unset.")
    mail_from: str = "comptoir <no-reply@comptoir.local>"

    @field_validator("stripe_webhook_secrets", "stripe_payment_method_types", "trusted_proxies", mode="before")
    @classmethod
    def _split_secrets(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
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

        Outside dev mode a placeholder secret is refused rather than silently replaced, so a
        production instance never signs tokens with a guessable key.
        """
        current = self.jwt_secret.get_secret_value()
        if current.lower() not in PLACEHOLDER_SECRETS:
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
