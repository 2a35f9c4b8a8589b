"""The ``beneficiary-api`` console script: serve, worker, migrate, token, holidays, deadlines,
classify, keys, retention, openapi."""

import argparse
import asyncio
import json
import logging
import signal
import sys
import threading
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import asdict
from datetime import timedelta
from pathlib import Path
from typing import TypeAlias, TypeVar

import httpx
import uvicorn
from cryptography.fernet import Fernet
from sqlalchemy.ext.asyncio import AsyncSession
from tqdm import tqdm

from app.core.clock import local_today
from app.core.config import ConfigurationError, Environment, Settings, get_settings
from app.core.crypto import PersonalDataCipher
from app.core.db import Database
from app.core.logging import configure_logging, logging_config
from app.core.migrations import upgrade_to_head
from app.core.security import Role
from app.core.tokens import mint_token
from app.services import appeals as _appeals  # noqa: F401 (registers its deadline step)
from app.services import calendar as calendar_service
from app.services import classification, key_rotation, retention
from app.services import deadlines as deadline_service
from app.services import information_requests as _information_requests  # noqa: F401 (registers its deadline step)
from app.services import submissions as _submissions  # noqa: F401 (registers its deadline step)
from app.services.calendar import CalendarRules, SeedReport
from app.services.classification import RerunReport
from app.worker import Worker, worker_name

DEFAULT_OPENAPI_PATH = Path("openapi/openapi.json")
Subcommands: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"
logger = logging.getLogger("beneficiary.cli")


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

    _add_worker_command(commands)

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

    holidays = commands.add_parser("holidays", help="manage the holiday calendar")
    holiday_commands = holidays.add_subparsers(dest="holidays_command", required=True)
    seed = holiday_commands.add_parser("seed", help="load the Saudi baseline holidays (idempotent)")
    seed.add_argument("--years", type=_year_range, help="e.g. 2024-2028 (default: settings)")
    seed.set_defaults(handler=_seed_holidays)

    deadlines = commands.add_parser("deadlines", help="live deadlines")
    deadline_commands = deadlines.add_subparsers(dest="deadlines_command", required=True)
    recompute = deadline_commands.add_parser(
        "recompute", help="recompute live deadlines against the calendar (never earlier)"
    )
    recompute.set_defaults(handler=_recompute_deadlines)

    classify = commands.add_parser(
        "classify", help="re-classify stored input after a taxonomy change (one transaction)"
    )
    classify.add_argument(
        "--all",
        action="store_true",
        required=True,
        help="every submission and free-text poll answer",
    )
    classify.set_defaults(handler=_classify_all)

    _add_keys_commands(commands)
    _add_retention_commands(commands)

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
        report = asyncio.run(_in_transaction(settings, _seed(None)))
        logger.info("baseline holidays seeded", extra=asdict(report))
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


def _add_worker_command(commands: Subcommands) -> None:
    worker = commands.add_parser(
        "worker", help="emit reminders and deliver webhooks until SIGTERM or SIGINT"
    )
    worker.add_argument("--once", action="store_true", help="run one tick and exit (e.g. cron)")
    worker.set_defaults(handler=_worker)


def _worker(args: argparse.Namespace) -> int:
    """Exit 0 after a clean stop; 1 when ``--once`` and a step of the tick failed."""
    settings = get_settings()
    settings.ensure_runnable()
    configure_logging(settings.log_level)
    if settings.is_sqlite:
        logger.warning("SQLite database: run one worker only (several are for PostgreSQL)")
    return asyncio.run(_run_worker(settings, _cipher(settings), once=args.once))


async def _run_worker(settings: Settings, cipher: PersonalDataCipher, *, once: bool) -> int:
    database = Database(settings)
    # One client (and connection pool) for the process; redirects are never followed, and no
    # proxy from the environment: each request goes to the address the target check pinned.
    client = httpx.AsyncClient(
        timeout=settings.webhook_timeout_seconds, follow_redirects=False, trust_env=False
    )
    try:
        worker = Worker(database, settings, client, name=worker_name(), cipher=cipher)
        if once:
            return 1 if (await worker.run_once()).failed else 0
        stop = asyncio.Event()
        _stop_on_signals(stop)
        logger.info("worker started", extra={"worker": worker.name})
        await worker.run(stop)
        logger.info("worker stopped", extra={"worker": worker.name})
        return 0
    finally:
        await client.aclose()
        await database.dispose()


def _stop_on_signals(stop: asyncio.Event) -> None:
    """SIGTERM and SIGINT ask for a graceful stop (only the main thread receives signals)."""
    if threading.current_thread() is not threading.main_thread():
        return
    loop = asyncio.get_running_loop()
    for number in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(number, stop.set)


def _year_range(value: str) -> range:
    first, _, last = value.partition("-")
    try:
        years = range(int(first), int(last or first) + 1)
    except ValueError as exc:
        raise argparse.ArgumentTypeError("use YEAR or FIRST-LAST, e.g. 2024-2028") from exc
    if not years or not 1925 <= years[0] <= years[-1] <= 2076:
        raise argparse.ArgumentTypeError("years must run forwards within 1925-2076")
    return years


T = TypeVar("T")


async def _in_transaction(
    settings: Settings, work: Callable[[AsyncSession, Settings], Awaitable[T]]
) -> T:
    """Run one unit of work against the configured database and commit it."""
    database = Database(settings)
    try:
        async with database.sessions() as session, session.begin():
            return await work(session, settings)
    finally:
        await database.dispose()


