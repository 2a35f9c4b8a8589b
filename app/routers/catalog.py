"""The published catalogue as DCAT-AP 3 (JSON-LD and Turtle), for open-data harvesters."""

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request, Response
from rdflib import Graph

from app.core.openapi import operation_id
from app.dependencies import PublicAccess, SessionDep
from app.schemas.common import SingleLineParameter
from app.schemas.problems import problem_responses
from app.services import dcat as dcat_service
from app.services.dcat import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, Links, RdfFormat

router = APIRouter(
    generate_unique_id_function=operation_id, tags=["dcat"], responses=problem_responses(422)
)
MEDIA_TYPES: dict[RdfFormat, str] = {"json-ld": "application/ld+json", "turtle": "text/turtle"}
FORMAT_NAMES: dict[RdfFormat, str] = {"json-ld": "JSON-LD", "turtle": "Turtle"}
PageNumber = Annotated[int, Query(ge=1, le=1_000_000, description="1-based page number.")]
PageSize = Annotated[
    int, Query(ge=1, le=MAX_PAGE_SIZE, description="Datasets per page (default 100).")
]
SlugPath = Annotated[
    str, Path(max_length=100, description="The dataset's slug (or id)."), SingleLineParameter
]


def rdf_responses(fmt: RdfFormat, *statuses: int) -> dict[int | str, dict[str, Any]]:
    ok = {"content": {MEDIA_TYPES[fmt]: {}}, "description": f"DCAT-AP 3 {FORMAT_NAMES[fmt]}"}
    return {200: ok} | problem_responses(*statuses)


@router.get(
    "/v1/catalog.jsonld",
    summary="The catalogue as DCAT-AP 3 JSON-LD",
    dependencies=[PublicAccess],
    response_class=Response,
    responses=rdf_responses("json-ld", 404),
)
async def get_catalog_jsonld(
    request: Request,
    session: SessionDep,
    page: PageNumber = 1,
    page_size: PageSize = DEFAULT_PAGE_SIZE,
) -> Response:
    """Return one page of published datasets as a dcat:Catalog with Hydra paging links."""
    return await catalog_response(request, session, page, page_size, "json-ld")


@router.get(
    "/v1/catalog.ttl",
    summary="The catalogue as DCAT-AP 3 Turtle",
    dependencies=[PublicAccess],
    response_class=Response,
    responses=rdf_responses("turtle", 404),
)
async def get_catalog_turtle(
    request: Request,
    session: SessionDep,
    page: PageNumber = 1,
    page_size: PageSize = DEFAULT_PAGE_SIZE,
) -> Response:
    """Return one page of published datasets as a dcat:Catalog with Hydra paging links."""
    return await catalog_response(request, session, page, page_size, "turtle")


@router.get(
    "/v1/datasets/{slug}.jsonld",
    summary="A published dataset as DCAT-AP 3 JSON-LD",
    dependencies=[PublicAccess],
    response_class=Response,
    responses=rdf_responses("json-ld", 404),
)
async def get_dataset_jsonld(slug: SlugPath, request: Request, session: SessionDep) -> Response:
    """Return one published dataset with its distributions as a dcat:Dataset."""
    graph = await dcat_service.dataset_graph(session, slug_or_id=slug, links=links_for(request))
    return rdf_response(graph, "json-ld")


@router.get(
    "/v1/datasets/{slug}.ttl",
    summary="A published dataset as DCAT-AP 3 Turtle",
    dependencies=[PublicAccess],
    response_class=Response,
    responses=rdf_responses("turtle", 404),
)
async def get_dataset_turtle(slug: SlugPath, request: Request, session: SessionDep) -> Response:
    """Return one published dataset with its distributions as a dcat:Dataset."""
    graph = await dcat_service.dataset_graph(session, slug_or_id=slug, links=links_for(request))
    return rdf_response(graph, "turtle")


async def catalog_response(
    request: Request, session: SessionDep, page: int, page_size: int, fmt: RdfFormat
) -> Response:
    """A page past the last is 404, as ckanext-dcat refuses it; page 1 always exists."""
    result = await dcat_service.catalog_page(session, page=page, page_size=page_size)

    def page_url(number: int) -> str:
        return str(request.url.include_query_params(page=number))

    graph = dcat_service.catalog_graph(result, links_for(request), page_url)
    return rdf_response(graph, fmt)


def links_for(request: Request) -> Links:
    return Links(base=str(request.base_url))


def rdf_response(graph: Graph, fmt: RdfFormat) -> Response:
    return Response(dcat_service.serialize(graph, fmt), media_type=MEDIA_TYPES[fmt])
