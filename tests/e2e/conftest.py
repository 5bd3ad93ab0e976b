"""Fixtures for end-to-end scenarios: a FakeDiscord on loopback and the real bot process against it.

A scenario asks for `bot` (started and connected) and `fake`, then talks to the bot as a user:

    async def test_something(fake, bot):
        reply = await fake.invoke_command("term", {"name": "eoq"})
        assert reply.embed["title"] == "Economic order quantity"

`launcher` starts more processes against the same fake and database (`await launcher.restart()`),
`bot_config` changes what the next process starts with (log level, extra environment). Teardown
fails the test if the bot broke one of Discord's rules (`fake.problems`) or logged an error that
the test did not declare with `expect_errors`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.e2e.glossary_fixture import write_fixture_glossary
from tests.e2e.harness import BotConfig, BotProcess, Launcher
from tests.fakediscord import FakeDiscord, OpenApiSpec, find_spec


class ErrorExpectations:
    """Log errors a scenario provokes on purpose, as regexes; any other error line fails it."""

    def __init__(self) -> None:
        self.patterns: list[str] = []
        self.problems: list[str] = []

    def __call__(self, *patterns: str) -> None:
        self.patterns.extend(patterns)

    def fake_problems(self, *patterns: str) -> None:
        """Declare breaches the fake will record on purpose (a scenario testing the fake itself)."""
        self.problems.extend(patterns)


@pytest.fixture(scope="session")
def openapi_spec() -> OpenApiSpec | None:
    """Discord's OpenAPI spec when it is beside the project; without it bodies are not schema-checked."""
    path = find_spec()
    return OpenApiSpec.load(path) if path is not None else None


@pytest.fixture
def e2e_glossary(tmp_path: Path) -> Path:
    """A small valid glossary written for the scenarios (the shipped one is still being written)."""
    return write_fixture_glossary(tmp_path / "glossary")


@pytest.fixture
def bot_config(tmp_path: Path, e2e_glossary: Path) -> BotConfig:
    """Settings for the bot processes of one test; change them before the first start."""
    workdir = tmp_path / "run"
    workdir.mkdir()
    return BotConfig(database=tmp_path / "data" / "termiknowledge.db", glossary=e2e_glossary, workdir=workdir)


@pytest.fixture
def expect_errors() -> ErrorExpectations:
    """Declare error log lines (regexes) the scenario causes on purpose."""
    return ErrorExpectations()


@pytest.fixture
async def fake(openapi_spec: OpenApiSpec | None, expect_errors: ErrorExpectations) -> AsyncIterator[FakeDiscord]:
    """A started FakeDiscord; the test fails if the bot broke Discord's rules against it."""
    server = FakeDiscord(spec=openapi_spec)
    await server.start()
    try:
        yield server
    finally:
        await server.stop()
    unexpected = [p for p in server.problems if not _matches_any(p, expect_errors.problems)]
    assert not unexpected, "The bot broke Discord's rules:\n" + "\n".join(unexpected)


@pytest.fixture
async def launcher(
    fake: FakeDiscord, bot_config: BotConfig, expect_errors: ErrorExpectations
) -> AsyncIterator[Launcher]:
    """Starts bot processes against `fake` on one database; stops them all after the test."""
    runner = Launcher(fake, bot_config)
    try:
        yield runner
    finally:
        await runner.close()
        for process in runner.processes:
            print(f"--- log of {process.name} (exit {process.returncode}) ---\n{process.tail(200)}")
    unexpected = [e for e in runner.unexpected_errors() if not _matches_any(e, expect_errors.patterns)]
    assert not unexpected, "The bot logged errors:\n" + "\n".join(unexpected)


@pytest.fixture
async def bot(launcher: Launcher) -> BotProcess:
    """The bot, started as `termiknowledge run` and connected to the fake gateway."""
    return await launcher.start()


def _matches_any(text: str, patterns: list[str]) -> bool:
    import re

    return any(re.search(pattern, text) for pattern in patterns)
