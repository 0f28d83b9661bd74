"""The case database: models, sessions and migrations."""

from forensics.database.session import Database, default_database_url, open_database

__all__ = ["Database", "default_database_url", "open_database"]
