"""Every dependency of every route is ``async def``: FastAPI runs a plain ``def`` dependency in
a thread pool, a hop per request that cost the lightest endpoints a third of their time."""

import inspect
from collections.abc import Iterator
from typing import Any

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute


def _calls(dependant: Dependant) -> Iterator[Any]:
    for sub in dependant.dependencies:
        if sub.call is not None:
            yield sub.call
        yield from _calls(sub)


def _is_async(call: Any) -> bool:
    """A coroutine or async generator function, or an object whose ``__call__`` is one."""
    method = getattr(call, "__call__", None)  # noqa: B004  (a permission check is an instance)
    return any(
        check(candidate)
        for candidate in (call, method)
        for check in (inspect.iscoroutinefunction, inspect.isasyncgenfunction)
    )


def test_no_route_depends_on_a_plain_function(app: FastAPI) -> None:
    routes = [route for route in app.router.routes if isinstance(route, APIRoute)]
    assert len(routes) > 90
    plain = {
        f"{route.path}: {getattr(call, '__qualname__', type(call).__qualname__)}"
        for route in routes
        for call in _calls(route.dependant)
        if not _is_async(call)
    }
    assert not plain, sorted(plain)
