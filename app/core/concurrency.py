"""ETag and If-Match: weak ETags carry the row's ``version``; writes may require a match."""

import re
from typing import Annotated, Protocol

from fastapi import Header
from starlette.responses import Response

from app.core.errors import PreconditionFailed

_ETAG = re.compile(r'^\s*(?:W/)?"(\d{1,18})"\s*$')


class HasVersion(Protocol):
    version: int


def etag(version: int) -> str:
    return f'W/"{version}"'


def set_etag(response: Response, resource: HasVersion) -> None:
    response.headers["ETag"] = etag(resource.version)


async def parse_if_match(
    if_match: Annotated[
        str | None,
        Header(
            alias="If-Match",
            description='The ETag last read (e.g. W/"3"); the write fails with 412 if it changed.',
        ),
    ] = None,
) -> int | None:
    """The version the caller expects, or None when the header is absent or ``*``."""
    if if_match is None or if_match.strip() == "*":
        return None
    match = _ETAG.match(if_match)
    if match is None:
        raise PreconditionFailed(current="?")
    return int(match.group(1))


def ensure_version(resource: HasVersion, expected: int | None) -> None:
    """412 when the caller's If-Match names a version other than the stored one."""
    if expected is not None and expected != resource.version:
        raise PreconditionFailed(current=resource.version, headers={"ETag": etag(resource.version)})
