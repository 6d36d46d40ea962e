"""Storage: SQLAlchemy tables, the engine and sessions, Alembic migrations, queries."""
