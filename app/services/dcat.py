"""The published catalogue as DCAT-AP 3: one rdflib graph per catalogue page or dataset.

Only published datasets appear, whoever asks: this is the public, harvestable catalogue.
Nodes DCAT-AP expects to be of a class (licences, formats, frequencies, themes) are typed and
labelled here, so the output validates against the SEMIC range shapes without outside data.
"""

import math
import re
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from typing import Literal as Choice
from urllib.parse import quote

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import DCAT, DCTERMS, FOAF, RDF, SKOS, XSD
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.errors import NotFound
from app.models.dataset import Dataset, Distribution
from app.services import dcat_terms as terms
from app.services.catalogue_vocabulary import LICENCES
from app.services.datasets import distributions_of, get_readable, readable
from app.services.dcat_terms import HYDRA, SPDX, VCARD

DEFAULT_PAGE_SIZE = 100
MAX_PAGE_SIZE = 1000
_ARABIC = re.compile(r"[\u0600-\u06FF\u0750-\u077F\u08A0-\u08FF\uFB50-\uFDFF\uFE70-\uFEFF]")
_LATIN = re.compile(r"[A-Za-z]")
_MEDIA_TYPE = re.compile(r"^[a-z0-9][a-z0-9!#$&^_.+-]*/[a-z0-9][a-z0-9!#$&^_.+-]*$")
_IRI_SAFE = ":/?#[]@!$&'()*+,;=%~"


@dataclass(frozen=True)
class Links:
    """Absolute IRIs from the request's base URL (ending in "/"), so harvesters can follow them."""

    base: str

    def catalog(self) -> URIRef:
        return URIRef(f"{self.base}v1/catalog.jsonld")

    def homepage(self) -> URIRef:
        return URIRef(f"{self.base}v1/datasets")

    def dataset(self, dataset: Dataset) -> URIRef:
        # The id, not the slug: a harvester's identity for the dataset survives a rename.
        return URIRef(f"{self.base}v1/datasets/{dataset.id}")

    def landing_page(self, dataset: Dataset) -> URIRef:
        return URIRef(f"{self.base}v1/datasets/{quote(dataset.slug)}")

    def distribution(self, dataset: Dataset, distribution: Distribution) -> URIRef:
        return URIRef(f"{self.base}v1/datasets/{dataset.id}/distributions/{distribution.id}")


@dataclass(frozen=True)
class CatalogPage:
    datasets: list[Dataset]
    distributions: Mapping[uuid.UUID, list[Distribution]]
    page: int
    page_size: int
    total: int
    issued: datetime | None
    modified: datetime | None

    @property
    def last_page(self) -> int:
        return last_page(self.total, self.page_size)


def last_page(total: int, page_size: int) -> int:
    """Page 1 always exists, even in an empty catalogue."""
    return max(1, math.ceil(total / page_size))


async def catalog_page(session: AsyncSession, *, page: int, page_size: int) -> CatalogPage:
    """One page of published datasets, most recently modified first (as ckanext-dcat pages)."""
    published = readable(None).subquery()
    total, issued, modified = (
        await session.execute(
            select(
                func.count(published.c.id),
                func.min(published.c.published_at),
                func.max(published.c.updated_at),
            )
        )
    ).one()
    if page > last_page(total, page_size):
        raise NotFound(code="not_found")  # as ckanext-dcat refuses a page past the last
    statement = (
        readable(None)
        .order_by(Dataset.updated_at.desc(), Dataset.id.desc())
        .offset((page - 1) * page_size)
        .limit(page_size)
    )
    datasets = list((await session.scalars(statement)).all())
    distributions = await distributions_of(session, [dataset.id for dataset in datasets])
    distribution_modified = await session.scalar(
        select(func.max(Distribution.updated_at)).where(
            Distribution.dataset_id.in_(select(published.c.id))
        )
    )
    return CatalogPage(
        datasets=datasets,
        distributions=distributions,
        page=page,
        page_size=page_size,
        total=total,
        issued=issued,
        modified=_latest(modified, distribution_modified),
    )


async def dataset_graph(session: AsyncSession, *, slug_or_id: str, links: Links) -> Graph:
    """The DCAT graph of one published dataset, or 404 ``dataset_not_found``."""
    dataset = await get_readable(session, None, slug_or_id)
    distributions = await distributions_of(session, [dataset.id])
    graph = new_graph()
    add_dataset(graph, dataset, distributions[dataset.id], links)
    return graph


