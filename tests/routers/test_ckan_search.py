"""CKAN package_search: q, fq filters, paging, sorting and facet counts."""

import dataclasses
import json
from typing import Any

import httpx
import pytest
from sqlalchemy import event

from app.core import clock
from app.core.db import Database
from app.models.dataset import Dataset
from app.schemas.ckan import CkanPackage
from tests.support.ckan_catalogue import CATALOGUE, PUBLISHED, seed

SEARCH = "/api/3/action/package_search"


@pytest.fixture
async def catalogue(database: Database, frozen_clock: clock.FrozenClock) -> dict[str, Dataset]:
    return await seed(database)


async def search(client: httpx.AsyncClient, **params: Any) -> dict[str, Any]:
    response = await client.get(SEARCH, params=params)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()["result"]
    return result


async def names(client: httpx.AsyncClient, **params: Any) -> list[str]:
    return [package["name"] for package in (await search(client, **params))["results"]]


async def test_search_without_parameters_lists_published_datasets_newest_first(
    client: httpx.AsyncClient, catalogue: dict[str, Dataset]
) -> None:
    result = await search(client)
    assert result["count"] == 3
    assert [package["name"] for package in result["results"]] == [
        "abha-parks",  # modified 12 March
        "road-accidents",  # 10 March
        "development-plan",  # 1 March
    ]
    assert result["sort"] == "score desc, metadata_modified desc"
    assert (result["facets"], result["search_facets"]) == ({}, {})
    for package in result["results"]:
        CkanPackage.model_validate(package)
    assert [len(package["resources"]) for package in result["results"]] == [2, 2, 1]


@pytest.mark.parametrize(
    ("q", "found"),
    [
        ("السلامه المروريه", ["road-accidents"]),  # ة typed as ه
        ("حَوادِث", ["road-accidents"]),  # with harakat
        ("ابها", ["abha-parks"]),  # أ typed as ا
        ("parks ABHA", ["abha-parks"]),  # every word, any order, any case
        ("road", ["road-accidents"]),  # not the archived "Old road census"
        ("*:*", ["abha-parks", "road-accidents", "development-plan"]),
        ("ميزانية", []),  # only in a draft
    ],
)
async def test_q_finds_words_arabic_aware(
    client: httpx.AsyncClient, catalogue: dict[str, Dataset], q: str, found: list[str]
) -> None:
    assert await names(client, q=q) == found


@pytest.mark.parametrize(
    ("fq", "found"),
    [
        ("organization:asir-municipality", ["abha-parks", "development-plan"]),
        ('tags:"السلامة المرورية"', ["road-accidents"]),
        ("tags:السلامه\\ المروريه", ["road-accidents"]),  # escaped space, normalised
        ("tags:roads", ["road-accidents"]),  # not the draft nor the archived dataset
        ("res_format:CSV", ["abha-parks", "road-accidents"]),
        ("res_format:geojson", ["abha-parks"]),
        ("res_format:XLSX", []),  # only a draft has one
        ("groups:development_plans", ["development-plan"]),
        ("license_id:CC0-1.0", ["development-plan"]),
        ("organization:asir-municipality res_format:CSV", ["abha-parks"]),
        ("+organization:asir-municipality AND groups:open_data", ["abha-parks"]),
        ("organization:traffic-department OR groups:open_data", ["abha-parks", "road-accidents"]),
        ("-organization:asir-municipality", ["road-accidents"]),
        ("(organization:asir-municipality) NOT res_format:PDF", ["abha-parks"]),
        ("metadata_modified:[2026-03-10T08:00:00Z TO *]", ["abha-parks", "road-accidents"]),
        ("metadata_modified:{2026-03-10T08:00:00Z TO *]", ["abha-parks"]),
        ("metadata_modified:[* TO 2026-03-05]", ["development-plan"]),
        ("dataset_type:dataset", ["abha-parks", "development-plan", "road-accidents"]),
    ],
)
async def test_fq_filters_alone_and_combined(
    client: httpx.AsyncClient, catalogue: dict[str, Dataset], fq: str, found: list[str]
) -> None:
    assert await names(client, fq=fq, sort="name asc") == found


