"""The Redis store's connection layer: a lean asyncio RESP client behind redis-py's `Redis` API.

redis-py spends about 0.1 ms of CPU per command on this machine before and after the network (taking
a connection from the pool, retry and observability wrappers, packing, a stream reader per reply) —
more than Redis spends running it. `WireRedis` is a `redis.asyncio.Redis` whose `execute_command`
and pipelines go instead through `WireClient`: a few long-lived connections (asyncio protocols) on
which concurrent requests are **multiplexed**: each request writes its packed command(s) in one go
and waits for its replies, which Redis returns in order on that connection; the writes of one event
loop cycle leave in one `send` and hiredis's C reader parses every reply that arrived in one read.
There is no pool to take a connection from and give it back to (docs/stores.md, "Connections").

What it keeps from redis-py's client:
- the API (every command method, `response_callbacks`, pipelines with `transaction=True`: MULTI, the
  commands and EXEC are written together, so they stay one block on the connection);
- no retries: a command whose connection fails is never re-sent (the server may have run it); the
  caller gets `redis.exceptions.ConnectionError` (or `TimeoutError`), which the API answers with 503;
- bounded waits: a connect fails after `socket_connect_timeout`; a command without a reply after
  `socket_timeout` (checked by a watchdog every tenth of it) fails, and so do the other commands of
  its connection, which is closed (a late reply can never be read as the answer to another command);
- idle connections are PINGed after `health_check_interval`, and TCP keepalive is set;
- Sentinel: each (re)connect asks the sentinels for the primary and checks with `ROLE` that it
  reached one (a lagging sentinel may name the old primary, now a replica); a `READONLY` reply (a
  demoted primary) closes the connection and raises `ConnectionError`, as redis-py's Sentinel pool does;
- commands that make a connection wait (`WAIT`, blocking pops) never share one: they run on a
  connection of their own, so `WAIT` counts only the writes sent before it on that connection and
  stalls nobody else.
Anything this path does not handle (WATCH, pub/sub, raw-bytes replies; a `rediss://` URL entirely)
goes through redis-py's pool, which stays configured as before.
"""

from __future__ import annotations

import asyncio
import socket
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from typing import Any

import hiredis
from redis._parsers.base import BaseParser
from redis.asyncio import Redis
from redis.asyncio.client import Pipeline
from redis.asyncio.connection import ConnectionPool
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import ExecAbortError, InvalidResponse, ReadOnlyError, ResponseError, WatchError
from redis.exceptions import TimeoutError as RedisTimeoutError

from livecart.redis_options import KEEPALIVE_COUNT, KEEPALIVE_IDLE_S, KEEPALIVE_INTERVAL_S

SHARED_CONNECTIONS = 2  # multiplexed connections per process (bench/redis_client.py measured 1, 2 and 4)
BLOCKING = frozenset({"WAIT", "WAITAOF", "BLPOP", "BRPOP", "BLMOVE", "BRPOPLPUSH", "BZPOPMIN", "BZPOPMAX", "XREAD"})
NEVER_DECODE = "NEVER_DECODE"
EMPTY_RESPONSE = "EMPTY_RESPONSE"
_IGNORED = None  # a reply nobody waits for (the watchdog's PING)

Locate = Callable[[], Awaitable[tuple[str, int]]]


class Endpoint:
    """Where and how to connect: a TCP host and port (or `locate`, asked at each connect: Sentinel) or
    a unix socket path, the AUTH credentials and the database."""

    def __init__(
        self,
        *,
        host: str = "localhost",
        port: int = 6379,
        path: str | None = None,
        locate: Locate | None = None,
        username: str | None = None,
        password: str | None = None,
        db: int = 0,
        connect_timeout_s: float = 5.0,
        keepalive: bool = True,
    ) -> None:
        self.host, self.port, self.path, self.locate = host, port, path, locate
        self.username, self.password, self.db = username, password, db
        self.connect_timeout_s = connect_timeout_s
        self.keepalive = keepalive and path is None

    def handshake(self) -> list[tuple[Any, ...]]:
        # RESP3, as redis-py 8 speaks it: its response callbacks (shared here) expect RESP3 replies.
        hello: tuple[Any, ...] = ("HELLO", 3)
        if self.password is not None:
            hello = (*hello, "AUTH", self.username or "default", self.password)
        commands: list[tuple[Any, ...]] = [hello]
        if self.db:
            commands.append(("SELECT", self.db))
        if self.locate is not None:
            # A sentinel that has not yet seen a fail-over names the old primary, which may be back on its
            # port as a replica: its reads would be stale. ROLE, answered last, says which one we reached.
            commands.append(("ROLE",))
        return commands


