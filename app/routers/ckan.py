"""A read-only CKAN-compatible action API, so open-data clients and harvesters work unchanged.

Every action answers GET (query string) and POST (JSON body, what ckanapi sends) under
``/api/3/action/``, and, as CKAN does, under ``/api/action/`` (ckanapi's path) and
``/api/1|2/action/``; only the first is in the contract. Answers are CKAN's envelope
``{help, success, result}``; failures are CKAN's error envelope, not problem+json, because CKAN
clients read ``success`` and ``error.__type``.
"""

import inspect
from collections.abc import Awaitable, Callable, Coroutine, Mapping
from typing import Annotated, Any, TypeVar
from urllib.parse import quote

import orjson
from fastapi import APIRouter, Depends, Request, Response
from fastapi.routing import APIRoute
from pydantic import ValidationError

from app.core import clock, i18n
from app.core.errors import NotFound
from app.core.openapi import operation_id
from app.dependencies import PublicAccess, SessionDep
from app.schemas.ckan import (
    ActionParams,
    CkanErrorResponse,
    CkanHelpResponse,
    CkanLicencesResponse,
    CkanNamesResponse,
    CkanOrganizationsResponse,
    CkanPackageResponse,
    CkanSearchResponse,
    CkanStatusResponse,
    HelpShowParams,
    NoParams,
    OrganizationListParams,
    PackageListParams,
    PackageSearchParams,
    PackageShowParams,
)
from app.services import ckan as ckan_service
from app.services.ckan import Site
from app.services.ckan_query import InvalidParameters

API_PREFIX = "/api/3/action"
ALIAS_PREFIXES = ("/api/action", "/api/2/action", "/api/1/action")
ERRORS: dict[int | str, dict[str, Any]] = {
    "4XX": {
        # CKAN answers a body that is not a JSON object, or an unknown action, with a bare string.
        "model": CkanErrorResponse | str,
        "description": "CKAN error envelope: `Not Found Error` (404), `Validation Error` (409); "
        "400 with a JSON string for a body that is not a JSON object or an unknown action.",
    }
}
P = TypeVar("P", bound=ActionParams)
Endpoint = TypeVar("Endpoint", bound=Callable[..., Awaitable[Any]])
_HELP: dict[str, str] = {}


class BadActionRequest(Exception):
    """A request CKAN answers with 400 and a bare JSON string (bad JSON, unknown action)."""


class CkanRoute(APIRoute):
    """Answers failures with CKAN's error envelope, which ckanapi turns back into exceptions."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def answer(request: Request) -> Response:
            try:
                return await handler(request)
            except InvalidParameters as exc:
                error = {"__type": "Validation Error", "message": str(exc), **exc.errors}
                return _json(409, {"help": help_url(request), "success": False, "error": error})
            except NotFound as exc:
                message = "Not found"
                if exc.code != NotFound.code:
                    message += f": {i18n.message(exc.code).title('en')}"
                error = {"__type": "Not Found Error", "message": message}
                return _json(404, {"help": help_url(request), "success": False, "error": error})
            except BadActionRequest as exc:
                return _json(400, f"Bad request - {exc}")

        return answer


router = APIRouter(generate_unique_id_function=operation_id, tags=["ckan"], route_class=CkanRoute)


def _json(status: int, body: object) -> Response:
    return Response(orjson.dumps(body), status_code=status, media_type="application/json")


def help_url(request: Request) -> str:
    name = request.url.path.rstrip("/").rsplit("/", 1)[-1]
    return f"{site_url(request)}{API_PREFIX}/help_show?name={quote(name)}"


def site_url(request: Request) -> str:
    return str(request.base_url).rstrip("/")


async def site(request: Request) -> Site:
    return Site(url=site_url(request), today=clock.local_today(request.app.state.settings.timezone))


async def action_data(request: Request) -> dict[str, Any]:
    """The action's parameters: a POST's JSON object, else the query string (as CKAN reads)."""
    body = await request.body() if request.method == "POST" else b""
    if body.strip():
        try:
            data = orjson.loads(body)
        except orjson.JSONDecodeError as exc:
            raise BadActionRequest(f"JSON Error: {exc}") from exc
        if not isinstance(data, dict):
            raise BadActionRequest("Request data JSON decoded to a non-object: it must be a dict")
        return data
    values: dict[str, list[str]] = {}
    for key, value in request.query_params.multi_items():
        values.setdefault(key, []).append(value)
    return {key: items[0] if len(items) == 1 else items for key, items in values.items()}


ActionData = Annotated[dict[str, Any], Depends(action_data)]
SiteDep = Annotated[Site, Depends(site)]


def parse(model: type[P], data: Mapping[str, Any]) -> P:
    """Validate an action's parameters; failures become a CKAN Validation Error."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        errors: dict[str, list[str]] = {}
        for error in exc.errors():
            key = str(error["loc"][0]) if error["loc"] else "__all__"
            errors.setdefault(key, []).append(_message(error))
        raise InvalidParameters(errors) from exc


