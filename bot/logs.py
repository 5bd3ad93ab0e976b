"""Logging set-up: discord.py's handler, with secrets redacted and bulk data summarised."""

from __future__ import annotations

import logging
import re

import discord

# Interaction tokens (15-minute webhook credentials) appear in webhook URLs; the bot token in headers.
_WEBHOOK_TOKEN = re.compile(r"(/(?:interactions|webhooks)/\d+/)[A-Za-z0-9_.\-]{20,}")
_TOKEN_FIELD = re.compile(r"""(['"]token['"]\s*:\s*['"])[^'"]+""")  # gateway events at DEBUG
_BOT_TOKEN = re.compile(r"\b[A-Za-z0-9_\-]{23,28}\.[A-Za-z0-9_\-]{6,7}\.[A-Za-z0-9_\-]{27,}\b")
REDACTED = "[redacted]"
LONG_MESSAGE = 2_000  # characters; longer log messages (bulk rows at DEBUG) are cut


def redact(text: str, secrets: tuple[str, ...] = ()) -> str:
    """Remove interaction and bot tokens (and any given secret) from a log message."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, REDACTED)
    text = _WEBHOOK_TOKEN.sub(rf"\g<1>{REDACTED}", text)
    text = _TOKEN_FIELD.sub(rf"\g<1>{REDACTED}", text)
    return _BOT_TOKEN.sub(REDACTED, text)


class RedactingFilter(logging.Filter):
    """Rewrite every record so that no token reaches a handler, and no record is megabytes long."""

    def __init__(self, secrets: tuple[str, ...] = ()) -> None:
        super().__init__()
        self._secrets = secrets

    def filter(self, record: logging.LogRecord) -> bool:
        message = redact(record.getMessage(), self._secrets)
        if len(message) > LONG_MESSAGE:
            message = f"{message[:LONG_MESSAGE]}… ({len(message)} characters in all)"
        record.msg, record.args = message, None
        return True


def setup_logging(level: str, secrets: tuple[str, ...] = ()) -> None:
    """Log to stderr at `level` through discord.py's formatter, redacting tokens in every record."""
    discord.utils.setup_logging(level=getattr(logging, level))
    for handler in logging.getLogger().handlers:
        handler.addFilter(RedactingFilter(secrets))
    # aiosqlite logs every statement with its parameters at DEBUG: whole glossary rows. Keep it at INFO.
    logging.getLogger("aiosqlite").setLevel(max(logging.INFO, getattr(logging, level)))
