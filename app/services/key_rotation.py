"""Re-encrypting stored personal data under the newest key, in keyset batches.

Every batch is its own transaction: a run stopped half-way leaves some tokens under the new key
and some under the old one, which is safe because the cipher reads with every configured key, and
running again simply carries on (re-encrypting a token that is already current is harmless).
"""

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from cryptography.fernet import InvalidToken
from sqlalchemy import ColumnElement, Row, Table, Update, bindparam, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.core.crypto import PersonalDataCipher
from app.models.information_request import InformationRequest
from app.models.submission import Submission
from app.models.webhook import WebhookSubscription

DEFAULT_BATCH_SIZE = 500


@dataclass(frozen=True, slots=True)
class EncryptedColumns:
    """A table and its columns that hold Fernet tokens of personal data."""

    table: Table
    columns: tuple[str, ...]

    @property
    def name(self) -> str:
        return self.table.name

    def holds_a_token(self) -> ColumnElement[bool]:
        return or_(*(self.table.c[column].is_not(None) for column in self.columns))


def _table(model: type[Submission] | type[InformationRequest] | type[WebhookSubscription]) -> Table:
    table = model.__table__
    assert isinstance(table, Table)
    return table


ENCRYPTED = (
    EncryptedColumns(_table(Submission), tuple(Submission.PERSONAL_DATA.values())),
    EncryptedColumns(_table(InformationRequest), tuple(InformationRequest.PERSONAL_DATA.values())),
    # Not personal data, but under the same keys: retiring a key must not strand a secret.
    EncryptedColumns(_table(WebhookSubscription), ("secret_encrypted",)),
)


class UnreadableToken(Exception):
    """A stored token that no configured key decrypts: the run stops so that nobody loses data."""

    def __init__(self, table: str, row_id: uuid.UUID, column: str) -> None:
        super().__init__(
            f"{table} row {row_id}: {column} cannot be decrypted with any configured key"
        )
        self.table, self.row_id, self.column = table, row_id, column


@dataclass
class RotationCount:
    rows: int = 0
    tokens: int = 0


@dataclass
class RotatedBatch:
    count: RotationCount = field(default_factory=RotationCount)
    last_id: uuid.UUID | None = None


async def count_rows(session: AsyncSession, target: EncryptedColumns) -> int:
    """Rows holding at least one token (the progress bar's total)."""
    statement = select(func.count()).select_from(target.table).where(target.holds_a_token())
    return int(await session.scalar(statement) or 0)


async def rotate_batch(
    session: AsyncSession,
    cipher: PersonalDataCipher,
    target: EncryptedColumns,
    *,
    after: uuid.UUID | None,
    size: int = DEFAULT_BATCH_SIZE,
) -> RotatedBatch:
    """Re-encrypt the tokens of the next ``size`` rows after ``after`` (in id order).

    The rows are locked (PostgreSQL ``FOR UPDATE``; SQLite's write lock is taken at BEGIN) so a
    concurrent change, such as an owner erasing their contact details, is never overwritten with
    the old value re-encrypted.
    """
    table = target.table
    statement = (
        select(table.c.id, *(table.c[column] for column in target.columns))
        .where(target.holds_a_token())
        .order_by(table.c.id)
        .limit(size)
        .with_for_update()
    )
    if after is not None:
        statement = statement.where(table.c.id > after)
    rows = (await session.execute(statement)).all()
    if not rows:
        return RotatedBatch()
    parameters = [_rotated_row(cipher, target, row) for row in rows]
    await session.execute(_update_tokens(target), parameters)
    tokens = sum(row._mapping[column] is not None for row in rows for column in target.columns)
    return RotatedBatch(RotationCount(len(rows), tokens), rows[-1].id)


def _rotated_row(
    cipher: PersonalDataCipher, target: EncryptedColumns, row: Row[Any]
) -> dict[str, object]:
    values: dict[str, object] = {"row_id": row.id}
    for column in target.columns:
        token = row._mapping[column]
        try:
            values[f"new_{column}"] = None if token is None else cipher.rotate(token)
        except (InvalidToken, ValueError) as exc:
            raise UnreadableToken(target.name, row.id, column) from exc
    return values


def _update_tokens(target: EncryptedColumns) -> Update:
    # The ciphertext changes but the item does not: the version (ETag) and updated_at stay, so
    # clients holding an ETag are not sent a spurious 412 by a key rotation.
    table = target.table
    return (
        update(table)
        .where(table.c.id == bindparam("row_id"))
        .values(
            {
                **{column: bindparam(f"new_{column}") for column in target.columns},
                "updated_at": table.c.updated_at,
            }
        )
    )


async def rotate_all(
    sessions: async_sessionmaker[AsyncSession],
    cipher: PersonalDataCipher,
    *,
    batch_size: int = DEFAULT_BATCH_SIZE,
    progress: Callable[[int], object] = lambda rows: None,
) -> dict[str, RotationCount]:
    """Rotate every table holding tokens (personal data, webhook secrets), committing each
    batch (see the module docstring).

    Raises ``UnreadableToken`` at the first token no key reads; batches before it stay committed.
    """
    counts: dict[str, RotationCount] = {}
    for target in ENCRYPTED:
        total, after = RotationCount(), None
        while True:
            async with sessions() as session, session.begin():
                batch = await rotate_batch(session, cipher, target, after=after, size=batch_size)
            if batch.last_id is None:
                break
            total.rows += batch.count.rows
            total.tokens += batch.count.tokens
            after = batch.last_id
            progress(batch.count.rows)
        counts[target.name] = total
    return counts


async def count_all(sessions: async_sessionmaker[AsyncSession]) -> int:
    async with sessions() as session:
        return sum([await count_rows(session, target) for target in ENCRYPTED])