def catalog_graph(page: CatalogPage, links: Links, page_url: Callable[[int], str]) -> Graph:
    """The catalogue node, this page's datasets and a Hydra view linking the other pages."""
    graph = new_graph()
    catalog = links.catalog()
    graph.add((catalog, RDF.type, DCAT.Catalog))
    _add_texts(graph, catalog, DCTERMS.title, terms.CATALOGUE_TITLE)
    _add_texts(graph, catalog, DCTERMS.description, terms.CATALOGUE_DESCRIPTION)
    graph.add((catalog, DCTERMS.publisher, _agent(graph, terms.EMIRATE_NAME)))
    _add_time(graph, catalog, DCTERMS.issued, page.issued)
    _add_time(graph, catalog, DCTERMS.modified, page.modified)
    graph.add((catalog, FOAF.homepage, _typed(graph, links.homepage(), FOAF.Document)))
    graph.add((catalog, DCAT.themeTaxonomy, terms.DATA_THEMES))
    graph.add((terms.DATA_THEMES, RDF.type, SKOS.ConceptScheme))
    graph.add((terms.DATA_THEMES, DCTERMS.title, Literal("Data theme", lang="en")))
    for code, label in terms.CATALOGUE_LANGUAGES.items():
        language = _concept(graph, "language", code, label, DCTERMS.LinguisticSystem)
        graph.add((catalog, DCTERMS.language, language))
    for dataset in page.datasets:
        node = add_dataset(graph, dataset, page.distributions.get(dataset.id, []), links)
        graph.add((catalog, DCAT.dataset, node))
    _add_paging(graph, catalog, page, page_url)
    return graph


def add_dataset(
    graph: Graph, dataset: Dataset, distributions: Sequence[Distribution], links: Links
) -> URIRef:
    node = links.dataset(dataset)
    graph.add((node, RDF.type, DCAT.Dataset))
    graph.add((node, DCTERMS.identifier, Literal(dataset.slug)))
    _add_texts(graph, node, DCTERMS.title, dataset.title)
    _add_texts(graph, node, DCTERMS.description, dataset.description)
    for keyword in dataset.keywords or []:
        graph.add((node, DCAT.keyword, _keyword(keyword)))
    if (theme := terms.CATEGORY_THEMES.get(dataset.category)) is not None:
        label = terms.THEME_LABELS[theme]
        graph.add((node, DCAT.theme, _concept(graph, "data-theme", theme, label)))
    if (frequency := terms.FREQUENCY_CODES.get(dataset.update_frequency)) is not None:
        code, label = frequency
        periodicity = _concept(graph, "frequency", code, label, DCTERMS.Frequency)
        graph.add((node, DCTERMS.accrualPeriodicity, periodicity))
    publisher = _agent(graph, dataset.publisher_name)
    graph.add((publisher, DCTERMS.identifier, Literal(dataset.publisher)))
    graph.add((node, DCTERMS.publisher, publisher))
    graph.add((node, DCAT.contactPoint, _contact(graph, dataset)))
    _add_time(graph, node, DCTERMS.issued, dataset.published_at)
    modified = _latest(dataset.updated_at, *(item.updated_at for item in distributions))
    _add_time(graph, node, DCTERMS.modified, modified)
    graph.add((node, DCAT.landingPage, _typed(graph, links.landing_page(dataset), FOAF.Document)))
    for distribution in distributions:
        item = _distribution(graph, dataset, distribution, links)
        graph.add((node, DCAT.distribution, item))
    return node


def _distribution(
    graph: Graph, dataset: Dataset, distribution: Distribution, links: Links
) -> URIRef:
    node = links.distribution(dataset, distribution)
    graph.add((node, RDF.type, DCAT.Distribution))
    _add_texts(graph, node, DCTERMS.title, distribution.title)
    graph.add((node, DCAT.accessURL, iri(distribution.access_url)))
    if distribution.download_url:
        graph.add((node, DCAT.downloadURL, iri(distribution.download_url)))
    if (file_type := terms.FILE_TYPE_CODES.get(distribution.format.upper())) is not None:
        code, label = file_type
        fmt = _concept(graph, "file-type", code, label, DCTERMS.MediaTypeOrExtent)
        graph.add((node, DCTERMS.format, fmt))
    if (media_type := iana_media_type(distribution.media_type)) is not None:
        graph.add((node, DCAT.mediaType, _typed(graph, media_type, DCTERMS.MediaType)))
    if distribution.byte_size is not None:
        size = Literal(distribution.byte_size, datatype=XSD.nonNegativeInteger)
        graph.add((node, DCAT.byteSize, size))
    if distribution.checksum_sha256:
        graph.add((node, SPDX.checksum, _checksum(graph, distribution.checksum_sha256)))
    if (licence := LICENCES.get(dataset.licence_id)) is not None:
        document = _typed(graph, iri(licence.url), DCTERMS.LicenseDocument)
        graph.add((document, DCTERMS.title, Literal(licence.title, lang="en")))
        graph.add((node, DCTERMS.license, document))
    _add_time(graph, node, DCTERMS.modified, distribution.updated_at)
    return node


