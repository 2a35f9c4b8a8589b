"""Shared counts: one count for concurrent askers, a failed count not shared, lapsing by time."""

import asyncio

from app.services.tally_cache import TallyCache


class Counter:
    def __init__(self, *, fail_first: bool = False) -> None:
        self.calls = 0
        self.fail_first = fail_first

    async def __call__(self) -> int:
        self.calls += 1
        await asyncio.sleep(0.01)  # others arrive meanwhile
        if self.fail_first and self.calls == 1:
            raise RuntimeError("the database went away")
        return self.calls


async def test_concurrent_askers_share_one_count() -> None:
    cache, count = TallyCache(60), Counter()
    results = await asyncio.gather(*(cache.get("window", count) for _ in range(10)))
    assert results == [1] * 10
    assert count.calls == 1
    assert await cache.get("another window", count) == 2


async def test_a_failed_count_is_not_shared_and_the_others_count_for_themselves() -> None:
    cache, count = TallyCache(60), Counter(fail_first=True)
    results = await asyncio.gather(
        *(cache.get("window", count) for _ in range(3)), return_exceptions=True
    )
    assert isinstance(results[0], RuntimeError)
    assert results[1:] == [2, 2]  # one of the waiters counted again, the other shared it
    assert count.calls == 2


async def test_without_seconds_every_ask_counts() -> None:
    cache, count = TallyCache(0), Counter()
    assert [await cache.get("window", count) for _ in range(3)] == [1, 2, 3]
