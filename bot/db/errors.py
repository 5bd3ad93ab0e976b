"""The errors every storage backend raises the same way."""

from bot.core.suggestions import SuggestionError


class DatabaseError(RuntimeError):
    """The database cannot be opened or used; the message says what to do."""


class DuplicateKeyError(SuggestionError):
    """Another of the server's terms already owns one of the names or aliases."""


APPROVAL_CLASH = (
    "Another of this server's terms already uses one of these names or aliases; nothing changed. "
    "Edit the suggestion, or remove the other term first."
)


def import_clash(detail: object) -> str:
    """Explain why an import of server terms was refused whole."""
    return f"two of the server's terms would share a name or alias ({detail}); nothing was imported"
