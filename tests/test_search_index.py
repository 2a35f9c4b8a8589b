"""The trigram indexes behind ``q``: PostgreSQL serves ``LIKE '%q%'`` from them; SQLite has none."""

from typing import Any

import pytest
from sqlalchemy import Connection, Select, inspect, select, text
from sqlalchemy.dialects.postgresql import asyncpg

from app.core.db import Database
from app.core.text import like_pattern
from app.models import Consultation, Dataset, DisclosureEntry, InformationRequest, Submission
from tests.conftest import on_postgres

SEARCHABLE: dict[str, Any] = {
    "consultations": Consultation,
    "datasets": Dataset,
    "disclosure_entries": DisclosureEntry,
    "information_requests": InformationRequest,
    "submissions": Submission,
}
postgres_only = pytest.mark.skipif(not on_postgres(), reason="trigram indexes are PostgreSQL's")
sqlite_only = pytest.mark.skipif(on_postgres(), reason="checks the SQLite schema")
every_table = pytest.mark.parametrize("table", list(SEARCHABLE))


async def plan_without_seqscan(database: Database, statement: Select[Any]) -> str:
    """EXPLAIN with sequential scans priced out, as on a table large enough to need the index."""
    sql = statement.compile(dialect=asyncpg.dialect(), compile_kwargs={"literal_binds": True})
    async with database.sessions() as session, session.begin():
        # LOCAL: only this test's transaction (rolled back at its end) plans this way.
        await session.execute(text("SET LOCAL enable_seqscan = off"))
        connection = await session.connection()
        rows = await connection.exec_driver_sql(f"EXPLAIN {sql}")
        return "\n".join(str(row[0]) for row in rows)


@postgres_only
@every_table
async def test_a_leading_wildcard_search_uses_the_trigram_index(
    database: Database, table: str
) -> None:
    model = SEARCHABLE[table]
    statement = select(model.id).where(model.search_text.like("%ابها%"))
    plan = await plan_without_seqscan(database, statement)
    assert f"Index Scan on ix_{table}_search_text_trgm" in plan, plan


@postgres_only
@every_table
async def test_the_services_escaped_pattern_uses_the_trigram_index_too(
    database: Database, table: str
) -> None:
    # The very condition the services build for ?q=أبها 100% (backslash-escaped wildcards).
    model = SEARCHABLE[table]
    condition = model.search_text.like(like_pattern("أبها 100%"), escape="\\")
    plan = await plan_without_seqscan(database, select(model.id).where(condition))
    assert f"Index Scan on ix_{table}_search_text_trgm" in plan, plan


@postgres_only
async def test_each_index_is_a_gin_trigram_index_on_search_text(database: Database) -> None:
    query = text(
        "SELECT tablename, indexdef FROM pg_indexes"
        " WHERE schemaname = current_schema() AND indexname LIKE '%\\_search\\_text\\_trgm'"
    )
    async with database.sessions() as session:
        definitions = {table: definition for table, definition in await session.execute(query)}
    assert sorted(definitions) == sorted(SEARCHABLE)
    for table, definition in definitions.items():
        assert definition.endswith(f"ON public.{table} USING gin (search_text gin_trgm_ops)")


@postgres_only
async def test_arabic_words_give_trigrams_so_the_index_narrows_the_search(
    database: Database,
) -> None:
    # pg_trgm keeps only "word" characters by the database's LC_CTYPE: under LC_CTYPE=C an Arabic
    # word gives no trigram, and every Arabic search would read the whole index.
    async with database.sessions() as session:
        trigrams = (await session.execute(text("SELECT show_trgm('ابها')"))).scalar_one()
    assert len(trigrams) == 5, "create the database with a UTF-8 LC_CTYPE (e.g. C.UTF-8)"


def schema_of(connection: Connection) -> dict[str, tuple[set[str], set[str]]]:
    """Per searchable table: its column names and its index names."""
    inspector = inspect(connection)
    return {
        table: (
            {column["name"] for column in inspector.get_columns(table)},
            {str(index["name"]) for index in inspector.get_indexes(table)},
        )
        for table in SEARCHABLE
    }


@sqlite_only
async def test_sqlite_has_the_search_columns_but_no_trigram_index(database: Database) -> None:
    async with database.sessions() as session:
        connection = await session.connection()
        schema = await connection.run_sync(schema_of)
    for table, (columns, indexes) in schema.items():
        assert "search_text" in columns, table
        assert indexes, f"{table} has indexes, just not the trigram one"
        assert f"ix_{table}_search_text_trgm" not in indexes
        assert not any(name.endswith("_search_text_trgm") for name in indexes)