def _reader() -> Any:
    return hiredis.Reader(protocolError=InvalidResponse, replyError=BaseParser.parse_error, encoding="utf-8")


class WireConnection(asyncio.Protocol):
    """One connection: writes are queued and leave once per event-loop cycle; replies are matched to
    their waiters in order (Redis answers a connection's commands in the order it sent them)."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._reader = _reader()
        self._waiting: deque[tuple[asyncio.Future[Any] | None, float]] = deque()
        self._out: list[bytes] = []
        self._flush_scheduled = False
        self._transport: asyncio.Transport | None = None
        self.failed: BaseException | None = None
        self.last_used = loop.time()

    # asyncio.Protocol
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self._transport = transport

    def data_received(self, data: bytes) -> None:
        reader = self._reader
        reader.feed(data)
        waiting = self._waiting
        while True:
            try:
                reply = reader.gets()
            except InvalidResponse as error:
                self.fail(RedisConnectionError(f"Protocol error from redis: {error}"))
                return
            if reply is False:
                return
            if not waiting:
                self.fail(RedisConnectionError("redis sent a reply nobody asked for"))
                return
            future, _ = waiting.popleft()
            if future is not None and not future.done():
                future.set_result(reply)

    def connection_lost(self, exc: Exception | None) -> None:
        self.fail(RedisConnectionError("Connection closed by server." if exc is None else f"Connection lost: {exc}"))

    # use
    @property
    def usable(self) -> bool:
        return self.failed is None and self._transport is not None

    @property
    def busy(self) -> bool:
        return bool(self._waiting)

    def oldest_wait_started(self) -> float | None:
        return self._waiting[0][1] if self._waiting else None

    def send(self, data: bytes, replies: int) -> list[asyncio.Future[Any]]:
        """Queue one packed write that `replies` replies will answer; their futures, in order."""
        if self.failed is not None:
            raise self.failed
        now = self._loop.time()
        self.last_used = now
        futures = [self._loop.create_future() for _ in range(replies)]
        self._waiting.extend((future, now) for future in futures)
        self._out.append(data)
        if not self._flush_scheduled:
            self._flush_scheduled = True
            self._loop.call_soon(self._flush)
        return futures

    def ping(self) -> None:
        """A health check whose reply nobody awaits: a dead connection then fails (and is replaced)."""
        now = self._loop.time()
        self.last_used = now
        self._waiting.append((_IGNORED, now))
        self._out.append(b"*1\r\n$4\r\nPING\r\n")
        if not self._flush_scheduled:
            self._flush_scheduled = True
            self._loop.call_soon(self._flush)

    def _flush(self) -> None:
        self._flush_scheduled = False
        if self._transport is None or self.failed is not None or not self._out:
            return
        out, self._out = self._out, []
        self._transport.write(out[0] if len(out) == 1 else b"".join(out))

    def fail(self, error: BaseException) -> None:
        """Close the connection and fail every command still waiting on it with `error`."""
        if self.failed is None:
            self.failed = error
        if self._transport is not None:
            self._transport.abort()
        while self._waiting:
            future, _ = self._waiting.popleft()
            if future is not None and not future.done():
                future.set_exception(type(error)(*error.args))  # one instance per waiter: each has its traceback
        self._out.clear()


async def _replies(futures: list[asyncio.Future[Any]]) -> list[Any]:
    """The replies of one write. When one fails (the connection is lost) the others' errors are read
    too (asyncio would log them as never retrieved); when the caller is cancelled, the replies still
    to come are dropped as they arrive (the connection stays in step)."""
    try:
        return [await future for future in futures]
    except BaseException:
        for future in futures:
            if not future.done():
                future.cancel()
            elif not future.cancelled():
                future.exception()
        raise


def _role(reply: Any) -> str:
    """The first field of a ROLE reply: master, slave or sentinel."""
    if isinstance(reply, list) and reply:
        first = reply[0]
        return first.decode() if isinstance(first, bytes) else str(first)
    return "unknown"


async def _open(endpoint: Endpoint) -> WireConnection:
    loop = asyncio.get_running_loop()
    address = endpoint.path or f"{endpoint.host}:{endpoint.port}"
    made: list[WireConnection] = []

    def protocol() -> WireConnection:
        made.append(WireConnection(loop))
        return made[-1]

    try:
        async with asyncio.timeout(endpoint.connect_timeout_s):
            if endpoint.path is not None:
                _, connection = await loop.create_unix_connection(protocol, endpoint.path)
            else:
                host, port = await endpoint.locate() if endpoint.locate else (endpoint.host, endpoint.port)
                address = f"{host}:{port}"
                transport, connection = await loop.create_connection(protocol, host, port)
                sock = transport.get_extra_info("socket")
                if sock is not None:
                    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                    if endpoint.keepalive:
                        sock.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
                        for name, value in (
                            ("TCP_KEEPIDLE", KEEPALIVE_IDLE_S),
                            ("TCP_KEEPINTVL", KEEPALIVE_INTERVAL_S),
                            ("TCP_KEEPCNT", KEEPALIVE_COUNT),
                        ):
                            if hasattr(socket, name):
                                sock.setsockopt(socket.IPPROTO_TCP, getattr(socket, name), value)
            handshake = endpoint.handshake()
            if handshake:
                futures = connection.send(b"".join(hiredis.pack_command(c) for c in handshake), len(handshake))
                replies = await _replies(futures)
                for reply in replies:
                    if isinstance(reply, Exception):
                        raise reply
                if endpoint.locate is not None and _role(replies[-1]) != "master":
                    raise RedisConnectionError(f"redis at {address} is a {_role(replies[-1])}, not the primary")
    except BaseException as error:
        for opened in made:  # connected but not usable (handshake refused or unanswered): close it
            opened.fail(RedisConnectionError(f"connecting to redis at {address} failed: {error!r}"))
        if isinstance(error, TimeoutError):  # asyncio.timeout's
            raise RedisTimeoutError(f"Timeout connecting to redis at {address}") from error
        if isinstance(error, OSError):
            raise RedisConnectionError(f"Error connecting to redis at {address}: {error}") from error
        raise
    return connection


class WireClient:
    """`shared` multiplexed connections used in turn, plus connections of their own for blocking
    commands; a watchdog task enforces the command timeout and the idle health check."""

    def __init__(
        self,
        endpoint: Endpoint,
        *,
        timeout_s: float,
        health_check_interval_s: float,
        shared: int = SHARED_CONNECTIONS,
        max_exclusive: int = 64,
        connection_wait_s: float = 20.0,
        sentinel: bool = False,
    ) -> None:
        self._connection_wait_s = connection_wait_s
        self._endpoint = endpoint
        self._timeout_s = timeout_s
        self._health_s = health_check_interval_s
        self._shared: list[WireConnection | None] = [None] * max(1, shared)
        self._connecting: list[asyncio.Lock | None] = [None] * len(self._shared)
        self._turn = 0
        self._idle: list[WireConnection] = []
        self._exclusive_busy: set[WireConnection] = set()
        self._exclusive_slots = asyncio.Semaphore(max_exclusive)
        self._sentinel = sentinel
        self._watchdog: asyncio.Task[None] | None = None
        self._closed = False

    async def _connect_slot(self, slot: int) -> WireConnection:
        lock = self._connecting[slot]
        if lock is None:
            lock = self._connecting[slot] = asyncio.Lock()
        async with lock:
            connection = self._shared[slot]
            if connection is None or not connection.usable:
                connection = self._shared[slot] = await self._open()
            return connection

    async def _open(self) -> WireConnection:
        if self._closed:
            raise RedisConnectionError("the redis client is closed")
        if self._watchdog is None or self._watchdog.done():
            self._watchdog = asyncio.get_running_loop().create_task(self._watch())
        return await _open(self._endpoint)

    def _check(self, connection: WireConnection, replies: Sequence[Any]) -> None:
        if self._sentinel and any(isinstance(reply, ReadOnlyError) for reply in replies):
            error = RedisConnectionError("The previous master is now a slave")
            connection.fail(error)
            raise error

    async def call(self, data: bytes, replies: int = 1) -> list[Any]:
        """Send one packed write answered by `replies` replies on a shared connection; the replies
        (error replies as exception objects, not raised)."""
        slot = self._turn = (self._turn + 1) % len(self._shared)
        connection = self._shared[slot]
        if connection is None or not connection.usable:
            connection = await self._connect_slot(slot)
        futures = connection.send(data, replies)
        results = await _replies(futures)
        self._check(connection, results)
        return results

    async def call_one(self, data: bytes) -> Any:
        slot = self._turn = (self._turn + 1) % len(self._shared)
        connection = self._shared[slot]
        if connection is None or not connection.usable:
            connection = await self._connect_slot(slot)
        (future,) = connection.send(data, 1)
        reply = await future
        if self._sentinel and isinstance(reply, ReadOnlyError):
            self._check(connection, (reply,))
        return reply

    @asynccontextmanager
    async def exclusive(self) -> AsyncIterator[WireConnection]:
        """A connection nobody else writes to while it is held (for WAIT and blocking commands). With
        `max_exclusive` held already, waits up to `connection_wait_s` for one, as redis-py's blocking
        pool did, then raises ConnectionError."""
        try:
            async with asyncio.timeout(self._connection_wait_s):
                await self._exclusive_slots.acquire()
        except TimeoutError as error:
            raise RedisConnectionError("No connection available.") from error
        try:
            connection = None
            while self._idle and connection is None:
                candidate = self._idle.pop()
                connection = candidate if candidate.usable else None
            if connection is None:
                connection = await self._open()
            self._exclusive_busy.add(connection)
            try:
                yield connection
            finally:
                self._exclusive_busy.discard(connection)
                if connection.usable and not connection.busy and not self._closed:
                    self._idle.append(connection)
                else:
                    connection.fail(RedisConnectionError("connection given back mid-command"))
        finally:
            self._exclusive_slots.release()

    async def call_exclusive(self, data: bytes, replies: int) -> list[Any]:
        async with self.exclusive() as connection:
            futures = connection.send(data, replies)
            results = await _replies(futures)
            self._check(connection, results)
            return results

    def connections(self) -> list[WireConnection]:
        shared = [connection for connection in self._shared if connection is not None]
        return [*shared, *self._idle, *self._exclusive_busy]

    async def _watch(self) -> None:
        """Every tenth of the timeout: fail connections whose oldest command waited longer than the
        timeout; PING those idle for longer than the health-check interval."""
        loop = asyncio.get_running_loop()
        tick = min(max(self._timeout_s / 10, 0.01), 1.0)
        while not self._closed:
            await asyncio.sleep(tick)
            now = loop.time()
            for connection in self.connections():
                if not connection.usable:
                    continue
                started = connection.oldest_wait_started()
                if started is not None and now - started > self._timeout_s:
                    connection.fail(RedisTimeoutError("Timeout reading from redis"))
                elif started is None and now - connection.last_used > self._health_s:
                    connection.ping()

    async def aclose(self) -> None:
        self._closed = True
        if self._watchdog is not None:
            self._watchdog.cancel()
            self._watchdog = None
        for connection in self.connections():
            connection.fail(RedisConnectionError("the redis client is closed"))
        self._shared = [None] * len(self._shared)
        self._idle.clear()


def pack(args: Sequence[Any]) -> bytes:
    """The RESP request of one command; a first argument like "SCRIPT LOAD" is two words, as in redis-py."""
    name = args[0]
    if isinstance(name, str) and " " in name:
        args = (*name.split(), *args[1:])
    packed: bytes = hiredis.pack_command(tuple(args))
    return packed


class WireRedis(Redis):
    """redis-py's client API with commands and pipelines sent through a `WireClient`. `pool` (never
    used by the fast path) serves what it does not handle."""

    _wire: WireClient

    @classmethod
    def over(cls, pool: ConnectionPool, wire: WireClient) -> WireRedis:
        client = cls(connection_pool=pool)
        client.auto_close_connection_pool = True
        client._wire = wire
        return client

    async def execute_command(self, *args: Any, **options: Any) -> Any:
        if NEVER_DECODE in options:
            return await super().execute_command(*args, **options)  # type: ignore[no-untyped-call]
        name = args[0]
        if name in BLOCKING:
            (reply,) = await self._wire.call_exclusive(pack(args), 1)
        else:
            reply = await self._wire.call_one(pack(args))
        if isinstance(reply, ResponseError):
            if EMPTY_RESPONSE in options:
                return options[EMPTY_RESPONSE]
            raise reply
        return self._parse(name, reply, options)

    def _parse(self, name: Any, reply: Any, options: dict[str, Any]) -> Any:
        callback = self.response_callbacks.get(name)
        if callback is None:
            return reply
        options.pop("keys", None)
        options.pop(EMPTY_RESPONSE, None)
        return callback(reply, **options)

    def pipeline(self, transaction: bool = True, shard_hint: str | None = None) -> Pipeline:
        return WirePipeline(self, transaction)

    async def aclose(self, close_connection_pool: bool | None = None) -> None:
        await self._wire.aclose()
        await super().aclose(close_connection_pool)


class WirePipeline(Pipeline):
    """A pipeline written in one go on the client's connection: MULTI … EXEC (transaction) or the
    commands alone; replies parsed by the same response callbacks as redis-py's pipeline."""

    def __init__(self, client: WireRedis, transaction: bool) -> None:
        super().__init__(client.connection_pool, client.response_callbacks, transaction, None)
        self._client = client

    async def execute(self, raise_on_error: bool = True) -> list[Any]:
        stack = self.command_stack
        if self.watching or self.scripts or any(NEVER_DECODE in o or EMPTY_RESPONSE in o for _, o in stack):
            return await super().execute(raise_on_error)
        if not stack:
            return []
        try:
            return await self._execute(stack, raise_on_error)
        finally:
            await self.reset()  # type: ignore[no-untyped-call]

    async def _execute(self, stack: list[Any], raise_on_error: bool) -> list[Any]:
        wire = self._client._wire
        commands = [args for args, _ in stack]
        if self.is_transaction:
            commands = [("MULTI",), *commands, ("EXEC",)]
        data = b"".join(pack(command) for command in commands)
        if any(args[0] in BLOCKING for args, _ in stack):
            replies = await wire.call_exclusive(data, len(commands))
        else:
            replies = await wire.call(data, len(commands))
        if self.is_transaction:
            errors = [(i, r) for i, r in enumerate(replies[1:-1]) if isinstance(r, ResponseError)]
            outcome = replies[-1]
            if isinstance(outcome, ExecAbortError) and errors:
                raise errors[0][1] from outcome
            if isinstance(outcome, Exception):
                raise outcome
            if outcome is None:
                raise WatchError("Watched variable changed.")
            results = list(outcome)
            if len(results) != len(stack):
                raise ResponseError("Wrong number of response items from pipeline execution")
        else:
            results = replies
        if raise_on_error:
            self.raise_first_error(stack, results)
        parse = self._client._parse
        return [
            r if isinstance(r, Exception) else parse(args[0], r, dict(options))
            for r, (args, options) in zip(results, stack, strict=True)
        ]
