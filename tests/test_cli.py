"""The console script: development tokens, and refusing to serve an unsafe production setup."""

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from jose import jwt

from app import cli
from app.core.config import Settings, get_settings
from app.core.security import Role
from app.core.tokens import TokenVerifier
from tests.conftest import TEST_SECRET


@pytest.fixture(autouse=True)
def environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """A clean BENEFICIARY_* environment, and no settings cached from another test."""
    for name in list(os.environ):
        if name.startswith("BENEFICIARY_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("BENEFICIARY_DATA_DIR", str(tmp_path))
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.fixture
def no_server(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail loudly instead of migrating or serving if a refusal does not happen."""

    def refuse(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("the command went on to migrate or serve")

    monkeypatch.setattr(cli, "upgrade_to_head", refuse)
    monkeypatch.setattr(cli.uvicorn, "run", refuse)


async def test_token_command_prints_a_token_the_verifier_accepts(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("BENEFICIARY_JWT_SECRET", TEST_SECRET)
    assert cli.main(["token", "--sub", "u1", "--role", "information_officer"]) == 0
    out = capsys.readouterr().out
    assert out.count("\n") == 1
    principal = await TokenVerifier(Settings()).verify(out.strip())
    assert principal.sub == "u1"
    assert principal.roles == {Role.INFORMATION_OFFICER}


async def test_token_command_carries_several_roles_profile_and_lifetime(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("BENEFICIARY_JWT_SECRET", TEST_SECRET)
    argv = ["token", "--sub", "c-9", "--role", "beneficiary", "--role", "analyst"]
    argv += ["--name", "Sara", "--email", "sara@example.sa", "--category", "resident"]
    assert cli.main([*argv, "--ttl-minutes", "5"]) == 0
    token = capsys.readouterr().out.strip()
    principal = await TokenVerifier(Settings()).verify(token)
    assert principal.roles == {Role.BENEFICIARY, Role.ANALYST}
    assert (principal.name, principal.email) == ("Sara", "sara@example.sa")
    assert principal.beneficiary_category == "resident"
    claims = jwt.get_unverified_claims(token)
    assert claims["exp"] - claims["iat"] == 300


async def test_token_command_without_a_secret_uses_the_generated_development_secret(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["token", "--sub", "dev"]) == 0
    token = capsys.readouterr().out.strip()
    assert (tmp_path / "jwt-secret").exists()
    principal = await TokenVerifier(Settings()).verify(token)  # a server would read the same file
    assert (principal.sub, principal.roles) == ("dev", frozenset())


def test_token_command_refuses_an_unknown_role(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        cli.main(["token", "--sub", "u1", "--role", "superuser"])
    assert exited.value.code == 2
    assert "invalid choice: 'superuser'" in capsys.readouterr().err


def test_token_command_refuses_when_only_rs256_is_configured(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("BENEFICIARY_JWT_ALGORITHMS", "RS256")
    assert cli.main(["token", "--sub", "u1"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith("beneficiary-api: tokens can be minted only")


@pytest.mark.usefixtures("no_server")
def test_serve_refuses_production_on_sqlite_with_one_line(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("BENEFICIARY_ENVIRONMENT", "production")
    monkeypatch.setenv("BENEFICIARY_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'x.db'}")
    monkeypatch.setenv("BENEFICIARY_JWT_SECRET", TEST_SECRET)
    monkeypatch.setenv("BENEFICIARY_JWT_ISSUER", "https://sso.asir.example/realms/beneficiaries")
    monkeypatch.setenv("BENEFICIARY_JWT_AUDIENCE", "beneficiary-api")
    assert cli.main(["serve"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith("beneficiary-api: refusing to start")
    assert captured.err.count("\n") == 1
    assert "PostgreSQL" in captured.err
    assert not (tmp_path / "x.db").exists()


@pytest.mark.usefixtures("no_server")
def test_serve_refuses_bare_production_without_generating_a_secret(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("BENEFICIARY_ENVIRONMENT", "production")
    assert cli.main(["serve", "--port", "0"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("beneficiary-api: refusing to start")
    assert err.count("\n") == 1
    assert "BENEFICIARY_JWT_SECRET" in err
    assert list(tmp_path.iterdir()) == []
