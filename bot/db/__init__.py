"""All SQL lives in this package."""

from bot.db.database import Database, DatabaseError
from bot.db.repositories import SearchHit

__all__ = ["Database", "DatabaseError", "SearchHit"]
