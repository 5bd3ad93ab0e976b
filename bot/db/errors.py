"""The one error every storage backend raises when it cannot be opened or used."""


class DatabaseError(RuntimeError):
    """The database cannot be opened or used; the message says what to do."""
