"""A short-lived shared cache for anonymous reads of public lists.

When a consultation is announced on social media, thousands of phones ask for the same public
page within seconds. Each anonymous answer of a listed route is rendered once and replayed for
``seconds`` to every anonymous caller asking the same thing (path, query string, Accept and
Accept-Language); concurrent first askers wait for that one rendering instead of each querying
the database. When an answer lapses, the next asker renders it again while the others are
still given the lapsed one, so nobody waits behind a refresh. Answers to callers with a token are
never cached (they may hold personal data), nor anything but a 200. The answers carry
``Cache-Control: public, max-age=...`` so a CDN or the app may share them too. A change shows in
these anonymous reads after ``seconds``, plus the time one rendering takes.
"""

from dataclasses import dataclass
from time import monotonic
from typing import Any

from cachetools import LRUCache
from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.core.in_flight import InFlight

Key = tuple[str, str, str, bytes, str, str]


@dataclass(frozen=True, slots=True)
class Answer:
    status: int
    headers: list[tuple[bytes, bytes]]
    body: bytes
    route: Any  # the matched route, so metrics and logs name it on a replay too
    rendered_at: float  # time.monotonic()


class PublicCacheMiddleware:
    def __init__(
        self, app: ASGIApp, *, paths: frozenset[str], seconds: float, max_entries: int = 1024
    ) -> None:
        self.app = app
        self.paths = paths
        self.cache_control = f"public, max-age={int(seconds)}"
        self.seconds = seconds
        self.answers: LRUCache[Key, Answer] = LRUCache(maxsize=max_entries)
        self.rendering = InFlight()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        key = self._key(scope)
        if key is None:
            await self.app(scope, receive, send)
            return
        answer = self.answers.get(key)
        if answer is None:  # the first rendering may be under way: its answer may be shared
            await self.rendering.wait(key)
            answer = self.answers.get(key)
        elif monotonic() - answer.rendered_at >= self.seconds and not self.rendering.busy(key):
            answer = None  # lapsed: this caller refreshes it, others get the lapsed one meanwhile
        if answer is None:
            await self._render(key, scope, receive, send)
        else:
            await _replay(answer, scope, send)

    def _key(self, scope: Scope) -> Key | None:
        if scope["type"] != "http" or scope["method"] != "GET" or scope["path"] not in self.paths:
            return None
        headers = Headers(scope=scope)
        if "authorization" in headers or "if-none-match" in headers:
            return None
        # Scheme and host too: the DCAT catalogue writes absolute links from them.
        origin = (scope.get("scheme", "http"), headers.get("host", ""))
        variant = (headers.get("accept", ""), headers.get("accept-language", ""))
        return (*origin, scope["path"], scope.get("query_string", b""), *variant)

    async def _render(self, key: Key, scope: Scope, receive: Receive, send: Send) -> None:
        """Answer this caller, keeping the answer when it may be shared."""
        started: Message = {}
        chunks: list[bytes] = []

        async def capture(message: Message) -> None:
            if message["type"] == "http.response.start":
                if message["status"] == 200:
                    headers = MutableHeaders(scope=message)
                    headers["Cache-Control"] = self.cache_control
                    headers.add_vary_header("Accept")
                    headers.add_vary_header("Accept-Language")
                # a copy: the middleware outside adds per-request headers (the request id)
                started.update(message, headers=list(message.get("headers", [])))
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
            await send(message)

        async with self.rendering.doing(key):
            await self.app(scope, receive, capture)
            if started.get("status") == 200:
                body, route = b"".join(chunks), scope.get("route")
                self.answers[key] = Answer(200, started["headers"], body, route, monotonic())


async def _replay(answer: Answer, scope: Scope, send: Send) -> None:
    scope["route"] = answer.route
    await send(
        {"type": "http.response.start", "status": answer.status, "headers": list(answer.headers)}
    )
    await send({"type": "http.response.body", "body": answer.body})
