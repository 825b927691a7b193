"""Alembic migrations of the billing database."""