def _seed(years: range | None) -> Callable[[AsyncSession, Settings], Awaitable[SeedReport]]:
    async def work(session: AsyncSession, settings: Settings) -> SeedReport:
        wanted = years or settings.seed_years(local_today(settings.timezone))
        rules = CalendarRules.from_settings(settings)
        return await calendar_service.seed_baseline(session, rules, list(wanted))

    return work


def _seed_holidays(args: argparse.Namespace) -> int:
    report = asyncio.run(_in_transaction(get_settings(), _seed(args.years)))
    print(
        f"baseline holidays: {report.inserted} added, {report.updated} updated, "
        f"{report.removed} removed, {report.kept} kept as edited; "
        f"calendar version {report.calendar_version}"
    )
    return 0


async def _recompute(session: AsyncSession, settings: Settings) -> dict[str, int]:
    snapshot = await calendar_service.load_snapshot(session, CalendarRules.from_settings(settings))
    moved: dict[str, int] = {}
    steps = deadline_service.registered()
    for name, step in tqdm(steps.items(), total=len(steps), desc="recomputing", unit="resource"):
        moved[name] = await step(session, snapshot, None)
    return moved


def _recompute_deadlines(_args: argparse.Namespace) -> int:
    moved = asyncio.run(_in_transaction(get_settings(), _recompute))
    total = sum(moved.values())
    details = ", ".join(f"{name}: {count}" for name, count in moved.items()) or "none registered"
    print(f"deadlines moved later: {total} ({details})")
    return 0


async def _reclassify(session: AsyncSession, _settings: Settings) -> RerunReport:
    total = await classification.count_all(session)
    report = RerunReport()
    with tqdm(total=total, desc="classifying", unit="item") as progress:
        async for report in classification.reclassify_all(session):
            progress.update(report.submissions + report.answers - progress.n)
    return report


def _classify_all(_args: argparse.Namespace) -> int:
    report = asyncio.run(_in_transaction(get_settings(), _reclassify))
    print(
        f"classified with taxonomy {classification.current().version}: "
        f"{report.submissions} submissions ({report.changed} changed), "
        f"{report.answers} free-text answers"
    )
    return 0


def _add_keys_commands(commands: Subcommands) -> None:
    keys = commands.add_parser("keys", help="encryption keys for personal data at rest")
    key_commands = keys.add_subparsers(dest="keys_command", required=True)
    generate = key_commands.add_parser("generate", help="print a new Fernet key")
    generate.set_defaults(handler=_generate_key)
    rotate = key_commands.add_parser(
        "rotate",
        help="re-encrypt personal data under the first configured key (batches; safe to re-run)",
    )
    rotate.add_argument("--batch-size", type=_positive_int, default=key_rotation.DEFAULT_BATCH_SIZE)
    rotate.set_defaults(handler=_rotate_keys)


def _add_retention_commands(commands: Subcommands) -> None:
    retention_parser = commands.add_parser("retention", help="retention of personal data")
    retention_commands = retention_parser.add_subparsers(dest="retention_command", required=True)
    purge = retention_commands.add_parser(
        "purge", help="erase the personal data of items closed longer than their period"
    )
    purge.add_argument("--dry-run", action="store_true", help="count only; change nothing")
    purge.set_defaults(handler=_purge_personal_data)


def _generate_key(_args: argparse.Namespace) -> int:
    print(Fernet.generate_key().decode("ascii"))
    return 0


def _cipher(settings: Settings) -> PersonalDataCipher:
    try:
        return PersonalDataCipher(settings.personal_data_keys())
    except ValueError as exc:  # the message is generic, but never echo anything near a key
        raise ConfigurationError("BENEFICIARY_ENCRYPTION_KEYS holds a malformed key") from exc


def _rotate_keys(args: argparse.Namespace) -> int:
    settings = get_settings()
    cipher = _cipher(settings)
    try:
        counts = asyncio.run(_rotate(settings, cipher, args.batch_size))
    except key_rotation.UnreadableToken as exc:
        print(
            f"beneficiary-api: keys rotate stopped: {exc}; the batches before it are "
            "re-encrypted. Add the key that wrote it to BENEFICIARY_ENCRYPTION_KEYS and re-run.",
            file=sys.stderr,
        )
        return 2
    details = ", ".join(f"{name}: {c.tokens} tokens in {c.rows} rows" for name, c in counts.items())
    print(f"re-encrypted under the newest key: {details}")
    return 0


async def _rotate(
    settings: Settings, cipher: PersonalDataCipher, batch_size: int
) -> dict[str, key_rotation.RotationCount]:
    database = Database(settings)
    try:
        total = await key_rotation.count_all(database.sessions)
        with tqdm(total=total, desc="re-encrypting", unit="row") as progress:
            return await key_rotation.rotate_all(
                database.sessions, cipher, batch_size=batch_size, progress=progress.update
            )
    finally:
        await database.dispose()


def _purge_personal_data(args: argparse.Namespace) -> int:
    async def work(session: AsyncSession, settings: Settings) -> list[retention.PurgeCount]:
        return await retention.purge(session, settings, dry_run=args.dry_run)

    verb = "would erase" if args.dry_run else "erased"
    for count in asyncio.run(_in_transaction(get_settings(), work)):
        print(
            f"{count.category}: {verb} the personal data of {count.items} items closed before "
            f"{count.cutoff.isoformat(timespec='seconds')} ({count.days} days)"
        )
    if args.dry_run:
        print("dry run: nothing was changed")
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
