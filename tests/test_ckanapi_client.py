"""The real ckanapi client against the service on a loopback port gets our datasets back."""

import asyncio
import socket
import threading
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

import ckanapi
import pytest
import uvicorn

from app.core import clock
from app.core.config import Settings
from app.core.db import Database
from app.core.migrations import upgrade_to_head
from app.main import create_app
from tests.support.ckan_catalogue import PUBLISHED, seed

STARTUP_SECONDS = 15
CLIENT_SECONDS = 60


@pytest.fixture
async def ckan_url(
    fresh_database_url: str, settings: Settings, frozen_clock: clock.FrozenClock
) -> AsyncIterator[str]:
    """The service under uvicorn on a free 127.0.0.1 port, over a database of its own."""
    migrated = settings.model_copy(update={"database_url": fresh_database_url})
    await asyncio.to_thread(upgrade_to_head, migrated)
    database = Database(migrated)
    await seed(database)
    await database.dispose()
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))  # the kernel picks a free port; uvicorn serves this socket
    config = uvicorn.Config(create_app(migrated), log_level="warning", lifespan="on")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [listener]}, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + STARTUP_SECONDS
        while not server.started:
            assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
            await asyncio.sleep(0.05)
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        server.should_exit = True
        await asyncio.to_thread(thread.join, STARTUP_SECONDS)
        listener.close()
    assert not thread.is_alive(), "uvicorn did not stop"


async def in_thread(calls: Callable[[], Any]) -> Any:
    """Run blocking client calls off the event loop, within a bounded time."""
    return await asyncio.wait_for(asyncio.to_thread(calls), CLIENT_SECONDS)


async def test_ckanapi_lists_shows_and_searches_our_datasets(ckan_url: str) -> None:
    def harvest() -> dict[str, Any]:
        with ckanapi.RemoteCKAN(ckan_url) as ckan:  # POSTs JSON to /api/action/<action>
            return {
                "names": ckan.action.package_list(),
                "package": ckan.action.package_show(id="road-accidents"),
                "search": ckan.action.package_search(
                    q="أبها", fq="res_format:CSV", facet_field=["organization", "tags"]
                ),
                "all": ckan.action.package_search(rows=1000, **{"facet.field": ["res_format"]}),
                "organizations": ckan.action.organization_list(),
                "status": ckan.action.status_show(),
            }

    got = await in_thread(harvest)
    assert got["names"] == PUBLISHED
    package = got["package"]
    assert (package["name"], package["title"]) == ("road-accidents", "حوادث الطرق في منطقة عسير")
    assert [resource["format"] for resource in package["resources"]] == ["CSV", "JSON"]
    assert package["organization"]["name"] == "traffic-department"
    search = got["search"]
    assert search["count"] == 1
    assert search["results"][0]["name"] == "abha-parks"
    assert search["search_facets"]["organization"]["items"][0]["name"] == "asir-municipality"
    assert {item["name"] for item in search["search_facets"]["tags"]["items"]} == {"حدائق", "بيئة"}
    assert sorted(package["name"] for package in got["all"]["results"]) == PUBLISHED
    assert got["all"]["facets"]["res_format"]["CSV"] == 2
    assert sorted(got["organizations"]) == ["asir-municipality", "traffic-department"]
    assert got["status"]["ckan_version"].startswith("2.10.")


async def test_ckanapi_raises_ckan_exceptions_from_our_error_envelopes(ckan_url: str) -> None:
    def failures() -> tuple[Exception, Exception]:
        with ckanapi.RemoteCKAN(ckan_url) as ckan:
            with pytest.raises(ckanapi.NotFound) as missing:
                ckan.action.package_show(id="draft-budget")
            with pytest.raises(ckanapi.ValidationError) as invalid:
                ckan.action.package_search(fq="author:someone")
        return missing.value, invalid.value

    missing, invalid = await in_thread(failures)
    assert "Dataset not found" in str(missing)
    assert invalid.error_dict["__type"] == "Validation Error"
    assert invalid.error_dict["fq"]


async def test_ckanapi_by_get_with_an_api_key_reads_the_same(ckan_url: str) -> None:
    def by_get() -> tuple[list[str], dict[str, Any]]:
        # An API key goes out raw in Authorization; a public catalogue must not refuse it.
        with ckanapi.RemoteCKAN(ckan_url, apikey="harvester-key", get_only=True) as ckan:
            names = ckan.action.package_list()
            found = ckan.action.package_search(
                fq="organization:asir-municipality", facet_field=["groups"], sort="name asc"
            )
        return names, found

    names, found = await in_thread(by_get)
    assert names == PUBLISHED
    assert [package["name"] for package in found["results"]] == ["abha-parks", "development-plan"]
    assert found["facets"]["groups"] == {"development_plans": 1, "open_data": 1}
