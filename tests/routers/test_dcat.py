"""The DCAT-AP 3 catalogue through HTTP: SHACL-valid output, paging, and published datasets only."""

import itertools
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

import httpx
import pytest
from pyshacl import validate
from rdflib import Graph, Literal, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import DCTERMS, RDF, SH

from app.core.db import Database
from app.models.dataset import Dataset, Distribution
from app.services.dcat_terms import HYDRA, PREFIXES

DCAT = PREFIXES["dcat"]

Auth = Callable[..., dict[str, str]]
SHAPES = Path(__file__).resolve().parents[2].parent / "shared" / "dcat-ap-3.0.1"
BASE = "http://testserver/"
CHECKSUM = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
FORMATS = {"json-ld": "application/ld+json", "turtle": "text/turtle"}
SUFFIX = {"json-ld": "jsonld", "turtle": "ttl"}
FORMAT_XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


async def add_dataset(
    database: Database,
    slug: str,
    *,
    status: str = "published",
    distributions: Sequence[dict[str, Any]] = (),
    **overrides: Any,
) -> Dataset:
    """A dataset (and its distributions) stored directly, as the datasets API would leave it."""
    values: dict[str, Any] = {
        "slug": slug,
        "title": {"ar": f"بيانات {slug}", "en": f"Data {slug}"},
        "description": {"ar": "وصف مجموعة البيانات", "en": "About the dataset"},
        "category": "open_data",
        "keywords": ["عسير", "open data"],
        "publisher": "asir-emirate",
        "publisher_name": {"ar": "إمارة منطقة عسير", "en": "Asir Region Emirate"},
        "contact_name": "Open Data Office",
        "contact_email": "opendata@asir.gov.sa",
        "licence_id": "CC-BY-4.0",
        "update_frequency": "monthly",
        "status": status,
        "published_at": datetime(2026, 1, 10, 8, 0, tzinfo=UTC) if status != "draft" else None,
        "created_by": "p1",
    } | overrides
    async with database.sessions() as session:
        dataset = Dataset(**values)
        session.add(dataset)
        await session.flush()
        for item in distributions:
            session.add(Distribution(dataset_id=dataset.id, **item))
        await session.commit()
        return dataset


def csv_distribution(**overrides: Any) -> dict[str, Any]:
    return {
        "title": {"ar": "الجدول الكامل", "en": "Full table"},
        "format": "CSV",
        "media_type": "text/csv",
        "access_url": "https://data.asir.gov.sa/population",
        "download_url": "https://data.asir.gov.sa/population.csv",
        "byte_size": 48213,
        "checksum_sha256": CHECKSUM,
    } | overrides


def bare_distribution(fmt: str, media_type: str, url: str) -> dict[str, Any]:
    """Only what a distribution must have: no download URL, size or checksum."""
    return {"title": {"ar": fmt}, "format": fmt, "media_type": media_type, "access_url": url}


async def realistic_catalogue(database: Database) -> None:
    """Arabic and English datasets on several schedules, distributions with and without extras."""
    await add_dataset(
        database,
        "asir-population",
        category="reports_statistics",
        update_frequency="annual",
        keywords=["السكان", "population", "2025"],
        publisher="asir-statistics",
        publisher_name={"ar": "إدارة الإحصاء", "en": "Statistics Department"},
        distributions=[
            csv_distribution(),
            bare_distribution("XLSX", FORMAT_XLSX, "https://data.asir.gov.sa/population.xlsx"),
        ],
    )
    await add_dataset(
        database,
        "abha-development-plan",
        category="development_plans",
        update_frequency="irregular",
        licence_id="ODbL-1.0",
        distributions=[
            bare_distribution("PDF", "application/pdf", "https://asir.gov.sa/plans/خطة أبها.pdf"),
            bare_distribution("API", "application/json", "https://api.asir.gov.sa/plans"),
        ],
    )
    await add_dataset(
        database,
        "municipal-services",
        title={"ar": "الخدمات البلدية"},
        description={"ar": "دليل الخدمات البلدية وإجراءاتها"},
        category="services_procedures",
        update_frequency="semiannual",
        licence_id="KSA-OPEN-DATA",
        keywords=[],
    )
    for slug, frequency in (("road-works", "weekly"), ("water-readings", "daily")):
        await add_dataset(
            database, slug, update_frequency=frequency, distributions=[csv_distribution()]
        )
    await add_dataset(database, "local-decisions", category="regulations_decisions")
    await add_dataset(database, "draft-budget", status="draft")
    await add_dataset(
        database,
        "old-census",
        status="archived",
        archived_at=datetime(2026, 2, 1, tzinfo=UTC),
    )


