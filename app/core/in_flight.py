"""Work under way, by key, so that concurrent askers wait for it instead of repeating it."""

import asyncio
from collections.abc import AsyncIterator, Hashable
from contextlib import asynccontextmanager


class InFlight:
    """``async with in_flight.doing(key)`` marks work on ``key``; ``await in_flight.wait(key)``
    returns when the work under way then has ended (at once when none is), however it ended:
    the waiter then looks for its result, and does the work itself when there is none."""

    def __init__(self) -> None:
        self._pending: dict[Hashable, asyncio.Future[None]] = {}

    def __len__(self) -> int:
        """How many keys have work under way."""
        return len(self._pending)

    def busy(self, key: Hashable) -> bool:
        return key in self._pending

    async def wait(self, key: Hashable) -> None:
        if (pending := self._pending.get(key)) is not None:
            await asyncio.shield(pending)  # a waiter that goes away does not cancel the work

    @asynccontextmanager
    async def doing(self, key: Hashable) -> AsyncIterator[None]:
        pending: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._pending[key] = pending
        try:
            yield
        finally:
            if self._pending.get(key) is pending:  # a later worker on the key may own it now
                del self._pending[key]
            pending.set_result(None)
