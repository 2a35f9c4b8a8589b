"""The stored calendar: snapshots for the engine, holiday edits, baseline seeding, the version."""

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, time, timedelta
from time import monotonic
from typing import Any

from sqlalchemy import extract, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.core import clock
from app.core.concurrency import ensure_version
from app.core.config import Settings
from app.core.errors import Conflict, NotFound, UnprocessableEntity
from app.core.pagination import PageParams, SortKey, paginate
from app.core.security import Principal
from app.models.holiday import CalendarState, Holiday, HolidaySource
from app.services import audit, deadlines, events
from app.services.event_types import EventType
from app.services.hijri import HijriRangeError, to_hijri
from app.services.holiday_baseline import baseline_holidays
from app.services.working_days import CalendarSnapshot, HolidayInfo, snapshot_from_rows

# Every date the API accepts has an Umm al-Qura companion (hijridate's supported range).
FIRST_DATE = date(1924, 8, 1)
LAST_DATE = date(2077, 11, 16)
MAX_RANGE_DAYS = 60


@dataclass(frozen=True, slots=True)
class CalendarRules:
    """What the settings decide about working days; holidays come from the table."""

    weekend: frozenset[int]
    cutoff: time
    timezone: str

    @classmethod
    def from_settings(cls, settings: Settings) -> "CalendarRules":
        return cls(settings.weekend_numbers, settings.working_day_cutoff, settings.timezone)


def hijri(day: date) -> str:
    """The Umm al-Qura companion of a date; a date outside the supported range is a 422."""
    try:
        return to_hijri(day)
    except HijriRangeError as exc:
        raise UnprocessableEntity(code="date_out_of_range", date=day.isoformat()) from exc


def ensure_in_range(*days: date) -> None:
    for day in days:
        if not FIRST_DATE <= day <= LAST_DATE:
            raise UnprocessableEntity(code="date_out_of_range", date=day.isoformat())


async def current_version(session: AsyncSession) -> int:
    return int(await session.scalar(select(CalendarState.version)) or 0)


async def load_snapshot(session: AsyncSession, rules: CalendarRules) -> CalendarSnapshot:
    version = await current_version(session)
    rows = await session.scalars(select(Holiday).where(Holiday.withdrawn.is_(False)))
    return snapshot_from_rows(
        ((row.day, _info(row)) for row in rows),
        version=version,
        weekend=rules.weekend,
        cutoff=rules.cutoff,
        timezone=rules.timezone,
    )


def _info(row: Holiday) -> HolidayInfo:
    return HolidayInfo(
        name_ar=row.name["ar"],
        name_en=row.name.get("en") or row.name["ar"],
        confirmed=row.confirmed,
        estimated=row.estimated,
    )


class SnapshotCache:
    """One snapshot per process, reloaded when the stored version moves.

    The version check is a one-row primary-key read, so an edit made through any worker or
    replica is seen by every other one without a restart. Writes, which store deadlines, check
    on every request. Reads may reuse the last check for ``read_ttl`` seconds: a list or a
    deadline shown to a caller may lag another process's calendar edit by that much, and a read
    saves a database round trip. An edit made through this process is seen at once.
    """

    def __init__(self, rules: CalendarRules, *, read_ttl: float = 0.0) -> None:
        self.rules = rules
        self.read_ttl = read_ttl
        self._snapshot: CalendarSnapshot | None = None
        self._checked_at = -math.inf

    async def get(self, session: AsyncSession, *, for_write: bool = True) -> CalendarSnapshot:
        checked = monotonic()
        recent = checked - self._checked_at < self.read_ttl
        if self._snapshot is not None and recent and not for_write:
            return self._snapshot
        version = await current_version(session)
        if self._snapshot is None or self._snapshot.version != version:
            self._snapshot = await load_snapshot(session, self.rules)
        self._checked_at = checked
        return self._snapshot

    def invalidate(self) -> None:
        """The calendar is being edited here: the next read checks the version again."""
        self._checked_at = -math.inf


