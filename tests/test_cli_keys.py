"""`beneficiary-api keys`: new keys for operators, and rotating personal data onto the newest."""

import asyncio
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import select

from app.cli import main
from app.core.config import Settings, get_settings
from app.core.crypto import PersonalDataCipher
from app.core.db import Database
from app.models.information_request import InformationRequest
from app.models.submission import Submission
from app.models.webhook import WebhookSubscription
from app.services import webhooks

KEY_A, KEY_B = Fernet.generate_key().decode(), Fernet.generate_key().decode()
RECEIVED = datetime(2026, 3, 1, 9, tzinfo=UTC)
CONTACT = {"name": "سارة", "phone": "+966500000001"}
HANDLE = {"handle": "@sara"}


@pytest.fixture
def configured(configured: Settings, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """The migrated database, with personal data written under key A."""
    use_keys(monkeypatch, KEY_A)
    return configured


def use_keys(monkeypatch: pytest.MonkeyPatch, keys: str) -> None:
    """What an operator does between runs: change the variable and restart the process."""
    monkeypatch.setenv("BENEFICIARY_ENCRYPTION_KEYS", keys)
    get_settings.cache_clear()


def row_id(number: int) -> uuid.UUID:
    """Fixed ids, so the keyset order of the batches is known."""
    return uuid.UUID(int=number)


def submission(number: int, **tokens: str | None) -> Submission:
    return Submission(
        id=row_id(number),
        reference=f"SUB-T-{number:06d}",
        kind="complaint",
        channel="website",
        body="انقطاع المياه",
        received_at=RECEIVED,
        **tokens,
    )


def information_request(number: int, contact: str | None) -> InformationRequest:
    return InformationRequest(
        id=row_id(number),
        reference=f"IR-T-{number:06d}",
        requester_sub="b1",
        subject="ميزانية مشاريع الطرق",
        description="أطلب بيان المبالغ المصروفة",
        category="reports_statistics",
        received_at=RECEIVED,
        working_days=10,
        clock_started_at=RECEIVED,
        clock_working_days=10,
        contact_encrypted=contact,
    )


async def seed(settings: Settings, rows: list[Any]) -> None:
    database = Database(settings)
    async with database.sessions() as session, session.begin():
        session.add_all(rows)
    await database.dispose()


async def stored_tokens(settings: Settings) -> dict[uuid.UUID, tuple[Any, ...]]:
    """Every row's tokens, version and updated_at, by id."""
    database = Database(settings)
    s, r = Submission, InformationRequest
    async with database.sessions() as session:
        submissions = await session.execute(
            select(s.id, s.contact_encrypted, s.source_handle_encrypted, s.version, s.updated_at)
        )
        requests = await session.execute(select(r.id, r.contact_encrypted, r.version, r.updated_at))
        rows = {row.id: tuple(row)[1:] for row in [*submissions, *requests]}
    await database.dispose()
    return rows


def a_mixed_estate() -> list[Any]:
    """Three submissions (two tokens, one token, none) and two requests (one token, none)."""
    old = PersonalDataCipher([KEY_A])
    return [
        submission(
            1,
            contact_encrypted=old.encrypt(CONTACT),
            source_handle_encrypted=old.encrypt(HANDLE),
        ),
        submission(2, contact_encrypted=old.encrypt(CONTACT)),
        submission(3),
        information_request(11, old.encrypt(CONTACT)),
        information_request(12, None),
    ]


def readable_with(key: str, tokens: tuple[Any, ...]) -> list[dict[str, Any]]:
    cipher = PersonalDataCipher([key])
    return [cipher.decrypt(token) for token in tokens if isinstance(token, str)]


async def test_rotation_moves_every_token_to_the_new_key_so_the_old_key_can_be_dropped(
    configured: Settings, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    await seed(configured, a_mixed_estate())
    before = await stored_tokens(configured)
    use_keys(monkeypatch, f"{KEY_B},{KEY_A}")

    assert await asyncio.to_thread(main, ["keys", "rotate", "--batch-size", "1"]) == 0
    out = capsys.readouterr().out
    assert "submissions: 3 tokens in 2 rows, information_requests: 1 tokens in 1 rows" in out

    after = await stored_tokens(configured)
    assert readable_with(KEY_B, after[row_id(1)]) == [CONTACT, HANDLE]
    assert readable_with(KEY_B, after[row_id(2)]) == [CONTACT]
    assert readable_with(KEY_B, after[row_id(11)]) == [CONTACT]
    assert after[row_id(3)][:2] == (None, None) and after[row_id(12)][0] is None
    # The items did not change, only their ciphertext: no new ETag, no new updated_at.
    assert {key: value[-2:] for key, value in after.items()} == {
        key: value[-2:] for key, value in before.items()
    }
    with pytest.raises(ValueError, match="cannot be decrypted"):
        readable_with(KEY_A, after[row_id(2)])


async def test_a_second_rotation_is_harmless(
    configured: Settings, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    await seed(configured, a_mixed_estate())
    use_keys(monkeypatch, f"{KEY_B},{KEY_A}")
    assert await asyncio.to_thread(main, ["keys", "rotate"]) == 0
    use_keys(monkeypatch, KEY_B)  # the old key is gone now
    capsys.readouterr()

    assert await asyncio.to_thread(main, ["keys", "rotate"]) == 0
    assert "submissions: 3 tokens in 2 rows" in capsys.readouterr().out
    after = await stored_tokens(configured)
    assert readable_with(KEY_B, after[row_id(1)]) == [CONTACT, HANDLE]
    assert readable_with(KEY_B, after[row_id(11)]) == [CONTACT]


async def test_a_token_no_key_reads_stops_the_run_naming_the_row_and_keeps_earlier_batches(
    configured: Settings, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    stranger = PersonalDataCipher([Fernet.generate_key().decode()])
    old = PersonalDataCipher([KEY_A])
    await seed(
        configured,
        [
            submission(1, contact_encrypted=old.encrypt(CONTACT)),
            submission(2, contact_encrypted=stranger.encrypt(CONTACT)),
            submission(3, contact_encrypted=old.encrypt(CONTACT)),
            information_request(11, old.encrypt(CONTACT)),
        ],
    )
    before = await stored_tokens(configured)
    use_keys(monkeypatch, f"{KEY_B},{KEY_A}")

    assert await asyncio.to_thread(main, ["keys", "rotate", "--batch-size", "1"]) == 2
    err = capsys.readouterr().err
    assert f"submissions row {row_id(2)}: contact_encrypted cannot be decrypted" in err
    assert KEY_A not in err and KEY_B not in err

    after = await stored_tokens(configured)
    assert readable_with(KEY_B, after[row_id(1)]) == [CONTACT]  # its batch was committed
    assert after[row_id(2)] == before[row_id(2)]
    assert after[row_id(3)] == before[row_id(3)]  # not reached: still under the old key
    assert after[row_id(11)] == before[row_id(11)]


def test_generate_prints_one_usable_fernet_key(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["keys", "generate"]) == 0
    out = capsys.readouterr().out
    assert out.count("\n") == 1
    token = Fernet(out.strip().encode()).encrypt(b"x")
    assert Fernet(out.strip().encode()).decrypt(token) == b"x"
    assert main(["keys", "generate"]) == 0
    assert capsys.readouterr().out != out


def test_rotate_refuses_a_malformed_key_without_echoing_it(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    use_keys(monkeypatch, f"{KEY_B},not-a-fernet-key")
    try:
        assert main(["keys", "rotate"]) == 2
    finally:
        get_settings.cache_clear()
    err = capsys.readouterr().err
    assert "BENEFICIARY_ENCRYPTION_KEYS holds a malformed key" in err
    assert "not-a-fernet-key" not in err and KEY_B not in err


def test_production_without_keys_refuses_to_rotate_and_generates_none(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("BENEFICIARY_ENCRYPTION_KEYS", raising=False)
    monkeypatch.setenv("BENEFICIARY_ENVIRONMENT", "production")
    monkeypatch.setenv("BENEFICIARY_DATA_DIR", str(tmp_path))
    get_settings.cache_clear()
    try:
        assert main(["keys", "rotate"]) == 2
    finally:
        get_settings.cache_clear()
    assert "BENEFICIARY_ENCRYPTION_KEYS is required in production" in capsys.readouterr().err
    assert not (tmp_path / "encryption-key").exists()


async def test_rotation_re_encrypts_webhook_secrets_so_deliveries_survive_the_old_key(
    configured: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    old = PersonalDataCipher([KEY_A])
    subscription = WebhookSubscription(
        url="https://hooks.example.org/in",
        secret_encrypted=webhooks.seal(old, "whsec_c2VjcmV0"),
        created_by="admin-1",
    )
    await seed(configured, [subscription])
    use_keys(monkeypatch, f"{KEY_B},{KEY_A}")

    assert await asyncio.to_thread(main, ["keys", "rotate"]) == 0

    database = Database(configured)
    async with database.sessions() as session:
        token = await session.scalar(select(WebhookSubscription.secret_encrypted))
    await database.dispose()
    assert token is not None
    assert webhooks.unseal(PersonalDataCipher([KEY_B]), token) == "whsec_c2VjcmV0"
