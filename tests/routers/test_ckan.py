"""The CKAN action API: envelopes, package dicts, lists, organisations, licences and errors."""

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from app.core import clock
from app.core.db import Database
from app.models.dataset import Dataset
from app.schemas.ckan import CkanPackage
from tests.support.ckan_catalogue import MUNICIPALITY, PUBLISHED, seed

Auth = Callable[..., dict[str, str]]
API = "/api/3/action"


@pytest.fixture
async def catalogue(database: Database, frozen_clock: clock.FrozenClock) -> dict[str, Dataset]:
    return await seed(database)


async def result(client: httpx.AsyncClient, action: str, **params: Any) -> Any:
    response = await client.get(f"{API}/{action}", params=params)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["success"] is True
    assert body["help"] == f"http://testserver{API}/help_show?name={action}"
    return body["result"]


async def test_status_show_describes_the_site_as_a_ckan_2_10(client: httpx.AsyncClient) -> None:
    status = await result(client, "status_show")
    assert status["ckan_version"].startswith("2.10.")
    assert status["site_url"] == "http://testserver"
    assert "Asir" in status["site_title"]
    assert status["extensions"] == []


async def test_package_list_names_published_datasets_only_in_order(
    client: httpx.AsyncClient, catalogue: dict[str, Dataset]
) -> None:
    assert await result(client, "package_list") == PUBLISHED
    assert await result(client, "package_list", limit=1, offset=1) == ["development-plan"]


async def test_package_show_answers_a_ckan_package_dict(
    client: httpx.AsyncClient, catalogue: dict[str, Dataset]
) -> None:
    package = await result(client, "package_show", id="road-accidents")
    CkanPackage.model_validate(package)  # exactly the documented shape
    stored = catalogue["road-accidents"]
    assert package["id"] == str(stored.id)
    assert package["name"] == "road-accidents"
    assert package["title"] == "حوادث الطرق في منطقة عسير"
    assert package["title_translated"] == {"ar": package["title"], "en": "Road accidents in Asir"}
    assert package["notes_translated"]["en"] == "About Road accidents in Asir"
    assert (package["state"], package["private"], package["type"]) == ("active", False, "dataset")
    assert package["metadata_created"] == "2026-03-01T08:00:00"
    assert package["metadata_modified"] == "2026-03-10T08:00:00"
    assert package["license_id"] == "CC-BY-4.0"
    assert package["license_url"] == "https://creativecommons.org/licenses/by/4.0/"
    assert package["license_title"] == "Creative Commons Attribution 4.0"
    assert package["url"] == "http://testserver/v1/datasets/road-accidents"


async def test_package_organization_tags_and_groups(
    client: httpx.AsyncClient, catalogue: dict[str, Dataset]
) -> None:
    package = await result(client, "package_show", id="road-accidents")
    organization = package["organization"]
    assert organization["name"] == "traffic-department"
    assert organization["title"] == "إدارة المرور بمنطقة عسير"
    assert (organization["type"], organization["is_organization"]) == ("organization", True)
    assert package["owner_org"] == organization["id"]
    assert [tag["name"] for tag in package["tags"]] == ["السلامة المرورية", "roads"]
    assert package["tags"][0]["display_name"] == "السلامة المرورية"
    assert package["num_tags"] == 2
    assert package["groups"] == [
        {
            "id": "reports_statistics",
            "name": "reports_statistics",
            "title": "التقارير والإحصاءات",
            "display_name": "التقارير والإحصاءات",
            "title_translated": {"ar": "التقارير والإحصاءات", "en": "Reports and statistics"},
            "description": "",
        }
    ]


async def test_package_resources_are_the_distributions(
    client: httpx.AsyncClient, catalogue: dict[str, Dataset]
) -> None:
    package = await result(client, "package_show", id="road-accidents")
    assert package["num_resources"] == 2
    csv, json_file = package["resources"]
    assert (csv["format"], json_file["format"]) == ("CSV", "JSON")
    assert csv["package_id"] == package["id"]
    assert csv["name"] == "ملف CSV"
    assert csv["url"] == "https://data.asir.example.sa/road-accidents.csv"
    assert csv["access_url"] == "https://data.asir.example.sa/road-accidents"
    assert (csv["mimetype"], csv["size"], csv["hash"]) == ("text/csv", 1024, "ab" * 32)
    assert csv["created"] == "2026-03-01T08:00:00"
    assert [csv["position"], json_file["position"]] == [0, 1]


async def test_package_extras_carry_the_release_schedule(
    client: httpx.AsyncClient, catalogue: dict[str, Dataset]
) -> None:
    late = await result(client, "package_show", id="development-plan")
    assert late["extras"] == [
        {"key": "last_release_on", "value": "2026-03-10"},
        {"key": "next_release_due", "value": "2026-03-01"},
        {"key": "release_overdue", "value": "true"},
        {"key": "update_frequency", "value": "monthly"},
    ]
    irregular = await result(client, "package_show", id="abha-parks")
    extras = {extra["key"]: extra["value"] for extra in irregular["extras"]}
    assert extras["release_overdue"] == "false"
    assert extras["next_release_due"] == ""


async def test_package_show_finds_a_dataset_by_id(
    client: httpx.AsyncClient, catalogue: dict[str, Dataset]
) -> None:
    package = await result(client, "package_show", id=str(catalogue["abha-parks"].id))
    assert package["name"] == "abha-parks"


