"""The ``beneficiary-api`` console script: serve, migrate, token, openapi."""

import argparse
import json
import sys
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path

import uvicorn

from app.core.config import ConfigurationError, Environment, Settings, get_settings
from app.core.logging import configure_logging, logging_config
from app.core.migrations import upgrade_to_head
from app.core.security import Role
from app.core.tokens import mint_token

DEFAULT_OPENAPI_PATH = Path("openapi/openapi.json")


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        return int(args.handler(args))
    except ConfigurationError as exc:
        print(f"beneficiary-api: {exc}", file=sys.stderr)
        return 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="beneficiary-api", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="migrate the database and serve the API")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--workers", type=int, default=1)
    serve.add_argument("--no-migrate", action="store_true", help="do not upgrade the schema first")
    serve.set_defaults(handler=_serve)

    migrate = commands.add_parser("migrate", help="upgrade the database schema to the latest")
    migrate.set_defaults(handler=_migrate)

    token = commands.add_parser("token", help="mint a development access token (HS secret)")
    token.add_argument("--sub", required=True, type=_non_blank)
    token.add_argument(
        "--role",
        action="append",
        default=[],
        choices=[role.value for role in Role],
        help="repeat for several roles",
    )
    token.add_argument("--ttl-minutes", type=_positive_int, default=60)
    token.add_argument("--name")
    token.add_argument("--email")
    token.add_argument("--category", dest="beneficiary_category")
    token.add_argument("--locale")
    token.set_defaults(handler=_token)

    openapi = commands.add_parser("openapi", help="write the OpenAPI contract to a file")
    openapi.add_argument("--output", type=Path, default=DEFAULT_OPENAPI_PATH)
    openapi.set_defaults(handler=_openapi)
    return parser


def _positive_int(value: str) -> int:
    number = int(value)
    if number < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return number


def _non_blank(value: str) -> str:
    if not value.strip():
        raise argparse.ArgumentTypeError("must not be blank")
    return value


def _serve(args: argparse.Namespace) -> int:
    settings = get_settings()
    settings.ensure_runnable()
    configure_logging(settings.log_level)
    if settings.uses_symmetric_keys:
        settings.signing_secret()  # generate the development secret once, before workers fork
    if not args.no_migrate:
        upgrade_to_head(settings)
    uvicorn.run(
        "app.main:create_app",
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        access_log=False,
        log_config=logging_config(settings.log_level),
        proxy_headers=True,
        server_header=False,
        timeout_graceful_shutdown=settings.shutdown_grace_seconds,
    )
    return 0


def _migrate(_args: argparse.Namespace) -> int:
    settings = get_settings()
    configure_logging(settings.log_level)
    upgrade_to_head(settings)
    return 0


def _token(args: argparse.Namespace) -> int:
    settings = get_settings()
    if settings.environment is Environment.PRODUCTION:
        raise ConfigurationError("development tokens are not minted in production")
    profile = {
        claim: getattr(args, claim)
        for claim in ("name", "email", "beneficiary_category", "locale")
        if getattr(args, claim)
    }
    try:
        token = mint_token(
            settings,
            sub=args.sub,
            roles=args.role,
            ttl=timedelta(minutes=args.ttl_minutes),
            extra_claims=profile,
        )
    except ValueError as exc:
        raise ConfigurationError(str(exc)) from exc
    print(token)
    return 0


def openapi_document() -> str:
    """The contract as written to ``openapi/openapi.json`` (independent of local settings)."""
    from app.main import create_app

    app = create_app(Settings(environment=Environment.TEST))
    return json.dumps(app.openapi(), indent=2, ensure_ascii=False) + "\n"


def _openapi(args: argparse.Namespace) -> int:
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(openapi_document(), encoding="utf-8")
    print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
