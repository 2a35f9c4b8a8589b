"""The application factory: routers, exception handlers and middleware; nothing else."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import APIRouter, FastAPI
from fastapi_offline import FastAPIOffline
from starlette.middleware.cors import CORSMiddleware

from app import __version__
from app.core.config import Environment, Settings, get_settings
from app.core.crypto import PersonalDataCipher
from app.core.db import Database
from app.core.errors import install_error_handlers
from app.core.metrics import Metrics
from app.core.middleware import (
    CORS_EXPOSED_HEADERS,
    CORS_MAX_AGE_SECONDS,
    CORS_METHODS,
    CORS_REQUEST_HEADERS,
    BodyRulesMiddleware,
    RequestContextMiddleware,
    SecurityHeadersMiddleware,
)
from app.core.openapi import operation_id, problem_json_openapi
from app.core.public_cache import PublicCacheMiddleware
from app.core.rate_limits import RateLimitMiddleware, RateLimits
from app.core.tokens import TokenVerifier
from app.routers import (
    analytics,
    appeals,
    calendar,
    catalog,
    ckan,
    consultations,
    datasets,
    disclosure_log,
    events,
    feedback_reports,
    health,
    information_requests,
    me,
    notifications,
    polls,
    statistics,
    submissions,
    taxonomy,
    webhooks,
)
from app.services.calendar import CalendarRules, SnapshotCache
from app.services.tally_cache import TallyCache

# Public reads that every anonymous caller gets alike: replayed for public_cache_seconds.
PUBLIC_CACHE_PATHS = frozenset(
    {
        "/v1/consultations",
        "/v1/datasets",
        "/v1/disclosure-log",
        "/v1/catalog.jsonld",
        "/v1/catalog.ttl",
        "/v1/statistics/information-requests",
        "/v1/statistics/participation",
    }
)
DESCRIPTION = """
**Beneficiary API of the Asir Region Emirate.** E-participation (consultations, polls,
submissions, decisions and feedback reports) and access to information (information requests,
appeals and published datasets).

**واجهة برمجة المستفيدين لإمارة منطقة عسير.** المشاركة الإلكترونية (الاستشارات واستطلاعات الرأي
والمقترحات والقرارات وتقارير التغذية الراجعة) والحق في الوصول إلى المعلومات (طلبات المعلومات
والتظلمات ومجموعات البيانات المنشورة).