PUBLISHED = {
    "asir-population",
    "abha-development-plan",
    "municipal-services",
    "road-works",
    "water-readings",
    "local-decisions",
}


async def fetch(client: httpx.AsyncClient, path: str, fmt: str = "turtle", **kw: Any) -> Graph:
    response = await client.get(path, **kw)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith(FORMATS[fmt])
    return Graph().parse(data=response.text, format=fmt)


def slugs(graph: Graph) -> set[str]:
    return {
        str(graph.value(node, DCTERMS.identifier))
        for node in graph.subjects(RDF.type, DCAT.Dataset)
    }


# -- validation against the DCAT-AP 3.0.1 shapes -------------------------------------------------


@cache
def shapes(*names: str) -> Graph:
    if not SHAPES.is_dir():
        pytest.skip(f"DCAT-AP shapes not found at {SHAPES} (shared/ must sit beside the clone)")
    graph = Graph()
    for name in names:
        graph.parse(SHAPES / name, format="turtle")
    return graph


@cache
def vocabulary_shapes() -> Graph:
    """The controlled-vocabulary shapes, minus one rule that no SPDX algorithm can satisfy.

    ``:ChecksumAlgorithmRestriction`` asks the algorithm IRI to start with
    ``https://spdx.org/rdf/terms``, but SPDX's namespace (the one DCAT-AP 3 itself names for
    ``spdx:checksumAlgorithm_sha256``) is ``http://spdx.org/rdf/terms#``. Its other check, that the
    algorithm is a ``spdx:ChecksumAlgorithm``, stays.
    """
    graph = Graph() + shapes("mdr-vocabularies.shape.ttl")
    graph.remove(
        (URIRef("http://data.europa.eu/r5r#ChecksumAlgorithmRestriction"), SH.pattern, None)
    )
    return graph


def assert_conforms(data: Graph) -> None:
    conforms, _, text = validate(
        data, shacl_graph=shapes("shapes.ttl", "range.ttl"), inference="none", allow_warnings=False
    )
    assert conforms is True, text
    conforms, results, text = validate(
        data, shacl_graph=vocabulary_shapes(), inference="none", allow_warnings=True
    )
    assert conforms is True, text
    # Warnings only: our publishers are not in the EU corporate-bodies table, nor could they be.
    report = results.value(predicate=RDF.type, object=SH.ValidationReport)
    warned = {results.value(result, SH.resultPath) for result in results.objects(report, SH.result)}
    assert warned <= {DCTERMS.publisher}, text


@pytest.mark.parametrize("fmt", ["turtle", "json-ld"])
async def test_the_catalogue_conforms_to_dcat_ap_3_with_no_violations(
    client: httpx.AsyncClient, database: Database, fmt: str
) -> None:
    await realistic_catalogue(database)
    graph = await fetch(client, f"/v1/catalog.{SUFFIX[fmt]}", fmt)
    assert slugs(graph) == PUBLISHED
    assert_conforms(graph)


async def test_a_single_dataset_conforms_and_both_formats_carry_the_same_graph(
    client: httpx.AsyncClient, database: Database
) -> None:
    await realistic_catalogue(database)
    turtle = await fetch(client, "/v1/datasets/asir-population.ttl")
    jsonld = await fetch(client, "/v1/datasets/asir-population.jsonld", "json-ld")
    assert len(turtle) > 40
    assert isomorphic(turtle, jsonld)
    assert_conforms(turtle)


