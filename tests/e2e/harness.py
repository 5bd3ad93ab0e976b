"""Run `termiknowledge run` as a subprocess against a FakeDiscord, the way a user starts the bot."""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import signal
import sys
import time
from collections.abc import Awaitable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from tests.fakediscord import FakeDiscord

T = TypeVar("T")
# Settings the bot reads from the environment; the developer's own values must not leak in.
_BOT_SETTINGS = (
    "DISCORD_TOKEN",
    "DATABASE_PATH",
    "GLOSSARY_DIR",
    "DEV_GUILD_ID",
    "LOG_LEVEL",
    "DISCORD_API_BASE",
    "CLOCK_START",
)
START_TIMEOUT = 20.0
_RECORD = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d (?P<level>[A-Z]+) ")
_ANSI = re.compile(r"\x1b\[[0-9;]*m")  # discord.py colours its log in containers even without a tty


class BotExitedError(AssertionError):
    """The bot process ended while a test was waiting on it."""


def termiknowledge_command() -> list[str]:
    """Return the installed `termiknowledge` console script beside this interpreter."""
    script = Path(sys.executable).with_name("termiknowledge")
    if script.is_file():
        return [str(script)]
    found = shutil.which("termiknowledge")
    if found is None:
        raise RuntimeError("the `termiknowledge` command is not installed: run `pip install -e '.[test]'`")
    return [found]


@dataclass
class BotConfig:
    """What a bot process is started with: its database, glossary, working folder and extra settings."""

    database: Path
    glossary: Path
    workdir: Path
    log_level: str = "INFO"
    extra_env: dict[str, str] = field(default_factory=dict)
    # The program to run; default `termiknowledge run`. The benchmark runs its echo bot here.
    command: list[str] | None = None

    def environment(self, fake: FakeDiscord) -> dict[str, str]:
        """Build the process environment: the parent's minus bot settings, plus the fake's address."""
        env = {key: value for key, value in os.environ.items() if key not in _BOT_SETTINGS}
        env.update(
            DISCORD_TOKEN=fake.token,
            DISCORD_API_BASE=fake.api_base,
            DATABASE_PATH=str(self.database),
            GLOSSARY_DIR=str(self.glossary),
            LOG_LEVEL=self.log_level,
            PYTHONUNBUFFERED="1",
            PYTHONDONTWRITEBYTECODE="1",
        )
        env.update(self.extra_env)
        return env