def _message(error: Mapping[str, Any]) -> str:
    if error["type"] == "missing":
        return "Missing value"
    if error["type"] == "value_error" and "error" in error.get("ctx", {}):
        return str(error["ctx"]["error"])
    return str(error["msg"])


def _documented(params: type[ActionParams], method: str) -> dict[str, Any]:
    """OpenAPI for parameters read by hand: query parameters for GET, a JSON body for POST."""
    schema = params.model_json_schema(by_alias=True)
    properties: dict[str, dict[str, Any]] = schema.get("properties", {})
    if not properties:
        return {}
    if method == "POST":
        body = {"application/json": {"schema": schema}}
        return {"requestBody": {"required": False, "content": body}}
    required = set(schema.get("required", []))
    return {
        "parameters": [
            {
                "name": name,
                "in": "query",
                "required": name in required,
                "description": field.get("description", ""),
                "schema": {key: value for key, value in field.items() if key != "description"},
            }
            for name, field in properties.items()
        ]
    }


def action(
    name: str, summary: str, params: type[ActionParams] = NoParams
) -> Callable[[Endpoint], Endpoint]:
    """Serve a CKAN action by GET and POST at every CKAN action path."""

    def register(endpoint: Endpoint) -> Endpoint:
        _HELP[name] = inspect.getdoc(endpoint) or summary
        for prefix in (API_PREFIX, *ALIAS_PREFIXES):
            for method in ("GET", "POST"):
                router.add_api_route(
                    f"{prefix}/{name}",
                    endpoint,
                    methods=[method],
                    name=f"ckan_{name}" if method == "GET" else f"ckan_{name}_post",
                    summary=summary,
                    include_in_schema=prefix == API_PREFIX,
                    dependencies=[PublicAccess],
                    responses=ERRORS,
                    openapi_extra=_documented(params, method),
                )
        return endpoint

    return register


@action("status_show", "CKAN site status")
async def status_show(request: Request) -> CkanStatusResponse:
    """Return the site's title and URL and the CKAN version whose action API this follows."""
    result = ckan_service.status(site_url=site_url(request))
    return CkanStatusResponse(help=help_url(request), result=result)


@action("package_list", "CKAN names of published datasets", PackageListParams)
async def package_list(
    request: Request, session: SessionDep, data: ActionData
) -> CkanNamesResponse:
    """Return the slugs of the published datasets, sorted, with limit and offset."""
    params = parse(PackageListParams, data)
    names = await ckan_service.package_names(session, limit=params.limit, offset=params.offset)
    return CkanNamesResponse(help=help_url(request), result=list(names))


@action("package_show", "CKAN package dict of a published dataset", PackageShowParams)
async def package_show(
    request: Request, session: SessionDep, data: ActionData, where: SiteDep
) -> CkanPackageResponse:
    """Return the published dataset whose slug or id is `id` as a CKAN package dict."""
    params = parse(PackageShowParams, data)
    result = await ckan_service.package_show(session, params.id, site=where)
    return CkanPackageResponse(help=help_url(request), result=result)


@action("package_search", "CKAN search of published datasets", PackageSearchParams)
async def package_search(
    request: Request, session: SessionDep, data: ActionData, where: SiteDep
) -> CkanSearchResponse:
    """Search published datasets with q, fq, sort, rows and start; count facets on request."""
    params = parse(PackageSearchParams, data)
    result = await ckan_service.package_search(session, params=params, site=where)
    return CkanSearchResponse(help=help_url(request), result=result)


@action("organization_list", "CKAN organisations (publishers)", OrganizationListParams)
async def organization_list(
    request: Request, session: SessionDep, data: ActionData
) -> CkanOrganizationsResponse:
    """Return the publishers of published datasets: names, or dicts with all_fields=true."""
    params = parse(OrganizationListParams, data)
    result = await ckan_service.organization_list(session, params=params)
    return CkanOrganizationsResponse(help=help_url(request), result=result)


@action("license_list", "CKAN licences of the catalogue")
async def license_list(request: Request) -> CkanLicencesResponse:
    """Return the licences datasets may carry, with their titles and URLs."""
    return CkanLicencesResponse(help=help_url(request), result=ckan_service.licences())


@action("help_show", "CKAN description of an action", HelpShowParams)
async def help_show(request: Request, data: ActionData) -> CkanHelpResponse:
    """Return the description of the action named `name`."""
    params = parse(HelpShowParams, data)
    if params.name not in _HELP:
        raise NotFound(code="not_found")
    return CkanHelpResponse(help=help_url(request), result=_HELP[params.name])


async def unknown_action(name: str) -> Response:
    """Answer an action this service does not offer as CKAN does: 400 and a JSON string."""
    raise BadActionRequest(f"Action name not known: {name}")


for _prefix in (API_PREFIX, *ALIAS_PREFIXES):  # after the actions, so that they match first
    router.add_api_route(
        f"{_prefix}/{{name}}",
        unknown_action,
        methods=["GET", "POST"],
        include_in_schema=False,
        dependencies=[PublicAccess],
    )
