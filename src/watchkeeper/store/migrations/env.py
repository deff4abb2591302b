"""Alembic's environment for the state store, driven from `watchkeeper.store.migrate`
(no alembic.ini): the caller hands over an open connection in ``config.attributes``."""

from __future__ import annotations

from alembic import context

from watchkeeper.store.models import Base

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=True,      # SQLite alters tables by copying them
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