class BotProcess:
    """One running `termiknowledge run`, with its log lines collected as they come."""

    def __init__(self, process: asyncio.subprocess.Process, name: str) -> None:
        self.process = process
        self.name = name
        self.lines: list[str] = []
        self.startup_seconds: float | None = None  # from launch to ready on the gateway
        self._changed = asyncio.Event()
        self._readers = [
            asyncio.create_task(self._read(process.stdout)),
            asyncio.create_task(self._read(process.stderr)),
        ]
        self._exit = asyncio.create_task(process.wait())

    @classmethod
    async def start(cls, fake: FakeDiscord, config: BotConfig, *, name: str = "bot") -> BotProcess:
        """Start the bot process (it connects on its own)."""
        process = await asyncio.create_subprocess_exec(
            *(config.command or [*termiknowledge_command(), "run"]),
            cwd=config.workdir,  # a folder without a .env, so only the environment below counts
            env=config.environment(fake),
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        return cls(process, name)

    async def _read(self, stream: asyncio.StreamReader | None) -> None:
        if stream is None:
            return
        while line := await stream.readline():
            self.lines.append(_ANSI.sub("", line.decode(errors="replace").rstrip()))
            self._changed.set()
            self._changed = asyncio.Event()

    @property
    def returncode(self) -> int | None:
        """Return the exit status, or None while running."""
        return self.process.returncode

    @property
    def log(self) -> str:
        """Return everything the process printed so far."""
        return "\n".join(self.lines)

    def errors(self) -> list[str]:
        """Return ERROR/CRITICAL log records, and tracebacks that no log record explains."""
        found = []
        level = ""
        for line in self.lines:
            record = _RECORD.match(line)
            if record:
                level = record["level"]
                if level in ("ERROR", "CRITICAL"):
                    found.append(line)
            elif line.startswith("Traceback") and level not in ("ERROR", "CRITICAL"):
                found.append(line)  # printed outside logging: a crash
        return found

    async def until(self, awaitable: Awaitable[T], timeout: float = 10.0) -> T:
        """Await something the bot should cause, failing fast (with its log) if the process dies."""
        task = asyncio.ensure_future(awaitable)
        try:
            done, _ = await asyncio.wait({task, self._exit}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
            if task in done:
                return task.result()
            if self._exit in done:
                await self._drain()
                raise BotExitedError(f"{self.name} exited with {self.returncode} while waiting.\n{self.tail()}")
            raise TimeoutError(f"{self.name}: nothing after {timeout} s.\n{self.tail()}")
        finally:
            if not task.done():
                task.cancel()
                await asyncio.gather(task, return_exceptions=True)

    async def wait_for_log(self, pattern: str, timeout: float = 10.0, *, after: int = 0) -> str:
        """Wait for a log line matching a regex (searching from line `after`) and return it."""
        regex = re.compile(pattern)

        async def found() -> str:
            while True:
                for line in self.lines[after:]:
                    if regex.search(line):
                        return line
                await self._changed.wait()

        return await self.until(found(), timeout)

    async def terminate(self, timeout: float = 10.0) -> int:
        """Send SIGTERM and wait for the exit status."""
        if self.returncode is None:
            self.process.send_signal(signal.SIGTERM)
        return await self.wait(timeout)

    async def wait(self, timeout: float = 10.0) -> int:
        """Wait for the process to end and its output to be read."""
        try:
            await asyncio.wait_for(asyncio.shield(self._exit), timeout)
        except TimeoutError:
            raise TimeoutError(f"{self.name} did not exit within {timeout} s.\n{self.tail()}") from None
        await self._drain()
        assert self.returncode is not None
        return self.returncode

    async def kill(self) -> None:
        """Stop the process at once (cleanup after a failed test)."""
        if self.returncode is None:
            self.process.kill()
        await asyncio.shield(self._exit)
        await self._drain()

    async def _drain(self) -> None:
        await asyncio.gather(*self._readers, return_exceptions=True)

    def tail(self, lines: int = 60) -> str:
        """Return the last log lines, for failure messages."""
        return "\n".join(f"  | {line}" for line in self.lines[-lines:]) or "  | (no output)"


class Launcher:
    """Starts bot processes against one FakeDiscord and one database, and cleans them up."""

    def __init__(self, fake: FakeDiscord, config: BotConfig) -> None:
        self.fake = fake
        self.config = config
        self.processes: list[BotProcess] = []

    @property
    def current(self) -> BotProcess | None:
        """Return the most recently started process."""
        return self.processes[-1] if self.processes else None

    async def start(self, *, wait_ready: bool = True, timeout: float = START_TIMEOUT) -> BotProcess:
        """Start a bot process; by default wait until it identified and is ready on the gateway."""
        identifies = self.fake.gateway.identifies
        started = time.perf_counter()
        bot = await BotProcess.start(self.fake, self.config, name=f"bot #{len(self.processes) + 1}")
        self.processes.append(bot)
        if wait_ready:
            await bot.until(self.fake.wait_until_ready(timeout, identifies=identifies + 1), timeout)
        bot.startup_seconds = time.perf_counter() - started
        return bot

    async def restart(self, timeout: float = START_TIMEOUT) -> BotProcess:
        """Stop the current bot with SIGTERM (it must exit 0) and start a new one on the same database."""
        current = self.current
        if current is not None and current.returncode is None:
            code = await current.terminate()
            assert code == 0, f"{current.name} exited with {code} on SIGTERM.\n{current.tail()}"
        return await self.start(timeout=timeout)

    async def close(self) -> None:
        """Stop every process still running: SIGTERM first, then SIGKILL."""
        for bot in self.processes:
            if bot.returncode is None:
                try:
                    await bot.terminate(timeout=5.0)
                except TimeoutError:
                    await bot.kill()
            else:
                await bot._drain()

    def unexpected_errors(self) -> list[str]:
        """Return ERROR lines and tracebacks that any process logged."""
        return [f"{bot.name}: {line}" for bot in self.processes for line in bot.errors()]
