"""Tokens never reach the log, and bulk data is summarised."""

import logging

from bot.logs import LONG_MESSAGE, REDACTED, RedactingFilter, redact

INTERACTION_TOKEN = "aW50ZXJhY3Rpb246MTIzNDU2Nzg5MDpzZWNyZXQtdG9rZW4tdmFsdWU"


def test_webhook_and_interaction_tokens_are_redacted():
    line = f"POST https://x/api/v10/interactions/123456789/{INTERACTION_TOKEN}/callback with {{}} has returned 204"
    assert INTERACTION_TOKEN not in redact(line) and f"/interactions/123456789/{REDACTED}/callback" in redact(line)
    hook = f"PATCH /webhooks/987654321/{INTERACTION_TOKEN}/messages/@original"
    assert redact(hook) == f"PATCH /webhooks/987654321/{REDACTED}/messages/@original"


def test_the_configured_secret_and_bot_shaped_tokens_are_redacted():
    bot_token = "MTAxMjM0NTY3ODkwMTIzNDU2Nw.GaBcDe.abcdefghijklmnopqrstuvwxyz0123456789AB"
    assert REDACTED in redact(f"Authorization: Bot {bot_token}") and bot_token not in redact(f"Bot {bot_token}")
    assert redact("token=s3cr3t-value", ("s3cr3t-value",)) == f"token={REDACTED}"


def test_the_filter_rewrites_records_and_cuts_bulk_data():
    record = logging.LogRecord(
        "x", logging.DEBUG, __file__, 1, "row %s %s", ("/webhooks/1/" + INTERACTION_TOKEN, "y" * 10_000), None
    )
    assert RedactingFilter().filter(record)
    assert INTERACTION_TOKEN not in record.getMessage()
    assert len(record.getMessage()) < LONG_MESSAGE + 100 and "characters in all" in record.getMessage()


def test_token_fields_of_gateway_events_are_redacted():
    event = "WebSocket Event: {'op': 0, 'd': {'id': '1', 'token': 'abc-DEF_123', \"token\": \"xyz\"}}"
    assert "abc-DEF_123" not in redact(event) and "xyz" not in redact(event) and "'id': '1'" in redact(event)
