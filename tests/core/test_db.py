"""Database basics: aware UTC timestamps on both engines, optimistic versions, SQLite tuning."""

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import String, select, text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.orm.exc import StaleDataError

from app.core.db import Database, Timestamps, UTCDateTime, UUIDPrimaryKey, Versioned
from tests.conftest import on_postgres


class ScratchBase(DeclarativeBase):
    """Tables for these tests only, kept out of the service's metadata and migrations."""

    type_annotation_map = {datetime: UTCDateTime()}  # noqa: RUF012


class Note(UUIDPrimaryKey, Timestamps, Versioned, ScratchBase):
    __tablename__ = "scratch_notes"
    body: Mapped[str] = mapped_column(String(50))


@pytest.fixture
async def notes(database: Database) -> AsyncIterator[Database]:
    async with database.sessions() as session:
        connection = await session.connection()
        await connection.run_sync(ScratchBase.metadata.create_all)
        await session.commit()
    yield database
    async with database.sessions() as session:
        connection = await session.connection()
        await connection.run_sync(ScratchBase.metadata.drop_all)
        await session.commit()


async def test_timestamps_come_back_aware_in_utc(notes: Database) -> None:
    riyadh = timezone(timedelta(hours=3))
    async with notes.sessions() as session:
        note = Note(body="x", created_at=datetime(2026, 3, 19, 23, 30, tzinfo=riyadh))
        session.add(note)
        await session.commit()
    async with notes.sessions() as session:
        stored = await session.get_one(Note, note.id)
    assert stored.created_at == datetime(2026, 3, 19, 20, 30, tzinfo=UTC)
    assert stored.created_at.utcoffset() == timedelta(0)


async def test_naive_timestamps_are_refused(notes: Database) -> None:
    async with notes.sessions() as session:
        session.add(Note(body="x", created_at=datetime(2026, 3, 19, 23, 30)))
        with pytest.raises(Exception, match="naive"):
            await session.flush()


async def test_concurrent_edit_of_a_stale_version_is_refused(notes: Database) -> None:
    async with notes.sessions() as session:
        note = Note(body="first")
        session.add(note)
        await session.commit()
    assert note.version == 1
    async with notes.sessions() as theirs:
        their_copy = await theirs.get_one(Note, note.id)  # read, then the form sits open
        await theirs.commit()
        async with notes.sessions() as mine:
            my_copy = await mine.get_one(Note, note.id)
            my_copy.body = "mine"
            await mine.commit()
        assert my_copy.version == 2
        their_copy.body = "theirs"
        with pytest.raises(StaleDataError):
            await theirs.flush()


@pytest.mark.skipif(on_postgres(), reason="SQLite pragmas")
async def test_sqlite_runs_in_wal_with_foreign_keys(database: Database) -> None:
    async with database.sessions() as session:
        journal = (await session.execute(text("PRAGMA journal_mode"))).scalar_one()
        foreign_keys = (await session.execute(text("PRAGMA foreign_keys"))).scalar_one()
        timeout = (await session.execute(text("PRAGMA busy_timeout"))).scalar_one()
    assert (journal, foreign_keys) == ("wal", 1)
    assert timeout > 0


def test_naming_convention_names_constraints() -> None:
    from app.models import AuditEvent

    assert AuditEvent.__table__.primary_key.name == "pk_audit_events"


async def test_uuid_ids_are_generated(notes: Database) -> None:
    async with notes.sessions() as session:
        note = Note(body="x")
        session.add(note)
        await session.flush()
        assert isinstance(note.id, uuid.UUID)
        assert (await session.scalars(select(Note.id))).one() == note.id
