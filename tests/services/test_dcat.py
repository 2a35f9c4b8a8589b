"""DCAT-AP 3 graph building: vocabulary mappings, literals and IRIs, without HTTP."""

import json
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import DCTERMS, RDF

from app.models.dataset import Dataset, Distribution, UpdateFrequency
from app.models.information_request import InformationCategory
from app.services import dcat as dcat_service
from app.services import dcat_terms as terms
from app.services.catalogue_vocabulary import FORMATS
from app.services.dcat import CatalogPage, Links, iana_media_type, iri

DCAT = terms.PREFIXES["dcat"]
SPDX = terms.SPDX
XSD = terms.PREFIXES["xsd"]
LINKS = Links(base="https://api.asir.gov.sa/")
NOW = datetime(2026, 3, 15, 9, 0, tzinfo=UTC)


def dataset(**overrides: Any) -> Dataset:
    values: dict[str, Any] = {
        "id": uuid.UUID("0195a000-0000-7000-8000-000000000001"),
        "slug": "asir-population",
        "title": {"ar": "سكان منطقة عسير", "en": "Population of Asir"},
        "description": {"ar": "تقديرات السكان السنوية", "en": ""},
        "category": "reports_statistics",
        "keywords": ["السكان", "population", "2025", "GIS نظم"],
        "publisher": "asir-statistics",
        "publisher_name": {"ar": "إدارة الإحصاء", "en": "Statistics Department"},
        "contact_name": "Statistics Office",
        "contact_email": "stats@asir.gov.sa",
        "licence_id": "CC-BY-4.0",
        "update_frequency": "annual",
        "status": "published",
        "published_at": NOW,
        "updated_at": NOW,
    } | overrides
    return Dataset(**values)


def distribution(**overrides: Any) -> Distribution:
    values: dict[str, Any] = {
        "id": uuid.UUID("0195a000-0000-7000-8000-0000000000d1"),
        "dataset_id": uuid.UUID("0195a000-0000-7000-8000-000000000001"),
        "title": {"ar": "الجدول", "en": "Table"},
        "format": "csv",
        "media_type": "text/csv; charset=utf-8",
        "access_url": "https://data.asir.gov.sa/population",
        "download_url": None,
        "byte_size": None,
        "checksum_sha256": None,
        "updated_at": NOW,
    } | overrides
    return Distribution(**values)


def graph_of(row: Dataset, *items: Distribution) -> tuple[Graph, URIRef]:
    graph = dcat_service.new_graph()
    return graph, dcat_service.add_dataset(graph, row, items, LINKS)


def test_every_update_frequency_has_its_eu_frequency_code() -> None:
    codes = {frequency: terms.FREQUENCY_CODES[frequency][0] for frequency in UpdateFrequency}
    assert codes == {
        "daily": "DAILY",
        "weekly": "WEEKLY",
        "monthly": "MONTHLY",
        "quarterly": "QUARTERLY",
        "semiannual": "BIANNUAL",
        "annual": "ANNUAL",
        "irregular": "IRREG",
    }


def test_every_information_category_has_a_labelled_eu_data_theme() -> None:
    for category in InformationCategory:
        assert terms.CATEGORY_THEMES[category] in terms.THEME_LABELS


def test_every_catalogue_format_but_api_has_an_eu_file_type() -> None:
    assert set(FORMATS) - set(terms.FILE_TYPE_CODES) == {"API"}


@pytest.mark.parametrize(
    ("media_type", "expected"),
    [
        ("text/csv", "text/csv"),
        ("Text/CSV; charset=utf-8", "text/csv"),
        ("application/vnd.apache.parquet", "application/vnd.apache.parquet"),
        ("application/geo+json", "application/geo+json"),
        ("application/x-shapefile", None),  # unregistered: IANA has no page for it
        ("csv", None),
        ("text/csv/extra", None),
    ],
)
def test_media_types_become_iana_iris_only_when_registered(
    media_type: str, expected: str | None
) -> None:
    result = iana_media_type(media_type)
    assert result == (URIRef(terms.IANA_MEDIA_TYPES + expected) if expected else None)


def test_urls_with_spaces_or_arabic_become_valid_iris_once() -> None:
    encoded = iri(" https://asir.gov.sa/خطط/plan 2026.pdf?lang=ar#p1 ")
    assert encoded == URIRef("https://asir.gov.sa/%D8%AE%D8%B7%D8%B7/plan%202026.pdf?lang=ar#p1")
    assert iri(str(encoded)) == encoded


