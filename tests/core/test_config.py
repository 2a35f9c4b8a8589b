"""Settings: production refuses unsafe configuration; development looks after its own secret."""

import os
import stat
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from cryptography.fernet import Fernet
from pydantic import ValidationError

from app.core.config import SECRET_FILE_NAME, ConfigurationError, Environment, Settings
from app.main import create_app

GOOD_SECRET = "a-production-signing-secret-of-forty-plus-characters"
ENCRYPTION_KEY = Fernet.generate_key().decode()
POSTGRES = "postgresql+asyncpg://beneficiary@db.internal:5432/beneficiary"


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Only what a test sets: the developer's own BENEFICIARY_* variables must not leak in."""
    for name in list(os.environ):
        if name.startswith("BENEFICIARY_"):
            monkeypatch.delenv(name)


def production(tmp_path: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "environment": Environment.PRODUCTION,
        "data_dir": tmp_path,
        "database_url": POSTGRES,
        "jwt_secret": GOOD_SECRET,
        "jwt_issuer": "https://sso.asir.example/realms/beneficiaries",
        "jwt_audience": "beneficiary-api",
        "encryption_keys": ENCRYPTION_KEY,
    }
    return Settings(**(values | overrides))


def test_proper_production_configuration_is_runnable(tmp_path: Path) -> None:
    settings = production(tmp_path)
    assert settings.production_problems() == []
    settings.ensure_runnable()
    app = create_app(settings)
    assert app.state.settings is settings


def test_production_with_rs256_and_a_jwks_file_needs_no_secret(tmp_path: Path) -> None:
    settings = production(
        tmp_path, jwt_secret=None, jwt_algorithms=["RS256"], jwt_jwks_file=tmp_path / "jwks.json"
    )
    settings.ensure_runnable()


@pytest.mark.parametrize(
    ("overrides", "needle"),
    [
        ({"database_url": "sqlite+aiosqlite:///var/beneficiary.db"}, "PostgreSQL"),
        ({"database_url": ""}, "PostgreSQL"),  # the default is a SQLite file under data_dir
        ({"jwt_secret": None}, "set BENEFICIARY_JWT_SECRET"),
        ({"encryption_keys": None}, "BENEFICIARY_ENCRYPTION_KEYS"),
        ({"jwt_secret": "short-but-not-empty"}, "at least 32 characters"),
        ({"jwt_issuer": None}, "BENEFICIARY_JWT_ISSUER and BENEFICIARY_JWT_AUDIENCE"),
        ({"jwt_audience": None}, "BENEFICIARY_JWT_ISSUER and BENEFICIARY_JWT_AUDIENCE"),
        ({"jwt_algorithms": ["RS256"], "jwt_secret": None}, "JWKS"),
        ({"jwt_algorithms": ["HS256", "ES256"]}, "JWKS"),
    ],
    ids=[
        "sqlite",
        "default-sqlite",
        "no-secret",
        "no-encryption-key",
        "short-secret",
        "no-issuer",
        "no-audience",
        "rs256-without-jwks",
        "es256-alongside-hs256-without-jwks",
    ],
)
def test_production_refuses_to_start_and_names_the_problem(
    tmp_path: Path, overrides: dict[str, Any], needle: str
) -> None:
    settings = production(tmp_path, **overrides)
    with pytest.raises(ConfigurationError) as refused:
        settings.ensure_runnable()
    message = str(refused.value)
    assert message.startswith("refusing to start: ")
    assert needle in message
    assert "\n" not in message
    assert GOOD_SECRET not in message
    with pytest.raises(ConfigurationError, match="refusing to start"):
        create_app(settings)


def test_every_production_problem_is_listed_on_one_line(tmp_path: Path) -> None:
    settings = production(
        tmp_path, database_url="", jwt_secret="changeme", jwt_issuer=None, jwt_audience=None
    )
    with pytest.raises(ConfigurationError) as refused:
        settings.ensure_runnable()
    message = str(refused.value)
    assert len(settings.production_problems()) == 3
    assert message.count("; ") == 2
    assert "\n" not in message


@pytest.mark.parametrize("environment", [Environment.DEVELOPMENT, Environment.TEST])
def test_outside_production_the_same_settings_are_runnable(
    tmp_path: Path, environment: Environment
) -> None:
    settings = Settings(environment=environment, data_dir=tmp_path)
    assert settings.is_sqlite
    settings.ensure_runnable()


def test_production_never_generates_a_signing_secret(tmp_path: Path) -> None:
    settings = production(tmp_path, jwt_secret=None)
    with pytest.raises(ConfigurationError, match="BENEFICIARY_JWT_SECRET"):
        settings.signing_secret()
    assert not (tmp_path / SECRET_FILE_NAME).exists()


