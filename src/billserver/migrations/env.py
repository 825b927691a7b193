"""Alembic environment: runs on the connection handed over by billserver.migrate."""

from __future__ import annotations

from alembic import context

from billserver.tables import metadata

connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - always called through billserver.migrate
    raise RuntimeError("run migrations through `billserver` (billserver.migrate.upgrade)")

context.configure(
    connection=connection,
    target_metadata=metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
