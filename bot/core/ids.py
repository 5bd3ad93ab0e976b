"""Identifiers that Discord accepts: term ids (slugs) and component custom ids, measured as Discord does."""

from __future__ import annotations

import re

CUSTOM_ID_MAX = 100  # Discord's limit for a component's custom id
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