def test_development_generates_a_private_secret_once(tmp_path: Path) -> None:
    data_dir = tmp_path / "not-yet-created"
    first = Settings(environment=Environment.DEVELOPMENT, data_dir=data_dir).signing_secret()
    path = data_dir / SECRET_FILE_NAME
    assert len(first) >= 32
    assert path.read_text(encoding="utf-8") == first
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    again = Settings(environment=Environment.DEVELOPMENT, data_dir=data_dir).signing_secret()
    assert again == first
    assert sorted(p.name for p in data_dir.iterdir()) == [SECRET_FILE_NAME]  # no staging leftovers


def test_configured_secret_wins_over_the_generated_one(tmp_path: Path) -> None:
    settings = Settings(environment=Environment.DEVELOPMENT, data_dir=tmp_path, jwt_secret="s" * 40)
    assert settings.signing_secret() == "s" * 40
    assert not (tmp_path / SECRET_FILE_NAME).exists()


def test_workers_starting_together_agree_on_one_secret(tmp_path: Path) -> None:
    settings = Settings(environment=Environment.DEVELOPMENT, data_dir=tmp_path)
    start = threading.Barrier(8)

    def worker() -> str:
        start.wait(timeout=5)
        return settings.signing_secret()

    with ThreadPoolExecutor(max_workers=8) as pool:
        secrets = list(pool.map(lambda _: worker(), range(8)))
    assert len(set(secrets)) == 1
    assert len(secrets[0]) >= 32
    assert [p.name for p in tmp_path.iterdir()] == [SECRET_FILE_NAME]


@pytest.mark.parametrize("content", ["", "\n", "short"], ids=["empty", "blank", "short"])
def test_an_unusable_secret_file_is_refused_rather_than_used(tmp_path: Path, content: str) -> None:
    (tmp_path / SECRET_FILE_NAME).write_text(content, encoding="utf-8")
    settings = Settings(environment=Environment.DEVELOPMENT, data_dir=tmp_path)
    with pytest.raises(ConfigurationError, match="no usable secret"):
        settings.signing_secret()


def test_algorithms_are_read_from_a_comma_separated_variable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("BENEFICIARY_JWT_ALGORITHMS", "RS256, ES256")
    settings = Settings()
    assert settings.jwt_algorithms == ["RS256", "ES256"]
    assert settings.uses_asymmetric_keys
    assert not settings.uses_symmetric_keys


def test_settings_come_from_prefixed_environment_variables(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("BENEFICIARY_ENVIRONMENT", "production")
    monkeypatch.setenv("BENEFICIARY_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("BENEFICIARY_JWT_SECRET", GOOD_SECRET)
    monkeypatch.setenv("BENEFICIARY_JWT_ROLES_CLAIM", "realm_access.roles")
    settings = Settings()
    assert settings.environment is Environment.PRODUCTION
    assert settings.data_dir == tmp_path
    assert settings.signing_secret() == GOOD_SECRET
    assert settings.jwt_roles_claim == "realm_access.roles"
    assert GOOD_SECRET not in repr(settings)


@pytest.mark.parametrize("value", ["none", "HS256,none", "hs256", "PS256", " , "])
def test_unknown_or_missing_algorithms_are_rejected(
    monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.setenv("BENEFICIARY_JWT_ALGORITHMS", value)
    with pytest.raises(ValidationError, match="unsupported JWT algorithms"):
        Settings()


def test_alg_none_is_rejected_when_passed_directly() -> None:
    with pytest.raises(ValidationError, match="none"):
        Settings(jwt_algorithms=["none"])


def test_default_database_is_a_sqlite_file_in_the_data_directory(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    assert (
        settings.resolved_database_url
        == f"sqlite+aiosqlite:///{tmp_path.as_posix()}/beneficiary.db"
    )
    assert Settings(data_dir=tmp_path, database_url=POSTGRES).is_sqlite is False


def test_development_generates_one_personal_data_key_and_keeps_it(tmp_path: Path) -> None:
    settings = Settings(environment=Environment.DEVELOPMENT, data_dir=tmp_path)
    first = settings.personal_data_keys()
    assert first == settings.personal_data_keys()
    Fernet(first[0].encode())  # a usable key
    assert stat.S_IMODE((tmp_path / "encryption-key").stat().st_mode) == 0o600


def test_configured_keys_are_listed_newest_first(tmp_path: Path) -> None:
    newest, older = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings = Settings(data_dir=tmp_path, encryption_keys=f"{newest}, {older}")
    assert settings.personal_data_keys() == [newest, older]