async def test_fq_as_ckanext_harvest_sends_it(
    client: httpx.AsyncClient, catalogue: dict[str, Dataset]
) -> None:
    fq = "(organization:traffic-department OR metadata_modified:[2026-03-11T00:00:00Z TO *])"
    assert await names(client, fq=fq, sort="id asc", rows=100) == sorted(
        ["abha-parks", "road-accidents"], key=lambda slug: str(catalogue[slug].id)
    )


async def test_q_fq_and_fq_list_all_apply(
    client: httpx.AsyncClient, catalogue: dict[str, Dataset]
) -> None:
    response = await client.post(
        SEARCH,
        json={"q": "أبها", "fq": "res_format:CSV", "fq_list": ["organization:asir-municipality"]},
    )
    assert [package["name"] for package in response.json()["result"]["results"]] == ["abha-parks"]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"fq": "author:someone"}, "fq"),
        ({"fq": "roads"}, "fq"),
        ({"fq": "(organization:asir-municipality"}, "fq"),
        ({"fq": "metadata_modified:2026-03-01"}, "fq"),
        ({"fq": "metadata_modified:[yesterday TO *]"}, "fq"),
        ({"fq": "tags:[a TO b]"}, "fq"),
        ({"rows": "-1"}, "rows"),
        ({"rows": "ten"}, "rows"),
        ({"start": "-5"}, "start"),
        ({"sort": "popularity desc"}, "sort"),
        ({"sort": "name upwards"}, "sort"),
        ({"facet.field": '["author"]'}, "facet.field"),
        ({"facet.field": "[not json"}, "facet.field"),
    ],
)
async def test_bad_search_parameters_are_validation_errors(
    client: httpx.AsyncClient, params: dict[str, str], field: str
) -> None:
    response = await client.get(SEARCH, params=params)
    assert response.status_code == 409
    body = response.json()
    assert (body["success"], body["error"]["__type"]) == (False, "Validation Error")
    assert body["error"][field]
    assert field in body["error"]["message"]


async def test_rows_and_start_page_through_the_results(
    client: httpx.AsyncClient, catalogue: dict[str, Dataset]
) -> None:
    pages = [await search(client, sort="name asc", rows=2, start=start) for start in (0, 2, 4)]
    assert [[package["name"] for package in page["results"]] for page in pages] == [
        ["abha-parks", "development-plan"],
        ["road-accidents"],
        [],
    ]
    assert {page["count"] for page in pages} == {3}
    counted_only = await search(client, rows=0)
    assert (counted_only["count"], counted_only["results"]) == (3, [])


async def test_rows_above_the_maximum_are_capped_as_in_ckan(
    client: httpx.AsyncClient, catalogue: dict[str, Dataset]
) -> None:
    assert len((await search(client, rows=5000))["results"]) == 3


@pytest.mark.parametrize(
    ("sort", "order"),
    [
        ("name asc", ["abha-parks", "development-plan", "road-accidents"]),
        ("name desc", ["road-accidents", "development-plan", "abha-parks"]),
        ("metadata_modified asc", ["development-plan", "road-accidents", "abha-parks"]),
        (
            "score desc, metadata_modified desc",
            ["abha-parks", "road-accidents", "development-plan"],
        ),
        # حدائق, حوادث, خطة: in Arabic alphabetical order
        ("title_string asc", ["abha-parks", "road-accidents", "development-plan"]),
    ],
)
async def test_sorting(
    client: httpx.AsyncClient, catalogue: dict[str, Dataset], sort: str, order: list[str]
) -> None:
    result = await search(client, sort=sort)
    assert [package["name"] for package in result["results"]] == order
    assert result["sort"] == sort


