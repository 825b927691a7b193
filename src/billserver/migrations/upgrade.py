"""Bring a database to the newest schema (Alembic), safely from several processes."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, text

__all__ = ["alembic_config", "upgrade"]

_MIGRATIONS = Path(__file__).parent
_PG_LOCK_KEY = 0x62696C6C  # "bill": serialises migrations across processes


def alembic_config() -> Config:
    """The Alembic configuration of the billing database."""
    config = Config()
    config.set_main_option("script_location", str(_MIGRATIONS))
    return config


def upgrade(engine: Engine) -> None:
    """Apply every pending migration; concurrent callers wait for each other."""
    config = alembic_config()
    with engine.connect() as conn:
        if conn.dialect.name == "sqlite":
            conn = conn.execution_options(immediate=True)
            with conn.begin():  # BEGIN IMMEDIATE: the database's write lock
                config.attributes["connection"] = conn
                command.upgrade(config, "head")
        else:
            with conn.begin():
                conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_LOCK_KEY})
                config.attributes["connection"] = conn
                command.upgrade(config, "head")
