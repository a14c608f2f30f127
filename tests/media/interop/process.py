"""Runs a client script as a subprocess and collects the JSON events it prints, one per stdout line."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import AsyncIterator, Sequence
from typing import Any


class ClientRun:
    """A running client: `events` fills as it prints; `wait_for` waits for one of them."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process
        self.events: list[dict[str, Any]] = []
        self.stderr = bytearray()
        self._changed = asyncio.Event()
        self._readers = [asyncio.ensure_future(self._read_stdout()), asyncio.ensure_future(self._read_stderr())]

    async def _read_stdout(self) -> None:
        assert self.process.stdout is not None
        async for line in self.process.stdout:
            with contextlib.suppress(ValueError):
                self.events.append(json.loads(line))
                self._changed.set()

    async def _read_stderr(self) -> None:
        assert self.process.stderr is not None
        async for line in self.process.stderr:
            self.stderr += line
            del self.stderr[:-20_000]

    def named(self, name: str) -> list[dict[str, Any]]:
        return [event for event in self.events if event.get("event") == name]

    def describe(self) -> str:
        return f"events: {self.events[-5:]}\nstderr (end): {self.stderr[-3000:].decode(errors='replace')}"

    async def wait_for(self, name: str, within: float) -> dict[str, Any]:
        """The first `name` event; fails on an `error` event, an early exit or the timeout."""
        deadline = time.monotonic() + within
        while True:
            if found := self.named(name):
                return found[0]
            if errors := self.named("error"):
                raise AssertionError(f"the client reported an error: {errors[0]['message']}\n{self.describe()}")
            if self.process.returncode is not None and all(reader.done() for reader in self._readers):
                raise AssertionError(
                    f"the client exited ({self.process.returncode}) before {name!r}\n{self.describe()}"
                )
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"no {name!r} event within {within} s\n{self.describe()}")
            self._changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), min(remaining, 0.2))

    async def finish(self, within: float) -> int:
        """Wait for the client to exit by itself; return its exit status."""
        returncode = await asyncio.wait_for(self.process.wait(), within)
        await asyncio.gather(*self._readers)
        return returncode

    async def stop(self) -> None:
        if self.process.returncode is None:
            self.process.kill()
            await self.process.wait()
        for reader in self._readers:
            reader.cancel()
        await asyncio.gather(*self._readers, return_exceptions=True)


@contextlib.asynccontextmanager
async def run_client(command: Sequence[str]) -> AsyncIterator[ClientRun]:
    process = await asyncio.create_subprocess_exec(
        *command, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, stdin=asyncio.subprocess.DEVNULL
    )
    run = ClientRun(process)
    try:
        yield run
    finally:
        await run.stop()
