"""Recording the SQL statements an app sends, with a SQLAlchemy event listener.

Used by the query-count guard (no N+1) and the index-plan checks (EXPLAIN of what a list sends).
"""

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

# Transaction control is not a query: SQLite's BEGIN IMMEDIATE, and the savepoints that stand in
# for commits inside the PostgreSQL test transaction, differ by database and by test harness.
_TRANSACTION_CONTROL = re.compile(r"^\s*(BEGIN|COMMIT|ROLLBACK|SAVEPOINT|RELEASE)\b", re.IGNORECASE)


@dataclass(frozen=True)
class Statement:
    sql: str  # in the driver's parameter style, as sent
    parameters: Any
    executemany: bool


@dataclass
class StatementRecorder:
    statements: list[Statement] = field(default_factory=list)

    @property
    def queries(self) -> list[Statement]:
        """What was sent, less transaction control."""
        return [s for s in self.statements if not _TRANSACTION_CONTROL.match(s.sql)]

    def selects(self) -> list[Statement]:
        return [s for s in self.queries if s.sql.lstrip().upper().startswith(("SELECT", "WITH"))]

    def clear(self) -> None:
        self.statements.clear()


@contextmanager
def recording(engine: AsyncEngine) -> Iterator[StatementRecorder]:
    """Every statement the engine sends while the block runs (all connections, all sessions)."""
    recorder = StatementRecorder()

    def record(
        _conn: Any, _cursor: Any, sql: str, parameters: Any, _context: Any, executemany: bool
    ) -> None:
        recorder.statements.append(Statement(sql, parameters, executemany))

    event.listen(engine.sync_engine, "before_cursor_execute", record)
    try:
        yield recorder
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", record)
