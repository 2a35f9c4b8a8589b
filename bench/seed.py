"""Fill a database with realistic data at a benchmark size (not run by CI).

    .venv/bin/python bench/seed.py --size 1m --reset \
        --database-url postgresql+asyncpg://postgres@127.0.0.1/bench_1m

Sizes count submissions (10k, 100k, 1m); the other tables follow in proportion: a consultation
and a dataset per 1,000 submissions (at least 20), an information request per 10, an appeal per
100, a disclosure-log entry for a third of the answered requests (the rows: bench/seed_data.py).
The calendar (the Saudi baseline holidays) is seeded first, so deadlines are real. Rows are
written as multi-row INSERTs of 20,000 (Core, no ORM objects), a table at a time, in one
transaction per table. Reference counters are set past the seeded references so that creates
made afterwards (the load benchmark's POSTs) continue the sequences.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any, cast

from seed_data import BATCH, SIZES, Plan, Seeder, Text, labelled_texts  # beside this script
from sqlalchemy import Table, insert, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine

from app.core.config import Settings, get_settings
from app.core.db import Base, Database
from app.core.migrations import upgrade_to_head
from app.models.appeal import Appeal
from app.models.consultation import Consultation
from app.models.dataset import Dataset, DatasetKeyword, Distribution
from app.models.information_request import DisclosureEntry, InformationRequest
from app.models.reference_counter import ReferenceCounter
from app.models.submission import PriorityReason, Submission
from app.services import calendar as calendar_service
from app.services.calendar import CalendarRules
from app.services.working_days import CalendarSnapshot


async def write(session: AsyncSession, model: type[Base], rows: Sequence[dict[str, Any]]) -> None:
    """Multi-row INSERTs of a large batch at a time (no ORM objects, no per-row round trip)."""
    table = cast(Table, model.__table__)
    for start in range(0, len(rows), BATCH):
        await session.execute(insert(table), list(rows[start : start + BATCH]))


async def seed(settings: Settings, plan: Plan, *, seed_value: int = 2026, log: Any = print) -> None:
    database = Database(settings)
    seeder = Seeder(settings, plan, seed_value)
    texts = labelled_texts()
    rules = CalendarRules.from_settings(settings)
    try:
        async with database.sessions() as session, session.begin():
            years = range(seeder.now.year - 3, seeder.now.year + 2)
            await calendar_service.seed_baseline(session, rules, list(years))
        async with database.sessions() as session:
            snapshot = await calendar_service.load_snapshot(session, rules)
        steps = _steps(seeder, texts, snapshot)
        for name, work in steps:
            began = time.perf_counter()
            async with database.sessions() as session, session.begin():
                count = await work(session)
            log(f"{name}: {count:,} rows in {time.perf_counter() - began:.1f} s")
        async with database.sessions() as session, session.begin():
            await session.execute(insert(ReferenceCounter), seeder.counter_rows())
        await analyze(database)
    finally:
        await database.dispose()


def _steps(seeder: Seeder, texts: Sequence[Text], snapshot: CalendarSnapshot) -> list[Any]:
    state: dict[str, Any] = {}

    async def consultations(session: AsyncSession) -> int:
        rows = seeder.consultations()
        state["consultations"] = [row["id"] for row in rows]
        await write(session, Consultation, rows)
        return len(rows)

    async def submissions(session: AsyncSession) -> int:
        total = 0
        for rows, reasons in seeder.submissions(texts, state["consultations"], snapshot):
            await write(session, Submission, rows)
            await write(session, PriorityReason, reasons)
            total += len(rows)
        return total

    async def requests(session: AsyncSession) -> int:
        rows = state["requests"] = seeder.requests(snapshot)
        await write(session, InformationRequest, rows)
        return len(rows)

    async def appeals(session: AsyncSession) -> int:
        rows = seeder.appeals(state["requests"], snapshot)
        await write(session, Appeal, rows)
        return len(rows)

    async def disclosures(session: AsyncSession) -> int:
        rows = seeder.disclosures(state["requests"])
        await write(session, DisclosureEntry, rows)
        return len(rows)

    async def datasets(session: AsyncSession) -> int:
        rows, keywords, distributions = seeder.datasets()
        await write(session, Dataset, rows)
        await write(session, DatasetKeyword, keywords)
        await write(session, Distribution, distributions)
        return len(rows)

    return [
        ("consultations", consultations),
        ("submissions (and priority reasons)", submissions),
        ("information requests", requests),
        ("appeals", appeals),
        ("disclosure log", disclosures),
        ("datasets (keywords, distributions)", datasets),
    ]


async def analyze(database: Database) -> None:
    """What autovacuum would have done for tables that grew over months: planner statistics,
    and on PostgreSQL the visibility map that lets index-only scans skip the table."""
    postgres = database.engine.dialect.name == "postgresql"
    engine = database.engine.execution_options(isolation_level="AUTOCOMMIT")
    async with engine.connect() as connection:
        await connection.execute(text("VACUUM ANALYZE" if postgres else "ANALYZE"))


def url_for_size(url: str, size: str) -> str:
    """The database of one size: ``bench`` becomes ``bench_1m`` (a SQLite file likewise)."""
    parsed = make_url(url)
    name = parsed.database or "bench"
    if parsed.get_backend_name() == "sqlite":
        path = Path(name)
        return parsed.set(database=str(path.with_stem(f"{path.stem}_{size}"))).render_as_string(
            hide_password=False
        )
    return parsed.set(database=f"{name}_{size}").render_as_string(hide_password=False)


def reset(settings: Settings) -> None:
    """An empty, migrated database (created if need be; everything in it dropped)."""
    if settings.is_sqlite:
        path = Path(settings.resolved_database_url.split("///", 1)[1])
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
    else:
        asyncio.run(recreate_schema(settings))
    upgrade_to_head(settings)


async def recreate_schema(settings: Settings) -> None:
    url = make_url(settings.resolved_database_url)
    server = create_async_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    async with server.connect() as connection:
        exists = await connection.scalar(
            text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": url.database}
        )
        if not exists:
            await connection.execute(text(f'CREATE DATABASE "{url.database}"'))
    await server.dispose()
    database = Database(settings)
    async with database.engine.begin() as connection:
        await connection.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        await connection.execute(text("CREATE SCHEMA public"))
    await database.dispose()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", choices=SIZES, default="10k")
    parser.add_argument("--database-url", help="default: BENEFICIARY_DATABASE_URL")
    parser.add_argument("--reset", action="store_true", help="drop everything and migrate first")
    args = parser.parse_args(argv)
    settings = get_settings()
    if args.database_url:
        settings = settings.model_copy(update={"database_url": args.database_url})
    began = time.perf_counter()
    if args.reset:
        reset(settings)
    asyncio.run(seed(settings, Plan(SIZES[args.size])))
    print(f"seeded {args.size} in {time.perf_counter() - began:.0f} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
