"""One webhook request: the Standard Webhooks signature, the pinned connection, the outcome.

Nothing here touches the database: requests are made outside any transaction, and what
happened comes back as an ``Outcome`` the caller records. Outcomes carry short, fixed error
words, never response bodies (a receiver's error page is no business of the attempt log).
"""

import asyncio
import base64
import hashlib
import hmac
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx
import orjson

from app.core import clock
from app.models.webhook import is_accepted
from app.schemas.events import EventRead
from app.services import webhook_targets
from app.services.webhook_targets import TargetPolicy, TargetRefused, UnresolvableHost

USER_AGENT = "beneficiary-api-webhooks/1"
SECRET_PREFIX = "whsec_"  # noqa: S105  (the Standard Webhooks prefix, not a secret)


@dataclass(frozen=True)
class Message:
    """What a delivery sends: the event's id (``webhook-id``, the same on every retry) and
    the body, byte for byte as signed."""

    event_id: str
    body: bytes

    @classmethod
    def of(cls, event: EventRead) -> "Message":
        data = event.model_dump(mode="json")
        envelope: dict[str, Any] = {
            "type": event.type,
            "timestamp": data["occurred_at"],
            "data": data,
        }
        return cls(str(event.id), orjson.dumps(envelope))


@dataclass(frozen=True)
class Outcome:
    started_at: datetime
    duration_ms: int
    status_code: int | None = None
    error: str | None = None

    @property
    def succeeded(self) -> bool:
        return is_accepted(self.status_code)


def signature(secret: str, message: Message, timestamp: int) -> str:
    """``v1,`` and base64 of HMAC-SHA256 over ``id.timestamp.body``, keyed by the decoded
    secret (the Standard Webhooks scheme, so receivers verify with any of its libraries)."""
    key = base64.b64decode(secret.removeprefix(SECRET_PREFIX))
    signed = f"{message.event_id}.{timestamp}.".encode() + message.body
    digest = hmac.new(key, signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode("ascii")


def headers_for(secret: str, message: Message, timestamp: int) -> dict[str, str]:
    return {
        "content-type": "application/json",
        "user-agent": USER_AGENT,
        "webhook-id": message.event_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": signature(secret, message, timestamp),
    }


async def send(
    client: httpx.AsyncClient,
    *,
    url: str,
    secret: str,
    message: Message,
    policy: TargetPolicy,
    time_limit: float,
) -> Outcome:
    """POST the message once; every failure (refused target, timeout, network) is an outcome."""
    started_at, began = clock.now(), time.monotonic()

    def finished(status_code: int | None = None, error: str | None = None) -> Outcome:
        elapsed = round((time.monotonic() - began) * 1000)
        return Outcome(started_at, elapsed, status_code, error)

    try:
        async with asyncio.timeout(time_limit):  # httpx's timeout is per phase; this bounds the sum
            status_code = await _post(client, url, secret, message, policy, time_limit)
    except UnresolvableHost:
        return finished(error="host unresolvable")
    except TargetRefused:  # e.g. its name now resolves to a private address, or http is off
        return finished(error="blocked target")
    except (httpx.TimeoutException, TimeoutError):
        return finished(error="timeout")
    except (httpx.HTTPError, OSError):
        return finished(error="connection error")
    if 300 <= status_code < 400:
        return finished(status_code, "redirect not followed")
    return finished(status_code, None if 200 <= status_code < 300 else f"HTTP {status_code}")


async def _post(
    client: httpx.AsyncClient,
    url: str,
    secret: str,
    message: Message,
    policy: TargetPolicy,
    time_limit: float,
) -> int:
    """The receiver's status code; the connection goes to the address just checked."""
    target = await webhook_targets.check(url, policy)
    headers = headers_for(secret, message, int(clock.now().timestamp()))
    # Host and TLS server name stay the URL's; "close" keeps a connection made for one
    # host name from being reused by the pool for another name on the same address.
    headers |= {"host": target.host_header, "connection": "close"}
    extensions = {"sni_hostname": target.server_name} if target.url.scheme == "https" else {}
    request = client.build_request(
        "POST",
        target.request_url(),
        content=message.body,
        headers=headers,
        timeout=time_limit,
        extensions=extensions,
    )
    response = await client.send(request, follow_redirects=False, stream=True)
    await response.aclose()  # the body is never read: a receiver cannot make us buffer it
    return response.status_code