Errors are `application/problem+json` with a stable `code`; send `Accept-Language: en` for
English (Arabic is the default).
"""

TAGS = [
    {"name": "consultations", "description": "Public consultations and their lifecycle."},
    {"name": "polls", "description": "Opinion polls on consultations and their results."},
    {
        "name": "submissions",
        "description": "Suggestions, complaints and comments from every channel.",
    },
    {"name": "feedback", "description": "How the input to a consultation was used."},
    {
        "name": "information-requests",
        "description": "Requests for public information, answered within 10 working days.",
    },
    {"name": "appeals", "description": "Grievances against late or refused requests."},
    {"name": "datasets", "description": "Datasets published proactively, on a schedule."},
    {"name": "dcat", "description": "The catalogue as DCAT-AP 3 (JSON-LD and Turtle)."},
    {"name": "ckan", "description": "A read-only CKAN-compatible action API for harvesters."},
    {
        "name": "disclosure-log",
        "description": "Answered requests, published without the requester's identity.",
    },
    {
        "name": "calendar",
        "description": "Working days, holidays and explained deadlines (Asia/Riyadh).",
    },
    {"name": "me", "description": "The caller's own identity."},
    {"name": "notifications", "description": "The caller's inbox: what changed on their items."},
    {"name": "events", "description": "Every change, in order, for integrators (resumable)."},
    {"name": "webhooks", "description": "Signed event deliveries to integrators' endpoints."},
    {"name": "operations", "description": "Health and metrics for operators."},
]


def mount(app: FastAPI, router: APIRouter) -> None:
    """Add a router's routes to the app itself rather than ``include_router`` them.

    The routes already carry their full paths, dependencies, tags, responses and operation ids
    (every router is built with ``operation_id``). FastAPI's included-router dispatch resolves
    every route's effective context on each request, twice (match, then handle): over ~100
    routes that was about 1 ms a request on the benchmark machine, half the cost of the
    lightest endpoint.
    """
    app.router.routes.extend(router.routes)


def docs_served(settings: Settings) -> bool:
    """Interactive docs and /openapi.json: as configured, else everywhere but production."""
    if settings.docs_enabled is not None:
        return settings.docs_enabled
    return settings.environment is not Environment.PRODUCTION


def _new_app(settings: Settings, **options: Any) -> FastAPI:
    if docs_served(settings):
        return FastAPIOffline(**options)  # docs from bundled files, no CDN
    return FastAPI(docs_url=None, redoc_url=None, openapi_url=None, **options)


def create_app(
    settings: Settings | None = None,
    *,
    database: Database | None = None,
    rate_limits: RateLimits | None = None,
) -> FastAPI:
    settings = settings or get_settings()
    settings.ensure_runnable()
    database = database or Database(settings)
    if settings.rate_limits_enabled:
        rate_limits = rate_limits or RateLimits(settings)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        await database.dispose()  # after uvicorn has drained in-flight requests
        if rate_limits is not None:
            await rate_limits.close()

    app = _new_app(
        settings,
        title="Beneficiary API",
        version=__version__,
        description=DESCRIPTION,
        openapi_tags=TAGS,
        generate_unique_id_function=operation_id,
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.database = database
    app.state.verifier = TokenVerifier(settings)
    app.state.metrics = Metrics()
    app.state.calendar = SnapshotCache(
        CalendarRules.from_settings(settings), read_ttl=settings.calendar_read_cache_seconds
    )
    app.state.analytics_counts = TallyCache(settings.analytics_cache_seconds)
    app.state.cipher = PersonalDataCipher(settings.personal_data_keys())
    app.state.rate_limits = rate_limits
    install_error_handlers(app)
    app.openapi = problem_json_openapi(app)  # type: ignore[method-assign]
    for module in (
        calendar,
        consultations,
        polls,
        feedback_reports,
        submissions,
        information_requests,
        appeals,
        disclosure_log,
        catalog,  # before datasets: /v1/datasets/{slug}.jsonld must win over /v1/datasets/{slug}
        datasets,
        ckan,
        analytics,
        statistics,
        taxonomy,
        health,
        me,
        notifications,
        events,
        webhooks,
    ):
        mount(app, module.router)
    _add_middleware(app, settings, rate_limits)
    return app


def _add_middleware(app: FastAPI, settings: Settings, rate_limits: RateLimits | None) -> None:
    """Innermost first: each one added wraps those added before it."""
    if settings.public_cache_seconds > 0:  # inside the rate limits: a replay still counts
        app.add_middleware(
            PublicCacheMiddleware, paths=PUBLIC_CACHE_PATHS, seconds=settings.public_cache_seconds
        )
    if rate_limits is not None:
        app.add_middleware(
            RateLimitMiddleware, rate_limits=rate_limits, verifier=app.state.verifier
        )
    app.add_middleware(BodyRulesMiddleware, max_body_bytes=settings.max_request_bytes)
    if settings.cors_allow_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_allow_origins,
            allow_credentials=False,
            allow_methods=CORS_METHODS,
            allow_headers=CORS_REQUEST_HEADERS,
            expose_headers=CORS_EXPOSED_HEADERS,
            max_age=CORS_MAX_AGE_SECONDS,
        )
    app.add_middleware(
        SecurityHeadersMiddleware, hsts_max_age_seconds=settings.hsts_max_age_seconds
    )
    app.add_middleware(RequestContextMiddleware, metrics=app.state.metrics)
