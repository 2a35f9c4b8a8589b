"""Alembic from code: find the scripts, upgrade to head, tell whether the schema is current."""

from functools import lru_cache
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection

import app
from app.core.config import Settings


def scripts_location() -> Path:
    """``migrations/`` beside the package in a source tree, ``app/_migrations`` in a wheel."""
    package = Path(app.__file__).parent
    for candidate in (package.parent / "migrations", package / "_migrations"):
        if (candidate / "env.py").exists():
            return candidate
    raise FileNotFoundError("Alembic migrations not found next to the app package")


def alembic_config(settings: Settings) -> Config:
    config = Config()
    config.set_main_option("script_location", str(scripts_location()))
    config.attributes["database_url"] = settings.resolved_database_url
    return config


def upgrade_to_head(settings: Settings) -> None:
    command.upgrade(alembic_config(settings), "head")


@lru_cache
def head_revisions() -> frozenset[str]:
    script = ScriptDirectory(str(scripts_location()))
    return frozenset(script.get_heads())


async def current_revisions(connection: AsyncConnection) -> frozenset[str]:
    try:
        result = await connection.execute(text("SELECT version_num FROM alembic_version"))
    except DBAPIError:
        return frozenset()
    return frozenset(str(row[0]) for row in result)