def test_keywords_are_tagged_by_script_and_texts_skip_empty_languages() -> None:
    graph, node = graph_of(dataset())
    assert set(graph.objects(node, DCAT.keyword)) == {
        Literal("السكان", lang="ar"),
        Literal("population", lang="en"),
        Literal("2025"),
        Literal("GIS نظم"),
    }
    assert set(graph.objects(node, DCTERMS.description)) == {
        Literal("تقديرات السكان السنوية", lang="ar")
    }


def test_a_full_distribution_carries_size_checksum_format_media_type_and_licence() -> None:
    full = distribution(
        download_url="https://data.asir.gov.sa/population.csv",
        byte_size=0,
        checksum_sha256="9F86D081884C7D659A2FEAA0C55AD015A3BF4F1B2B0B822CD15D6C15B0F00A08",
    )
    graph, node = graph_of(dataset(), full)
    item = graph.value(node, DCAT.distribution)
    assert item == URIRef(
        "https://api.asir.gov.sa/v1/datasets/0195a000-0000-7000-8000-000000000001"
        "/distributions/0195a000-0000-7000-8000-0000000000d1"
    )
    assert graph.value(item, DCAT.byteSize) == Literal(0, datatype=XSD.nonNegativeInteger)
    checksum = graph.value(item, SPDX.checksum)
    assert graph.value(checksum, SPDX.algorithm) == SPDX.checksumAlgorithm_sha256
    value = graph.value(checksum, SPDX.checksumValue)
    assert isinstance(value, Literal)
    assert (str(value), value.datatype) == (
        "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
        XSD.hexBinary,
    )
    file_type = graph.value(item, DCTERMS.format)
    assert file_type == URIRef(terms.AUTHORITY + "file-type/CSV")
    assert (file_type, RDF.type, DCTERMS.MediaTypeOrExtent) in graph
    licence = graph.value(item, DCTERMS.license)
    assert (licence, RDF.type, DCTERMS.LicenseDocument) in graph


def test_unknown_licences_and_formats_are_left_out() -> None:
    odd = distribution(format="SAV", media_type="application/x-spss-sav")
    graph, node = graph_of(dataset(licence_id="custom-licence"), odd)
    item = graph.value(node, DCAT.distribution)
    for predicate in (DCTERMS.license, DCTERMS.format, DCAT.mediaType):
        assert graph.value(item, predicate) is None


def test_modified_is_the_latest_change_of_the_dataset_or_its_distributions() -> None:
    later = datetime(2026, 4, 1, 12, 30, tzinfo=UTC)
    graph, node = graph_of(dataset(), distribution(updated_at=later))
    modified = graph.value(node, DCTERMS.modified)
    assert isinstance(modified, Literal)
    assert (modified.toPython(), modified.datatype) == (later, XSD.dateTime)


def test_both_serialisations_carry_the_same_graph() -> None:
    graph, _ = graph_of(dataset(), distribution(checksum_sha256="ab" * 32))
    turtle = Graph().parse(data=dcat_service.serialize(graph, "turtle"), format="turtle")
    jsonld = Graph().parse(data=dcat_service.serialize(graph, "json-ld"), format="json-ld")
    assert isomorphic(graph, turtle)
    assert isomorphic(graph, jsonld)


def test_json_ld_is_compacted_with_the_dcat_context() -> None:
    graph, _ = graph_of(dataset())
    body = json.loads(dcat_service.serialize(graph, "json-ld"))
    assert set(body["@context"]) >= {"dcat", "dct", "foaf", "vcard", "spdx", "hydra", "xsd"}
    node = next(node for node in body["@graph"] if node.get("@type") == "dcat:Dataset")
    assert {"@language": "ar", "@value": "سكان منطقة عسير"} in node["dct:title"]
    assert node["dct:identifier"] == "asir-population"
    assert node["dct:issued"] == {"@type": "xsd:dateTime", "@value": "2026-03-15T09:00:00+00:00"}


def test_a_single_page_catalogue_links_no_previous_or_next_page() -> None:
    row = dataset()
    page = CatalogPage(
        datasets=[row],
        distributions={},
        page=1,
        page_size=100,
        total=1,
        issued=NOW,
        modified=NOW,
    )
    graph = dcat_service.catalog_graph(page, LINKS, lambda number: f"https://x/c?page={number}")
    view = URIRef("https://x/c?page=1")
    assert graph.value(view, terms.HYDRA.first) == graph.value(view, terms.HYDRA.last) == view
    assert graph.value(view, terms.HYDRA.next) is None
    assert graph.value(view, terms.HYDRA.previous) is None
    assert graph.value(LINKS.catalog(), DCAT.dataset) == LINKS.dataset(row)
