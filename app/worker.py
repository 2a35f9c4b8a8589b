"""The background worker: time-based events, then webhook fan-out and delivery, every tick.

``beneficiary-api worker`` runs one per process. On PostgreSQL any number may run at once:
reminders are written once per key (services.reminders) and deliveries are claimed with leases
(services.webhook_delivery). On SQLite, run a single worker.
"""

import asyncio
import contextlib
import logging
import os
import socket
import traceback
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from time import monotonic
from typing import Any

import httpx

from app.core import clock
from app.core.config import Settings
from app.core.crypto import PersonalDataCipher
from app.core.db import Database
from app.services import reminders, webhook_delivery
from app.services.calendar import CalendarRules, SnapshotCache

logger = logging.getLogger("beneficiary.worker")
Step = Callable[[], Awaitable[int]]


def worker_name() -> str:
    """``hostname:pid``: who claimed a delivery, as the attempt log shows it."""
    return f"{socket.gethostname()}:{os.getpid()}"


@dataclass(frozen=True)
class TickReport:
    """What one tick did: counts only, and the steps that failed."""

    reminders: int = 0
    fanned_out: int = 0
    delivered: int = 0
    failed: tuple[str, ...] = ()
    seconds: float = 0.0

    def as_log(self) -> dict[str, Any]:
        return {
            "reminders": self.reminders,
            "fanned_out": self.fanned_out,
            "delivered": self.delivered,
            "failed_steps": list(self.failed),
            "seconds": round(self.seconds, 3),
        }


class Worker:
    def __init__(
        self,
        database: Database,
        settings: Settings,
        client: httpx.AsyncClient,
        *,
        name: str,
        cipher: PersonalDataCipher,
    ) -> None:
        self.database, self.settings, self.client = database, settings, client
        self.name, self.cipher = name, cipher
        self.calendar = SnapshotCache(CalendarRules.from_settings(settings))
        # How long a stop waits for the tick in progress before cancelling it.
        self.grace_seconds: float = settings.shutdown_grace_seconds

    async def run_once(self) -> TickReport:
        """One tick: reminders, then fan-out, then delivery; a failed step spares the others."""
        began, counts, failed = monotonic(), {}, []
        for name, step in self._steps():
            try:
                counts[name] = await step()
            except Exception as exc:  # logged; the next step and tick go on
                failed.append(name)
                _log_failure(self.name, name, exc)
        report = TickReport(**counts, failed=tuple(failed), seconds=monotonic() - began)
        logger.info("worker tick", extra={"worker": self.name, **report.as_log()})
        return report

    def _steps(self) -> list[tuple[str, Step]]:
        # The webhook functions are looked up at call time, so each tick uses the module's own.
        return [
            ("reminders", self._emit_reminders),
            ("fanned_out", lambda: webhook_delivery.fan_out(self.database, self.settings)),
            ("delivered", self._deliver),
        ]

    async def _emit_reminders(self) -> int:
        async with self.database.sessions() as session, session.begin():
            snapshot = await self.calendar.get(session)
            return await reminders.emit_due(session, self.settings, snapshot, clock.now())

    async def _deliver(self) -> int:
        return await webhook_delivery.deliver_due(
            self.database, self.settings, self.client, worker=self.name, cipher=self.cipher
        )

    async def run(self, stop: asyncio.Event) -> None:
        """Tick every ``worker_poll_seconds`` until ``stop`` is set.

        A stop during the wait ends the loop at once; a stop during a tick lets the tick finish
        (in-flight deliveries complete, each bounded by the webhook timeout) for up to
        ``grace_seconds``, then cancels it: unfinished reminders roll back and are written by
        the next worker, and a claimed delivery is retried once its lease expires.
        """
        while not stop.is_set():
            await self._tick(stop)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), self.settings.worker_poll_seconds)

    async def _tick(self, stop: asyncio.Event) -> None:
        tick = asyncio.create_task(self.run_once())
        stopping = asyncio.create_task(stop.wait())
        try:
            await asyncio.wait({tick, stopping}, return_when=asyncio.FIRST_COMPLETED)
            if not tick.done():
                logger.info("worker stopping: finishing the tick", extra={"worker": self.name})
                await asyncio.wait({tick}, timeout=self.grace_seconds)
        finally:
            stopping.cancel()
            await _settle(tick, self.name)


async def _settle(tick: "asyncio.Task[TickReport]", worker: str) -> None:
    """Cancel a tick still running; log, never raise, what went wrong in a finished one."""
    if not tick.done():
        logger.warning("worker stopping: tick cancelled after the grace", extra={"worker": worker})
        tick.cancel()
    try:
        await tick
    except asyncio.CancelledError:
        if not tick.cancelled():  # the caller itself is being cancelled
            raise
    except Exception as exc:  # a failed tick never stops the loop
        _log_failure(worker, "tick", exc)


def _log_failure(worker: str, step: str, exc: BaseException) -> None:
    """The exception's type and where it was raised; never its message, which may quote SQL
    parameters (personal data) or a receiver's reply."""
    frames = traceback.extract_tb(exc.__traceback__)
    where = f"{frames[-1].filename}:{frames[-1].lineno} in {frames[-1].name}" if frames else None
    extra = {"worker": worker, "step": step, "error": type(exc).__qualname__, "where": where}
    logger.error("worker step failed", extra=extra)
