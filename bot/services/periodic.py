"""One shape for the bot's background loops: do a step, sleep as long as it says or until woken."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

log = logging.getLogger(__name__)


class Periodic:
    """Run `step` again and again in one task; `step` returns how many seconds to wait before the next run.

    A failing step is logged and retried after `retry_after` seconds; `wake()` cuts a wait short.
    Started from `cog_load` (never `on_ready`, which fires again on every reconnect).
    """

    def __init__(
        self,
        name: str,
        step: Callable[[], Awaitable[float]],
        *,
        retry_after: float,
        before_first: Callable[[], Awaitable[object]] | None = None,
    ) -> None:
        self._name = name
        self._step = step
        self._retry_after = retry_after
        self._before_first = before_first
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    @property
    def running(self) -> bool:
        """Whether the loop task is alive."""
        return self._task is not None and not self._task.done()

    def start(self) -> None:
        """Start the loop (a second call while it runs does nothing)."""
        if not self.running:
            self._task = asyncio.create_task(self._run(), name=self._name)

    async def stop(self) -> None:
        """Stop the loop and wait for it to end."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    def wake(self) -> None:
        """Run the next step now instead of after the current wait."""
        self._wake.set()

    async def _run(self) -> None:
        if self._before_first is not None:
            await self._before_first()
        while True:
            self._wake.clear()
            try:
                delay = await self._step()
            except Exception:
                log.exception("%s failed; trying again in %.0f s", self._name, self._retry_after)
                delay = self._retry_after
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(max(0.0, delay)):
                    await self._wake.wait()