async def list_holidays(
    session: AsyncSession, *, year: int | None, page: PageParams
) -> tuple[list[Holiday], str | None]:
    statement = select(Holiday).where(Holiday.withdrawn.is_(False))
    if year is not None:
        statement = statement.where(extract("year", Holiday.day) == year)
    return await paginate(session, statement, keys=[SortKey(Holiday.day)], page=page)


async def get_holiday(session: AsyncSession, day: date) -> Holiday:
    holiday = await session.scalar(select(Holiday).where(Holiday.day == day))
    if holiday is None or holiday.withdrawn:
        raise NotFound(code="holiday_not_found", date=day.isoformat())
    return holiday


async def add_holidays(
    session: AsyncSession,
    rules: CalendarRules,
    *,
    by: Principal,
    start: date,
    end: date,
    name: dict[str, Any],
    source: HolidaySource,
    confirmed: bool,
    source_reference: str | None,
) -> list[Holiday]:
    """Make every date from start to end a holiday (an announced Eid break, say).

    Baseline estimates and withdrawn dates in the range are replaced by the announcement; a date
    that already holds an official or manual holiday is a 409, so nothing is half-written.
    """
    days = _date_range(start, end)
    await lock_calendar(session)
    existing = {row.day: row for row in await _rows_between(session, start, end)}
    taken = [d for d, row in existing.items() if not row.withdrawn and row.source != "baseline"]
    if taken:
        raise Conflict(code="holiday_exists", date=", ".join(d.isoformat() for d in sorted(taken)))
    holidays = []
    for day in days:
        row = existing.get(day) or Holiday(day=day)
        row.name, row.source, row.confirmed = name, source.value, confirmed
        row.estimated, row.withdrawn = False, False
        row.source_reference, row.updated_by = source_reference, by.sub
        session.add(row)
        holidays.append(row)
    await session.flush()
    await _changed(session, rules, by, "holiday.added", holidays)
    return holidays


def _date_range(start: date, end: date) -> list[date]:
    ensure_in_range(start, end)
    if end < start:
        raise UnprocessableEntity(code="invalid_date_range")
    if (end - start).days >= MAX_RANGE_DAYS:
        raise UnprocessableEntity(code="date_range_too_long", limit=MAX_RANGE_DAYS)
    return [start + timedelta(days=offset) for offset in range((end - start).days + 1)]


async def _rows_between(session: AsyncSession, start: date, end: date) -> Sequence[Holiday]:
    statement = select(Holiday).where(Holiday.day >= start, Holiday.day <= end)
    return (await session.scalars(statement)).all()


async def update_holiday(
    session: AsyncSession,
    rules: CalendarRules,
    *,
    by: Principal,
    day: date,
    changes: dict[str, Any],
    expected_version: int | None,
) -> Holiday:
    """Confirm, rename, re-source or set the reference of one holiday."""
    await lock_calendar(session)
    holiday = await get_holiday(session, day)
    ensure_version(holiday, expected_version)
    for field, value in changes.items():
        setattr(holiday, field, value.value if isinstance(value, HolidaySource) else value)
    holiday.updated_by = by.sub
    await session.flush()
    await _changed(session, rules, by, "holiday.updated", [holiday])
    return holiday


async def withdraw_holiday(
    session: AsyncSession,
    rules: CalendarRules,
    *,
    by: Principal,
    day: date,
    expected_version: int | None,
) -> None:
    """Turn a holiday back into a working day (e.g. a baseline estimate that proved wrong)."""
    await lock_calendar(session)
    holiday = await get_holiday(session, day)
    ensure_version(holiday, expected_version)
    holiday.withdrawn, holiday.updated_by = True, by.sub
    await session.flush()
    await _changed(session, rules, by, "holiday.withdrawn", [holiday])


