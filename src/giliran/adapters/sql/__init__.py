"""SQL storage through SQLAlchemy Core: SQLite (embedded default) and PostgreSQL."""