@pytest.mark.parametrize("key", ["no-such-dataset", "draft-budget", "old-census"])
async def test_unknown_draft_and_archived_packages_are_not_found(
    client: httpx.AsyncClient, catalogue: dict[str, Dataset], key: str
) -> None:
    response = await client.get(f"{API}/package_show", params={"id": key})
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/json"
    assert response.json() == {
        "help": f"http://testserver{API}/help_show?name=package_show",
        "success": False,
        "error": {"__type": "Not Found Error", "message": "Not found: Dataset not found"},
    }


async def test_a_publisher_token_does_not_reveal_drafts_to_ckan_clients(
    client: httpx.AsyncClient, catalogue: dict[str, Dataset], auth: Auth
) -> None:
    publisher = auth("publisher-1", "data_publisher")
    response = await client.get(f"{API}/package_show?id=draft-budget", headers=publisher)
    assert response.status_code == 404
    listed = await client.get(f"{API}/package_list", headers=publisher)
    assert listed.json()["result"] == PUBLISHED


async def test_a_ckan_api_key_in_authorization_is_ignored(
    client: httpx.AsyncClient, catalogue: dict[str, Dataset]
) -> None:
    # ckanapi sends its API key raw in Authorization; the public API must not refuse it.
    response = await client.get(f"{API}/package_list", headers={"Authorization": "ckan-key"})
    assert response.json()["result"] == PUBLISHED


async def test_actions_answer_post_with_a_json_body(
    client: httpx.AsyncClient, catalogue: dict[str, Dataset]
) -> None:
    response = await client.post(f"{API}/package_show", json={"id": "abha-parks"})
    assert response.json()["result"]["name"] == "abha-parks"
    empty = await client.post(f"{API}/package_list")
    assert empty.json()["result"] == PUBLISHED


@pytest.mark.parametrize("prefix", ["/api/action", "/api/2/action"])
async def test_actions_answer_at_ckans_other_action_paths(
    client: httpx.AsyncClient, catalogue: dict[str, Dataset], prefix: str
) -> None:
    response = await client.get(f"{prefix}/package_list")
    assert response.json()["result"] == PUBLISHED


@pytest.mark.parametrize(
    ("params", "errors"),
    [
        ({}, {"id": ["Missing value"]}),
        ({"id": ""}, {"id": ["String should have at least 1 character"]}),
    ],
)
async def test_package_show_without_an_id_is_a_validation_error(
    client: httpx.AsyncClient, params: dict[str, str], errors: dict[str, list[str]]
) -> None:
    response = await client.get(f"{API}/package_show", params=params)
    assert response.status_code == 409
    body = response.json()
    assert body["success"] is False
    assert body["error"]["__type"] == "Validation Error"
    assert {key: body["error"][key] for key in errors} == errors
    assert body["error"]["message"]


@pytest.mark.parametrize(
    ("params", "field", "message"),
    [
        ({"limit": "-1"}, "limit", "Must be a natural number"),
        ({"offset": "two"}, "offset", "Invalid integer"),
    ],
)
async def test_package_list_refuses_bad_paging(
    client: httpx.AsyncClient, params: dict[str, str], field: str, message: str
) -> None:
    response = await client.get(f"{API}/package_list", params=params)
    assert response.status_code == 409
    assert response.json()["error"][field] == [message]


async def test_a_body_that_is_not_a_json_object_is_a_bad_request(
    client: httpx.AsyncClient,
) -> None:
    response = await client.post(f"{API}/package_list", json=["not", "an", "object"])
    assert response.status_code == 400
    assert response.json().startswith("Bad request - ")


async def test_an_unknown_action_is_a_bad_request_as_in_ckan(client: httpx.AsyncClient) -> None:
    response = await client.get(f"{API}/package_create")
    assert response.status_code == 400
    assert response.json() == "Bad request - Action name not known: package_create"


async def test_organization_list_names_publishers_of_published_datasets(
    client: httpx.AsyncClient, catalogue: dict[str, Dataset]
) -> None:
    names = await result(client, "organization_list", sort="name asc")
    assert names == ["asir-municipality", "traffic-department"]  # no finance-office (drafts)


async def test_organization_list_with_all_fields_counts_packages(
    client: httpx.AsyncClient, catalogue: dict[str, Dataset]
) -> None:
    organizations = await result(
        client, "organization_list", all_fields="true", sort="package_count desc"
    )
    assert [(item["name"], item["package_count"]) for item in organizations] == [
        ("asir-municipality", 2),
        ("traffic-department", 1),  # the archived dataset is not counted
    ]
    municipality = organizations[0]
    assert municipality["title"] == MUNICIPALITY["ar"]
    assert municipality["title_translated"] == MUNICIPALITY
    assert (municipality["type"], municipality["is_organization"]) == ("organization", True)
    package = await result(client, "package_show", id="abha-parks")
    assert package["owner_org"] == municipality["id"]


async def test_organization_list_refuses_an_unknown_sort(client: httpx.AsyncClient) -> None:
    response = await client.get(f"{API}/organization_list", params={"sort": "size desc"})
    assert response.status_code == 409
    assert "sort" in response.json()["error"]


async def test_license_list_offers_the_catalogue_licences(client: httpx.AsyncClient) -> None:
    licences = {item["id"]: item for item in await result(client, "license_list")}
    assert licences["CC-BY-4.0"] == {
        "id": "CC-BY-4.0",
        "title": "Creative Commons Attribution 4.0",
        "url": "https://creativecommons.org/licenses/by/4.0/",
    }
    assert "KSA-OPEN-DATA" in licences


async def test_help_show_describes_an_action(client: httpx.AsyncClient) -> None:
    text = await result(client, "help_show", name="package_search")
    assert "Search published datasets" in text
    response = await client.get(f"{API}/help_show", params={"name": "package_delete"})
    assert response.status_code == 404
    assert response.json()["error"]["__type"] == "Not Found Error"
