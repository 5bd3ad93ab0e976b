"""The one exception type that carries a message meant for the member (no Discord import)."""


class UserFacingError(Exception):
    """An error whose message is meant for the user, shown ephemerally as is (a notice, not a bug)."""