async def test_the_validation_is_not_vacuous(client: httpx.AsyncClient, database: Database) -> None:
    await add_dataset(database, "road-works")
    graph = await fetch(client, "/v1/datasets/road-works.ttl")
    graph.remove((next(graph.subjects(RDF.type, DCAT.Dataset)), DCTERMS.description, None))
    with pytest.raises(AssertionError, match=r"Less than 1 values on .*dct:description"):
        assert_conforms(graph)


# -- what the graph says ---------------------------------------------------------------------------


async def test_a_dataset_maps_to_dcat_with_language_tags_and_eu_authority_iris(
    client: httpx.AsyncClient, database: Database
) -> None:
    await realistic_catalogue(database)
    stored = await add_dataset(
        database,
        "quarterly-budget",
        update_frequency="quarterly",
        distributions=[csv_distribution()],
    )
    graph = await fetch(client, "/v1/datasets/quarterly-budget.ttl")
    node = URIRef(f"{BASE}v1/datasets/{stored.id}")
    assert set(graph.objects(node, DCTERMS.title)) == {
        Literal("بيانات quarterly-budget", lang="ar"),
        Literal("Data quarterly-budget", lang="en"),
    }
    assert set(graph.objects(node, DCAT.keyword)) == {
        Literal("عسير", lang="ar"),
        Literal("open data", lang="en"),
    }
    authority = "http://publications.europa.eu/resource/authority/"
    assert graph.value(node, DCTERMS.accrualPeriodicity) == URIRef(
        authority + "frequency/QUARTERLY"
    )
    assert graph.value(node, DCAT.theme) == URIRef(authority + "data-theme/GOVE")
    assert graph.value(node, DCAT.landingPage) == URIRef(f"{BASE}v1/datasets/quarterly-budget")
    issued = graph.value(node, DCTERMS.issued)
    assert isinstance(issued, Literal)
    assert issued.toPython() == datetime(2026, 1, 10, 8, 0, tzinfo=UTC)
    contact = graph.value(node, DCAT.contactPoint)
    assert graph.value(contact, URIRef("http://www.w3.org/2006/vcard/ns#hasEmail")) == URIRef(
        "mailto:opendata@asir.gov.sa"
    )
    distribution = graph.value(node, DCAT.distribution)
    assert graph.value(distribution, DCAT.downloadURL) == URIRef(
        "https://data.asir.gov.sa/population.csv"
    )
    assert graph.value(distribution, DCTERMS.format) == URIRef(authority + "file-type/CSV")
    assert graph.value(distribution, DCAT.mediaType) == URIRef(
        "https://www.iana.org/assignments/media-types/text/csv"
    )
    assert graph.value(distribution, DCTERMS.license) == URIRef(
        "https://creativecommons.org/licenses/by/4.0/"
    )
    assert graph.value(distribution, DCAT.byteSize).toPython() == 48213


async def test_every_frequency_becomes_its_eu_frequency_iri(
    client: httpx.AsyncClient, database: Database
) -> None:
    await realistic_catalogue(database)
    graph = await fetch(client, "/v1/catalog.ttl")
    found = {
        str(graph.value(node, DCTERMS.identifier)): str(
            graph.value(node, DCTERMS.accrualPeriodicity)
        ).rsplit("/", 1)[1]
        for node in graph.subjects(RDF.type, DCAT.Dataset)
    }
    assert found == {
        "asir-population": "ANNUAL",
        "abha-development-plan": "IRREG",
        "municipal-services": "BIANNUAL",
        "road-works": "WEEKLY",
        "water-readings": "DAILY",
        "local-decisions": "MONTHLY",
    }


async def test_optional_distribution_fields_are_left_out_rather_than_invented(
    client: httpx.AsyncClient, database: Database
) -> None:
    await realistic_catalogue(database)
    graph = await fetch(client, "/v1/datasets/abha-development-plan.ttl")
    by_url = {
        str(graph.value(node, DCAT.accessURL)): node
        for node in graph.subjects(RDF.type, DCAT.Distribution)
    }
    pdf = by_url["https://asir.gov.sa/plans/%D8%AE%D8%B7%D8%A9%20%D8%A3%D8%A8%D9%87%D8%A7.pdf"]
    api = by_url["https://api.asir.gov.sa/plans"]
    for predicate in (
        DCAT.downloadURL,
        DCAT.byteSize,
        URIRef("http://spdx.org/rdf/terms#checksum"),
    ):
        assert graph.value(pdf, predicate) is None
    assert graph.value(api, DCTERMS.format) is None  # no EU file type for an API
    assert graph.value(api, DCAT.mediaType) is not None


