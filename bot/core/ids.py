"""Identifiers that Discord accepts: term ids (slugs) and component custom ids, measured as Discord does."""

from __future__ import annotations

import hashlib
import re
from datetime import date

CUSTOM_ID_MAX = 100  # Discord's limit for a component's custom id
NONCE_MAX = 25  # Discord's limit for a message nonce sent as a string
SLUG_MAX = 90  # leaves room for the longest prefix ("tk:qz:me:") inside a custom id
SLUG = re.compile(rf"[a-z0-9](?:[a-z0-9-]{{0,{SLUG_MAX - 2}}}[a-z0-9])?")


def is_slug(text: str) -> bool:
    """Whether a term id can go into every custom id: 1-90 lowercase letters, digits and inner hyphens."""
    return SLUG.fullmatch(text) is not None


def utf16_len(text: str) -> int:
    """Return the length Discord counts: UTF-16 code units (an emoji outside the BMP counts two)."""
    return len(text.encode("utf-16-le")) // 2


def clip_utf16(text: str, budget: int) -> str:
    """Return the longest prefix of `text` whose UTF-16 length fits `budget` (never splitting a character)."""
    used = 0
    for index, char in enumerate(text):
        used += 2 if ord(char) > 0xFFFF else 1
        if used > budget:
            return text[:index]
    return text


def custom_id(prefix: str, tail: str) -> str:
    """Join a fixed prefix and free text into a custom id that fits Discord's limit, cutting the text."""
    return prefix + clip_utf16(tail, CUSTOM_ID_MAX - utf16_len(prefix))


def post_nonce(guild_id: int, channel_id: int, day: date) -> str:
    """Return the nonce of a server's daily post: the same for every attempt, process and restart.

    Sent with `enforce_nonce`, it makes Discord hand back the message it already created from a
    create request with the same nonce in the last few minutes instead of making a second one: the
    guard for a send still in flight when another process, finding no post yet, sends again.
    """
    digest = hashlib.blake2b(f"{guild_id}:{channel_id}:{day.isoformat()}".encode(), digest_size=10).hexdigest()
    return f"totd-{digest}"
