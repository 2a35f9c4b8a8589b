"""Service settings, read once from the environment (prefix ``BENEFICIARY_``)."""

import os
import secrets
from datetime import date, time
from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from cryptography.fernet import Fernet
from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from app.core.security import Role

SYMMETRIC_ALGORITHMS = frozenset({"HS256", "HS384", "HS512"})
ASYMMETRIC_ALGORITHMS = frozenset({"RS256", "RS384", "RS512", "ES256", "ES384", "ES512"})
DEFAULT_DATA_DIR = Path("var")
SECRET_FILE_NAME = "jwt-secret"  # noqa: S105  (a file name, not a secret)
ENCRYPTION_KEY_FILE_NAME = "encryption-key"
MIN_SECRET_LENGTH = 32


class Environment(StrEnum):
    DEVELOPMENT = "development"
    TEST = "test"
    PRODUCTION = "production"


class Weekday(StrEnum):
    MONDAY = "monday"
    TUESDAY = "tuesday"
    WEDNESDAY = "wednesday"
    THURSDAY = "thursday"
    FRIDAY = "friday"
    SATURDAY = "saturday"
    SUNDAY = "sunday"


class ConfigurationError(RuntimeError):
    """The settings cannot run the service; the message says why in one line."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="BENEFICIARY_", extra="ignore")

    environment: Environment = Environment.DEVELOPMENT
    data_dir: Path = DEFAULT_DATA_DIR
    database_url: str = ""
    db_pool_size: int = Field(10, ge=1, le=200)
    db_max_overflow: int = Field(10, ge=0, le=200)
    db_pool_timeout_seconds: float = Field(10.0, gt=0)
    db_statement_timeout_ms: int = Field(15_000, ge=0)
    sqlite_busy_timeout_ms: int = Field(5_000, ge=0)

    jwt_secret: SecretStr | None = None
    jwt_algorithms: Annotated[list[str], NoDecode] = ["HS256"]
    jwt_jwks_url: str | None = None
    jwt_jwks_file: Path | None = None
    jwks_cache_seconds: int = Field(300, ge=0)
    jwt_issuer: str | None = None
    jwt_audience: str | None = None
    jwt_leeway_seconds: int = Field(30, ge=0, le=300)
    jwt_roles_claim: str = "roles"

    encryption_keys: SecretStr | None = Field(
        None, description="Comma-separated Fernet keys, newest first; the first encrypts."
    )
    complaint_response_working_days: int = Field(10, ge=1, le=365)
    information_request_working_days: int = Field(10, ge=1, le=365)
    appeal_decision_working_days: int = Field(10, ge=1, le=365)
    post_appeal_response_working_days: int = Field(10, ge=1, le=365)
    appeal_filing_window_days: int = Field(30, ge=1, le=365)
    max_clarification_pauses: int = Field(1, ge=0, le=10)
    feedback_period_days: int = Field(30, ge=1, le=365)

    max_request_bytes: int = Field(1_048_576, ge=1024)
    idempotency_ttl_hours: int = Field(24, ge=1)
    timezone: str = "Asia/Riyadh"
    weekend: Annotated[list[Weekday], NoDecode] = [Weekday.FRIDAY, Weekday.SATURDAY]
    working_day_cutoff: time = time(15, 0)
    calendar_read_cache_seconds: float = Field(1.0, ge=0, le=60)
    public_cache_seconds: float = Field(2.0, ge=0, le=300)
    analytics_cache_seconds: float = Field(10.0, ge=0, le=3600)
    holiday_seed_years: str | None = Field(
        None, pattern=r"^\d{4}(-\d{4})?$", description="e.g. 2025-2028; default last year..+2"
    )
    log_level: str = "INFO"
    shutdown_grace_seconds: int = Field(20, ge=0)

    # Abuse protection and HTTP hardening.
    redis_url: str | None = None
    rate_limits_enabled: bool = True
    rate_limit_writes: str = "30/minute"
    rate_limit_searches: str = "120/minute"
    cors_allow_origins: Annotated[list[str], NoDecode] = []
    hsts_max_age_seconds: int = Field(0, ge=0)
    docs_enabled: bool | None = None  # None: on, except in production

    # Events, reminders, escalation and webhooks (the worker).
    reminder_due_soon_working_days: int = Field(2, ge=1, le=30)
    feedback_due_soon_days: int = Field(7, ge=1, le=60)
    escalation_after_working_days: int = Field(2, ge=0, le=60)
    escalation_role: Role = Role.ADMIN  # every holder is told of escalated deadlines
    worker_poll_seconds: float = Field(5.0, gt=0, le=3600)
    worker_batch_size: int = Field(50, ge=1, le=1000)
    webhook_timeout_seconds: float = Field(10.0, gt=0, le=120)
    webhook_max_attempts: int = Field(8, ge=1, le=50)
    webhook_backoff_seconds: float = Field(30.0, gt=0, le=3600)
    webhook_backoff_max_seconds: float = Field(21_600.0, gt=0)
    webhook_allow_private_targets: bool = False
    webhook_allow_http: bool | None = None  # None: allowed, except in production

    # Retention of personal data after an item is closed (the records themselves are kept).
    retention_submissions_days: int = Field(730, ge=1)
    retention_information_requests_days: int = Field(1095, ge=1)

    @field_validator("weekend", mode="before")
    @classmethod
    def _split_weekend(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip().lower() for part in value.split(",") if part.strip()]
        return value

    @field_validator("weekend")
    @classmethod
    def _some_working_days(cls, value: list["Weekday"]) -> list["Weekday"]:
        if len(set(value)) >= len(Weekday):
            raise ValueError("the weekend cannot cover the whole week")
        return value

    @property
    def weekend_numbers(self) -> frozenset[int]:
        """Python weekday numbers (Monday 0) of the weekend days."""
        return frozenset(list(Weekday).index(day) for day in self.weekend)

    def seed_years(self, today: date) -> range:
        """The years to seed baseline holidays for: configured, else last year to two ahead."""
        if not self.holiday_seed_years:
            return range(today.year - 1, today.year + 3)
        first, _, last = self.holiday_seed_years.partition("-")
        return range(int(first), int(last or first) + 1)

    @field_validator("jwt_algorithms", "cors_allow_origins", mode="before")
    @classmethod
    def _split_commas(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @field_validator("jwt_algorithms")
    @classmethod
    def _known_algorithms(cls, value: list[str]) -> list[str]:
        unknown = set(value) - SYMMETRIC_ALGORITHMS - ASYMMETRIC_ALGORITHMS
        if unknown or not value:
            raise ValueError(f"unsupported JWT algorithms: {sorted(unknown) or 'none given'}")
        return value

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{(self.data_dir / 'beneficiary.db').as_posix()}"

    @property
    def is_sqlite(self) -> bool:
        return self.resolved_database_url.startswith("sqlite")

    @property
    def uses_symmetric_keys(self) -> bool:
        return bool(SYMMETRIC_ALGORITHMS & set(self.jwt_algorithms))

    @property
    def uses_asymmetric_keys(self) -> bool:
        return bool(ASYMMETRIC_ALGORITHMS & set(self.jwt_algorithms))

    def signing_secret(self) -> str:
        """The HS secret: configured, or generated once and kept under the data directory."""
        if self.jwt_secret is not None:
            return self.jwt_secret.get_secret_value()
        if self.environment is Environment.PRODUCTION:
            raise ConfigurationError("BENEFICIARY_JWT_SECRET is required for HS algorithms")
        return _generated_secret(self.data_dir / SECRET_FILE_NAME, secrets.token_urlsafe(48))

    def personal_data_keys(self) -> list[str]:
        """Fernet keys for personal data: configured, or one generated under the data directory."""
        if self.encryption_keys is not None:
            return [
                k.strip() for k in self.encryption_keys.get_secret_value().split(",") if k.strip()
            ]
        if self.environment is Environment.PRODUCTION:
            raise ConfigurationError("BENEFICIARY_ENCRYPTION_KEYS is required in production")
        key = Fernet.generate_key().decode("ascii")
        return [_generated_secret(self.data_dir / ENCRYPTION_KEY_FILE_NAME, key)]

    def production_problems(self) -> list[str]:
        """Reasons the settings are unsafe in production, empty when they are fine."""
        problems: list[str] = []
        if self.is_sqlite:
            problems.append("production needs PostgreSQL: set BENEFICIARY_DATABASE_URL")
        if self.uses_symmetric_keys and self.jwt_secret is None:
            problems.append(
                "production refuses a generated signing secret: set BENEFICIARY_JWT_SECRET"
            )
        elif self.uses_symmetric_keys and _weak_secret(self.jwt_secret):
            problems.append(
                f"BENEFICIARY_JWT_SECRET must be at least {MIN_SECRET_LENGTH} characters"
            )
        if self.uses_asymmetric_keys and not (self.jwt_jwks_url or self.jwt_jwks_file):
            problems.append("RS/ES algorithms need BENEFICIARY_JWT_JWKS_URL or _JWKS_FILE")
        if self.encryption_keys is None:
            problems.append("production needs BENEFICIARY_ENCRYPTION_KEYS for personal data")
        if not self.jwt_issuer or not self.jwt_audience:
            problems.append("production needs BENEFICIARY_JWT_ISSUER and BENEFICIARY_JWT_AUDIENCE")
        return problems

    def ensure_runnable(self) -> None:
        """Refuse to start when production settings are unsafe, saying why in one line."""
        if self.environment is Environment.PRODUCTION and (problems := self.production_problems()):
            raise ConfigurationError("refusing to start: " + "; ".join(problems))


def _weak_secret(secret: SecretStr | None) -> bool:
    value = secret.get_secret_value() if secret else ""
    return len(value) < MIN_SECRET_LENGTH or value in {"secret", "changeme", "development"}


def _generated_secret(path: Path, candidate: str) -> str:
    if path.exists():
        return _read_secret(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    # Written privately under a unique name, then linked into place: the link is atomic and
    # exclusive, so two workers starting together agree on one secret and never read half of it.
    staging = path.with_name(f".{path.name}.{secrets.token_hex(8)}")
    descriptor = os.open(staging, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(candidate)
    try:
        os.link(staging, path)
    except FileExistsError:
        pass
    finally:
        staging.unlink()
    return _read_secret(path)


def _read_secret(path: Path) -> str:
    secret = path.read_text(encoding="utf-8").strip()
    if len(secret) < MIN_SECRET_LENGTH:  # an empty key would let anyone sign tokens
        raise ConfigurationError(f"{path} holds no usable secret: delete it to generate one")
    return secret


@lru_cache
def get_settings() -> Settings:
    return Settings()