# -- visibility, paging and errors -----------------------------------------------------------------


async def test_drafts_and_archived_datasets_are_absent_whoever_asks(
    client: httpx.AsyncClient, database: Database, auth: Auth
) -> None:
    await realistic_catalogue(database)
    callers = ({}, auth("b1", "beneficiary"), auth("p1", "data_publisher"))
    for headers, fmt in itertools.product(callers, FORMATS):
        graph = await fetch(client, f"/v1/catalog.{SUFFIX[fmt]}", fmt, headers=headers)
        assert slugs(graph) == PUBLISHED
        graph = await fetch(client, f"/v1/datasets/road-works.{SUFFIX[fmt]}", fmt, headers=headers)
        assert slugs(graph) == {"road-works"}
        for slug in ("draft-budget", "old-census"):
            response = await client.get(f"/v1/datasets/{slug}.{SUFFIX[fmt]}", headers=headers)
            assert (response.status_code, response.json()["code"]) == (404, "dataset_not_found")


async def test_an_unknown_slug_is_a_404_problem(client: httpx.AsyncClient) -> None:
    response = await client.get(
        "/v1/datasets/no-such-data.jsonld", headers={"Accept-Language": "en"}
    )
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == "dataset_not_found"


async def test_a_dataset_is_also_addressable_by_id(
    client: httpx.AsyncClient, database: Database
) -> None:
    stored = await add_dataset(database, "road-works")
    graph = await fetch(client, f"/v1/datasets/{stored.id}.ttl")
    assert slugs(graph) == {"road-works"}


def page_links(graph: Graph, url: str) -> dict[str, Any]:
    view = URIRef(url)
    assert (view, RDF.type, HYDRA.PartialCollectionView) in graph
    names = ("first", "previous", "next", "last")
    links = {name: graph.value(view, HYDRA[name]) for name in names}
    return {name: str(link) if link else None for name, link in links.items()} | {
        "total": graph.value(view, HYDRA.totalItems).toPython()
    }


async def test_three_pages_link_first_previous_next_and_last(
    client: httpx.AsyncClient, database: Database
) -> None:
    for number in range(5):
        await add_dataset(database, f"dataset-{number}")
    url = f"{BASE}v1/catalog.ttl?page_size=2&page="
    seen: list[set[str]] = []
    for page, previous, following in ((1, None, 2), (2, 1, 3), (3, 2, None)):
        graph = await fetch(client, f"{url}{page}")
        assert page_links(graph, f"{url}{page}") == {
            "first": f"{url}1",
            "previous": f"{url}{previous}" if previous else None,
            "next": f"{url}{following}" if following else None,
            "last": f"{url}3",
            "total": 5,
        }
        seen.append(slugs(graph))
    assert [len(page) for page in seen] == [2, 2, 1]
    assert set().union(*seen) == {f"dataset-{number}" for number in range(5)}
    beyond = await client.get("/v1/catalog.ttl?page_size=2&page=4")
    assert (beyond.status_code, beyond.json()["code"]) == (404, "not_found")


async def test_an_empty_catalogue_is_one_empty_page(client: httpx.AsyncClient) -> None:
    graph = await fetch(client, "/v1/catalog.jsonld", "json-ld")
    view = URIRef(f"{BASE}v1/catalog.jsonld?page=1")
    assert graph.value(view, HYDRA.last) == view
    assert graph.value(view, HYDRA.totalItems).toPython() == 0
    assert slugs(graph) == set()


@pytest.mark.parametrize("query", ["page=0", "page_size=0", "page_size=1001", "page=x"])
async def test_invalid_paging_is_a_validation_problem(
    client: httpx.AsyncClient, query: str
) -> None:
    response = await client.get(f"/v1/catalog.jsonld?{query}")
    assert (response.status_code, response.json()["code"]) == (422, "validation_failed")
