"""All SQL lives in this package."""

from bot.db.database import Database, DatabaseError, SearchHit

__all__ = ["Database", "DatabaseError", "SearchHit"]
