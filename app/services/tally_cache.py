"""Counts shared by every reader of this process for a few seconds (analytics windows)."""

from collections.abc import Awaitable, Callable, Hashable
from typing import Any, TypeVar

from cachetools import TTLCache

from app.core.in_flight import InFlight

T = TypeVar("T")


class TallyCache:
    """The results of recent counts, by key, kept for ``seconds``.

    A window's counts hold no personal data and hardly move within seconds, while counting a
    year of a million submissions takes a good part of a second: a crowd of analysts opening the
    same dashboard is answered from one count. What each reader may see of the counts (exact or
    suppressed figures) is still decided per reader. ``seconds`` 0 counts on every request.
    """

    def __init__(self, seconds: float, *, max_entries: int = 256) -> None:
        self._entries: TTLCache[Hashable, Any] | None = (
            TTLCache(maxsize=max_entries, ttl=seconds) if seconds > 0 else None
        )
        self._counting = InFlight()

    async def get(self, key: Hashable, count: Callable[[], Awaitable[T]]) -> T:
        """The shared result, or this caller's own count; concurrent askers wait for one count
        (and count for themselves if that one failed or its caller went away)."""
        if self._entries is None:
            return await count()
        while key not in self._entries and self._counting.busy(key):
            await self._counting.wait(key)
        if key in self._entries:
            result: T = self._entries[key]
            return result
        async with self._counting.doing(key):
            self._entries[key] = counted = await count()
        return counted


NO_CACHE = TallyCache(0)
