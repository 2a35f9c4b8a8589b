"""Where webhooks may be sent: the URL rules, and the addresses a host name resolves to.

A subscriber names a URL; the service then makes requests to it from inside the emirate's
network. Without these rules an admin's typo or a hostile receiver could point deliveries at
the service's own loopback, the cloud metadata endpoint or an internal host (server-side
request forgery). Host names are resolved and every address checked when a subscription is
saved, and again before each delivery, which then connects to the very address it checked:
a name that later resolves elsewhere (DNS rebinding) cannot slip a request past the check.
"""

import asyncio
import ipaddress
import socket
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import httpx

from app.core.config import Environment, Settings
from app.core.errors import UnprocessableEntity

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], Awaitable[list[str]]]
RESOLVE_TIMEOUT_SECONDS = 5.0
DEFAULT_PORTS = {"http": 80, "https": 443}


class TargetRefused(UnprocessableEntity):
    """The URL may not receive webhooks (the subclass says which rule it breaks)."""


class InvalidUrl(TargetRefused):
    code = "webhook_url_invalid"


class HttpsRequired(TargetRefused):
    code = "webhook_https_required"


class TargetNotAllowed(TargetRefused):
    code = "webhook_target_not_allowed"


class UnresolvableHost(UnprocessableEntity):
    code = "webhook_host_unresolvable"


async def system_resolver(host: str, port: int) -> list[str]:
    """Every address ``host`` resolves to now, through the event loop's resolver."""
    loop = asyncio.get_running_loop()
    async with asyncio.timeout(RESOLVE_TIMEOUT_SECONDS):
        found = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in found]


# Tests replace this with a table of names, so that none of them needs DNS.
resolve_host: Resolver = system_resolver


@dataclass(frozen=True)
class TargetPolicy:
    allow_http: bool
    allow_private: bool

    @classmethod
    def of(cls, settings: Settings) -> "TargetPolicy":
        allow_http = settings.webhook_allow_http
        if allow_http is None:  # unset: plain HTTP everywhere but production
            allow_http = settings.environment is not Environment.PRODUCTION
        return cls(allow_http=allow_http, allow_private=settings.webhook_allow_private_targets)


@dataclass(frozen=True)
class Target:
    """A checked URL and the address to connect to."""

    url: httpx.URL
    address: str

    def request_url(self) -> httpx.URL:
        """The URL with its host replaced by the checked address (the connection is pinned)."""
        return self.url.copy_with(host=self.address)

    @property
    def host_header(self) -> str:
        return self.url.netloc.decode("ascii")

    @property
    def server_name(self) -> str:
        return self.url.raw_host.decode("ascii")


def parse_url(url: str, policy: TargetPolicy) -> httpx.URL:
    """The URL if its form is acceptable: absolute http(s), a host, no credentials or fragment."""
    try:
        parsed = httpx.URL(url)
    except httpx.InvalidURL as exc:
        raise InvalidUrl() from exc
    if parsed.scheme not in DEFAULT_PORTS or not parsed.raw_host:
        raise InvalidUrl()
    if parsed.port is not None and not 0 < parsed.port < 65536:
        raise InvalidUrl()
    if parsed.userinfo or parsed.fragment:  # the secret authenticates; URLs are shown to admins
        raise InvalidUrl()
    if parsed.scheme == "http" and not policy.allow_http:
        raise HttpsRequired()
    return parsed


def is_blocked(address: Address) -> bool:
    """Loopback, private, link-local, multicast, reserved, unspecified and other non-public
    addresses (``is_global`` is false for all but multicast, which is checked by name)."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_multicast or not address.is_global


async def addresses_of(url: httpx.URL) -> list[Address]:
    """The URL's host as addresses: the literal itself, or everything its name resolves to."""
    host = url.raw_host.decode("ascii")
    try:
        return [ipaddress.ip_address(host)]
    except ValueError:
        pass
    try:
        found = await resolve_host(host, url.port or DEFAULT_PORTS[url.scheme])
    except (OSError, TimeoutError) as exc:  # socket.gaierror is an OSError
        raise UnresolvableHost() from exc
    if not found:
        raise UnresolvableHost()
    return [ipaddress.ip_address(address.split("%", 1)[0]) for address in found]


async def check(url: str, policy: TargetPolicy) -> Target:
    """The target of ``url`` if every address it reaches is allowed (else 422 with a code)."""
    parsed = parse_url(url, policy)
    addresses = await addresses_of(parsed)
    if not policy.allow_private and any(is_blocked(address) for address in addresses):
        raise TargetNotAllowed()
    return Target(parsed, str(addresses[0]))