def _add_paging(
    graph: Graph, catalog: URIRef, page: CatalogPage, page_url: Callable[[int], str]
) -> None:
    """A hydra:PartialCollectionView named by this page's URL, as ckanext-dcat publishes."""
    view = URIRef(page_url(page.page))
    graph.add((catalog, HYDRA.view, view))
    graph.add((view, RDF.type, HYDRA.PartialCollectionView))
    graph.add((view, HYDRA.totalItems, Literal(page.total, datatype=XSD.integer)))
    graph.add((view, HYDRA.itemsPerPage, Literal(page.page_size, datatype=XSD.integer)))
    graph.add((view, HYDRA.first, URIRef(page_url(1))))
    graph.add((view, HYDRA.last, URIRef(page_url(page.last_page))))
    if page.page > 1:
        graph.add((view, HYDRA.previous, URIRef(page_url(page.page - 1))))
    if page.page < page.last_page:
        graph.add((view, HYDRA.next, URIRef(page_url(page.page + 1))))


RdfFormat = Choice["json-ld", "turtle"]


def serialize(graph: Graph, fmt: RdfFormat) -> bytes:
    if fmt == "json-ld":
        text = graph.serialize(format="json-ld", context=terms.JSONLD_CONTEXT, auto_compact=True)
    else:
        text = graph.serialize(format="turtle")
    return text.encode("utf-8")


def new_graph() -> Graph:
    graph = Graph(bind_namespaces="none")
    for prefix, namespace in terms.PREFIXES.items():
        graph.bind(prefix, namespace)
    return graph


def iri(url: str) -> URIRef:
    """A URL as an IRI rdflib can write: unsafe characters (spaces, Arabic) percent-encoded."""
    return URIRef(quote(url.strip(), safe=_IRI_SAFE))


def iana_media_type(media_type: str) -> URIRef | None:
    """The IANA page of a registered media type; None for unregistered (x-) or malformed ones."""
    essence = media_type.split(";", 1)[0].strip().lower()
    if not _MEDIA_TYPE.match(essence) or essence.split("/", 1)[1].startswith(("x-", "x.")):
        return None
    return URIRef(terms.IANA_MEDIA_TYPES + essence)


def _keyword(keyword: str) -> Literal:
    """Tagged @ar or @en when the script says so; mixed or script-less keywords stay plain."""
    arabic, latin = bool(_ARABIC.search(keyword)), bool(_LATIN.search(keyword))
    if arabic != latin:
        return Literal(keyword, lang="ar" if arabic else "en")
    return Literal(keyword)


def _add_texts(
    graph: Graph, node: URIRef | BNode, predicate: URIRef, texts: Mapping[str, Any]
) -> None:
    for language, value in texts.items():
        if isinstance(value, str) and value.strip():
            graph.add((node, predicate, Literal(value, lang=language)))


def _add_time(graph: Graph, node: URIRef, predicate: URIRef, moment: datetime | None) -> None:
    if moment is not None:
        graph.add((node, predicate, Literal(moment.isoformat(), datatype=XSD.dateTime)))


def _agent(graph: Graph, names: Mapping[str, Any]) -> BNode:
    agent = BNode()
    graph.add((agent, RDF.type, FOAF.Agent))
    _add_texts(graph, agent, FOAF.name, names)
    return agent


def _contact(graph: Graph, dataset: Dataset) -> BNode:
    contact = BNode()
    for kind in (VCARD.Organization, VCARD.Kind):  # Kind stated: the range, without inference
        graph.add((contact, RDF.type, kind))
    graph.add((contact, VCARD.fn, Literal(dataset.contact_name)))
    graph.add((contact, VCARD.hasEmail, iri(f"mailto:{dataset.contact_email}")))
    return contact


def _checksum(graph: Graph, sha256: str) -> BNode:
    checksum = BNode()
    graph.add((checksum, RDF.type, SPDX.Checksum))
    graph.add((checksum, SPDX.algorithm, SPDX.checksumAlgorithm_sha256))
    graph.add((SPDX.checksumAlgorithm_sha256, RDF.type, SPDX.ChecksumAlgorithm))
    graph.add((checksum, SPDX.checksumValue, Literal(sha256.lower(), datatype=XSD.hexBinary)))
    return checksum


def _concept(graph: Graph, table: str, code: str, label: str, *kinds: URIRef) -> URIRef:
    """An EU authority-table concept, with the class, label and scheme validators look for."""
    concept = URIRef(f"{terms.AUTHORITY}{table}/{code}")
    for kind in (SKOS.Concept, *kinds):
        graph.add((concept, RDF.type, kind))
    graph.add((concept, SKOS.prefLabel, Literal(label, lang="en")))
    graph.add((concept, SKOS.inScheme, URIRef(terms.AUTHORITY + table)))
    return concept


def _typed(graph: Graph, node: URIRef, kind: URIRef) -> URIRef:
    graph.add((node, RDF.type, kind))
    return node


def _latest(*moments: datetime | None) -> datetime | None:
    known: Iterable[datetime] = (moment for moment in moments if moment is not None)
    return max(known, default=None)
