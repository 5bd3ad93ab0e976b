"""All SQL lives in this package."""

from bot.db.database import Database
from bot.db.errors import DatabaseError
from bot.db.repositories import SearchHit

__all__ = ["Database", "DatabaseError", "SearchHit"]