async def _changed(
    session: AsyncSession,
    rules: CalendarRules,
    by: Principal | None,
    action: str,
    holidays: Sequence[Holiday],
) -> int:
    """Bump the version, audit each date, move live deadlines and announce the change: all in
    this transaction."""
    version = await bump_version(session)
    await audit.record_many(
        session,
        by,
        action,
        "holiday",
        [(h.day.isoformat(), {"calendar_version": version, "source": h.source}) for h in holidays],
    )
    moved = await deadlines.recompute_all(session, await load_snapshot(session, rules), by)
    days = sorted(h.day.isoformat() for h in holidays)
    await _announce(session, action, moved, count=len(days), dates=days)
    return version


async def _announce(session: AsyncSession, change: str, moved: dict[str, int], **data: Any) -> None:
    """``calendar.changed`` about the state row, whose version is the calendar's version."""
    state = await session.get_one(CalendarState, 1, populate_existing=True)  # bumped in SQL
    payload = {"version": state.version, "change": change, **data}
    payload["deadlines_moved"] = sum(moved.values())
    await events.emit(session, EventType.CALENDAR_CHANGED, state, data=payload)


async def lock_calendar(session: AsyncSession) -> None:
    """Serialise calendar edits, and seeding by replicas that start together, on the state row.

    On SQLite the transaction already holds the write lock (BEGIN IMMEDIATE).
    """
    await session.execute(select(CalendarState.id).where(CalendarState.id == 1).with_for_update())


async def bump_version(session: AsyncSession) -> int:
    """Increment the calendar version; the row lock also serialises concurrent edits."""
    statement = (
        update(CalendarState)
        .where(CalendarState.id == 1)
        .values(version=CalendarState.version + 1, changed_at=clock.now())
        .returning(CalendarState.version)
    )
    return int((await session.execute(statement)).scalar_one())


@dataclass(frozen=True)
class SeedReport:
    inserted: int
    updated: int
    removed: int
    kept: int
    calendar_version: int


async def seed_baseline(
    session: AsyncSession,
    rules: CalendarRules,
    years: Sequence[int],
    *,
    by: Principal | None = None,
) -> SeedReport:
    """Load the pinned Saudi baseline for the years; idempotent.

    Never touches official, manual or withdrawn rows; refreshes unconfirmed baseline rows, and
    drops baseline estimates that the package no longer lists.
    """
    wanted = {row.date: row for row in baseline_holidays(years)}
    await lock_calendar(session)
    stored = {
        row.day: row
        for row in await _rows_between(session, date(min(years), 1, 1), date(max(years), 12, 31))
    }
    inserted = updated = removed = kept = 0
    for day, base in wanted.items():
        name = {"ar": base.name_ar, "en": base.name_en}
        row = stored.get(day)
        if row is None:
            session.add(Holiday(day=day, name=name, source="baseline", estimated=base.estimated))
            inserted += 1
        elif row.source == "baseline" and not row.withdrawn and not row.confirmed:
            if (row.name, row.estimated) != (name, base.estimated):
                row.name, row.estimated = name, base.estimated
                updated += 1
        else:
            kept += 1
    for day, row in stored.items():
        if (
            day not in wanted
            and row.source == "baseline"
            and not row.confirmed
            and not row.withdrawn
        ):
            await session.delete(row)
            removed += 1
    await session.flush()
    version = await current_version(session)
    if inserted or updated or removed:
        # The first seeding creates the calendar (version 0 -> 1): nobody has relied on one yet,
        # so only a seeding that changes an existing calendar (a new year, a package upgrade)
        # is announced, like an admin's edit.
        existed, version = version > 0, await bump_version(session)
        counts = {"inserted": inserted, "updated": updated, "removed": removed}
        await audit.record_many(
            session, by, "calendar.seeded", "calendar", [(str(version), counts)]
        )
        moved = await deadlines.recompute_all(session, await load_snapshot(session, rules), by)
        if existed:
            await _announce(session, "calendar.seeded", moved, **counts)
    return SeedReport(inserted, updated, removed, kept, version)