async def test_facets_count_the_matches_per_value(
    client: httpx.AsyncClient, catalogue: dict[str, Dataset]
) -> None:
    fields = ["organization", "tags", "res_format", "groups", "license_id"]
    result = await search(client, **{"facet.field": json.dumps(fields), "rows": 0})
    assert result["facets"] == {
        "organization": {"asir-municipality": 2, "traffic-department": 1},
        "tags": {"roads": 1, "تنمية": 1, "حدائق": 1, "بيئة": 1, "السلامة المرورية": 1},
        "res_format": {"CSV": 2, "GEOJSON": 1, "JSON": 1, "PDF": 1},
        "groups": {"development_plans": 1, "open_data": 1, "reports_statistics": 1},
        "license_id": {"CC-BY-4.0": 2, "CC0-1.0": 1},
    }
    organizations = result["search_facets"]["organization"]
    assert organizations["title"] == "organization"
    assert organizations["items"] == [  # CKAN's order: display name, descending
        {"name": "traffic-department", "display_name": "إدارة المرور بمنطقة عسير", "count": 1},
        {"name": "asir-municipality", "display_name": "أمانة منطقة عسير", "count": 2},
    ]
    groups = {item["name"]: item for item in result["search_facets"]["groups"]["items"]}
    assert groups["open_data"]["display_name"] == "البيانات المفتوحة"
    licences = {item["name"]: item for item in result["search_facets"]["license_id"]["items"]}
    assert licences["CC0-1.0"]["display_name"] == "Creative Commons Zero 1.0"


async def test_facets_follow_the_filters_and_the_limit(
    client: httpx.AsyncClient, catalogue: dict[str, Dataset]
) -> None:
    filtered = await search(
        client, fq="organization:asir-municipality", **{"facet.field": '["res_format"]'}
    )
    assert filtered["facets"] == {"res_format": {"CSV": 1, "GEOJSON": 1, "PDF": 1}}
    top = await search(client, **{"facet.field": '["res_format"]', "facet.limit": 1})
    assert top["facets"] == {"res_format": {"CSV": 2}}


async def test_facet_fields_as_ckanapi_and_get_lists_send_them(
    client: httpx.AsyncClient, catalogue: dict[str, Dataset]
) -> None:
    posted = await client.post(SEARCH, json={"facet_field": ["groups"], "rows": 0})
    assert set(posted.json()["result"]["search_facets"]) == {"groups"}
    repeated = await client.get(f"{SEARCH}?facet.field=groups&facet.field=tags&rows=0")
    assert set(repeated.json()["result"]["search_facets"]) == {"groups", "tags"}


async def test_drafts_and_archived_datasets_never_appear_in_search(
    client: httpx.AsyncClient, catalogue: dict[str, Dataset]
) -> None:
    result = await search(client, rows=1000, **{"facet.field": '["organization","res_format"]'})
    assert sorted(package["name"] for package in result["results"]) == PUBLISHED
    assert "finance-office" not in result["facets"]["organization"]
    assert {"XLSX", "ZIP"}.isdisjoint(result["facets"]["res_format"])


async def test_search_runs_as_many_queries_for_many_matches_as_for_few(
    client: httpx.AsyncClient, database: Database, catalogue: dict[str, Dataset]
) -> None:
    fields = json.dumps(["organization", "tags", "res_format", "groups", "license_id"])
    statements: list[str] = []

    def record(*args: Any) -> None:
        statements.append(str(args[2]))

    async def searched() -> int:
        statements.clear()
        await search(client, rows=1000, **{"facet.field": fields})
        return len(statements)

    engine = database.engine.sync_engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        few = await searched()
        await seed(
            database, [dataclasses.replace(spec, slug=f"{spec.slug}-2") for spec in CATALOGUE]
        )
        many = await searched()
    finally:
        event.remove(engine, "before_cursor_execute", record)
    assert (await search(client))["count"] == 6
    assert 0 < few <= 12  # count, page, resources, 5 facets, publisher names (+ savepoints)
    assert many == few  # resources in one IN query, facets one GROUP BY each: no N+1
