"""One SQLite connection owned by one thread; callers await whole transactions.

Every call runs a function `fn(connection, *args)` on the database thread, so the event loop never
blocks on SQLite and a transaction is never interleaved with another. WAL mode lets the file be read
by other tools while livecart writes; `synchronous=FULL` makes every committed transaction durable
(money tables live here).

Group commit: the thread takes every call waiting in its queue (up to MAX_BATCH) and runs them in one
`BEGIN IMMEDIATE … COMMIT`, each write inside its own SAVEPOINT, so one failing call rolls back only
itself. No caller hears its result before that COMMIT returned, so what a caller is told happened is
on disk. Under load this turns N fsyncs into one; alone, a call is its own batch as before. The
SAVEPOINTs' journal is kept in memory (`temp_store=MEMORY`): it is not needed after a crash.

No `sqlite3` exception leaves this module: a constraint failure becomes a domain error (`Conflict`,
`NotFound`, `BadRequest`, or the one the caller named for that constraint, see `Constraint`), and a
database that cannot be used (locked, disk full, I/O error) raises `StoreUnavailable`.

Migrations are numbered 1, 2, 3, … across the whole schema and run by number, each once
(`schema_migrations` remembers them by name); livecart/store/sqlite/migrations.py holds the list.
"""

from __future__ import annotations

import asyncio
import contextlib
import queue
import sqlite3
import threading
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ParamSpec, TypeVar

from livecart.domain import errors
from livecart.store.base import StoreUnavailable

T = TypeVar("T")
P = ParamSpec("P")

MAX_BATCH = 256  # calls per COMMIT at most


@dataclass(frozen=True)
class Migration:
    """One step of the schema. `number` orders every migration of the store (1, 2, 3, … with no gap);
    `name` is what `schema_migrations` records, so a renumbered migration is not run twice."""

    number: int
    name: str
    sql: str


def check_migrations(migrations: Sequence[Migration]) -> list[Migration]:
    """The migrations sorted by number, after checking the numbers are 1…n and the names unique."""
    ordered = sorted(migrations, key=lambda migration: migration.number)
    numbers = [migration.number for migration in ordered]
    if numbers != list(range(1, len(ordered) + 1)):
        repeated = sorted({n for n in numbers if numbers.count(n) > 1})
        problem = f" ({repeated} used twice)" if repeated else ""
        raise ValueError(f"migration numbers must be 1…{len(ordered)} with no gap or repeat; got {numbers}{problem}")
    names = [migration.name for migration in ordered]
    if len(set(names)) != len(names):
        raise ValueError(f"migration names must be unique: {sorted({n for n in names if names.count(n) > 1})}")
    return ordered


@dataclass(frozen=True)
class Constraint:
    """A constraint as SQLite names it when it fails: `kind` is UNIQUE, PRIMARYKEY, FOREIGNKEY,
    NOTNULL, CHECK or TRIGGER, `target` what follows "constraint failed: " (e.g.
    "products.brand_id, products.sku"; empty for foreign keys, which SQLite does not name)."""

    kind: str
    target: str = ""

    @classmethod
    def unique(cls, table: str, *columns: str) -> Constraint:
        return cls("UNIQUE", ", ".join(f"{table}.{column}" for column in columns))

    @classmethod
    def of(cls, error: sqlite3.IntegrityError) -> Constraint:
        kind = getattr(error, "sqlite_errorname", "").removeprefix("SQLITE_CONSTRAINT_")
        _, _, target = str(error).partition("constraint failed: ")
        return cls(kind, target.strip())


# The domain error a caller wants for a constraint it expects to fail (e.g. a product's SKU taken).
ConstraintErrors = Mapping[Constraint, Callable[[], errors.LivecartError]]


def domain_error(error: sqlite3.IntegrityError, expected: ConstraintErrors | None = None) -> errors.LivecartError:
    """The one translation of constraint failures into domain errors. The stores check what their
    contract promises before they write; a constraint that still fails is reported by its kind."""
    constraint = Constraint.of(error)
    if expected and constraint in expected:
        return expected[constraint]()
    if constraint.kind in ("UNIQUE", "PRIMARYKEY"):
        return errors.Conflict("a record with this key already exists", constraint=constraint.target)
    if constraint.kind == "FOREIGNKEY":
        return errors.NotFound("a record this refers to does not exist")
    if constraint.kind in ("NOTNULL", "CHECK"):
        return errors.BadRequest("a value is missing or out of range", constraint=constraint.target)
    return errors.Conflict(str(error), constraint=constraint.kind.lower() or "integrity")


def _translated(error: sqlite3.Error, expected: ConstraintErrors | None) -> Exception:
    if isinstance(error, sqlite3.IntegrityError):
        return domain_error(error, expected)
    if getattr(error, "sqlite_errorname", "") == "SQLITE_ERROR":  # bad SQL: a bug, not the database's state
        return RuntimeError(f"SQLite refused a statement: {error}")
    return StoreUnavailable(f"the SQLite database cannot be used: {error}")


@dataclass
class _Call:
    kind: str  # "read" | "write" | "admin" (open/close: runs alone, outside any transaction)
    fn: Callable[..., Any]
    args: tuple[Any, ...]
    future: asyncio.Future[Any]
    loop: asyncio.AbstractEventLoop


class Database:
    def __init__(self, path: str) -> None:
        self.path = path
        self._calls: queue.SimpleQueue[_Call | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._conn: sqlite3.Connection | None = None
        self.batches = 0  # COMMITs made by group commit (for tests and benchmarks)

    async def open(self, migrations: Sequence[Migration]) -> None:
        self._thread = threading.Thread(target=self._serve, name="livecart-sqlite", daemon=True)
        self._thread.start()
        await self._submit("admin", self._open, (migrations,))

    def _open(self, migrations: Sequence[Migration]) -> None:
        conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        conn.row_factory = sqlite3.Row
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=FULL")
        # The journal of a group commit's SAVEPOINTs (and any temporary sort) stays in memory: on disk it
        # spilled past 64 KiB to a temporary file, about 75 writes per checkout. It only serves to roll
        # back a SAVEPOINT within the open transaction; crash recovery uses the WAL, not this journal.
        conn.execute("PRAGMA temp_store=MEMORY")
        conn.execute("PRAGMA foreign_keys=ON")
        conn.execute("PRAGMA busy_timeout=5000")
        self._conn = conn
        self._migrate(conn, migrations)

    @staticmethod
    def _migrate(conn: sqlite3.Connection, migrations: Sequence[Migration]) -> None:
        conn.execute("CREATE TABLE IF NOT EXISTS schema_migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)")
        applied = {row[0] for row in conn.execute("SELECT name FROM schema_migrations")}
        for migration in check_migrations(migrations):
            name, script = migration.name, migration.sql
            if name in applied:
                continue
            conn.execute("BEGIN IMMEDIATE")
            try:
                for statement in _statements(script):
                    conn.execute(statement)
                conn.execute(
                    "INSERT INTO schema_migrations (name, applied_at) VALUES (?, strftime('%Y-%m-%dT%H:%M:%fZ'))",
                    (name,),
                )
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise

    async def read(self, fn: Callable[..., T], *args: object) -> T:
        """Run `fn(conn, *args)` outside an explicit transaction of its own (single statements, reads)."""
        result: T = await self._submit("read", fn, args)
        return result

    async def transaction(
        self, fn: Callable[..., T], *args: object, on_constraint: ConstraintErrors | None = None
    ) -> T:
        """Run `fn(conn, *args)` atomically; any exception undoes its changes and propagates.
        `on_constraint`: the domain error to raise when one of these constraints fails.

        Returns once the COMMIT that holds its changes is durable.
        """
        result: T = await self._submit("write", fn, args, on_constraint)
        return result

    @property
    def _connection(self) -> sqlite3.Connection:
        if self._conn is None:
            raise RuntimeError("database is closed")
        return self._conn

    async def _submit(
        self, kind: str, fn: Callable[..., Any], args: tuple[Any, ...], on_constraint: ConstraintErrors | None = None
    ) -> Any:
        if self._thread is None or not self._thread.is_alive():
            raise RuntimeError("database is closed")
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Any] = loop.create_future()
        self._calls.put(_Call(kind, fn, args, future, loop))
        try:
            return await future
        except sqlite3.Error as error:
            raise _translated(error, on_constraint) from error

    # -- the database thread ----------------------------------------------------------------------
    def _serve(self) -> None:
        pending: deque[_Call | None] = deque()
        while True:
            call = pending.popleft() if pending else self._calls.get()
            if call is None:
                return
            if call.kind == "admin":
                self._deliver([self._run_alone(call)])
                continue
            batch = [call]
            while len(batch) < MAX_BATCH:
                try:
                    more = self._calls.get_nowait()
                except queue.Empty:
                    break
                if more is None or more.kind == "admin":
                    pending.append(more)
                    break
                batch.append(more)
            try:
                outcomes = self._run_batch(batch)
            except BaseException as error:  # the connection itself failed: every call in the batch fails
                self._abandon()
                outcomes = [(each, None, error) for each in batch]
            self._deliver(outcomes)

    def _abandon(self) -> None:
        conn = self._conn
        if conn is not None and conn.in_transaction:
            with contextlib.suppress(sqlite3.Error):
                conn.execute("ROLLBACK")

    def _run_alone(self, call: _Call) -> tuple[_Call, Any, BaseException | None]:
        try:
            return call, call.fn(*call.args), None
        except BaseException as error:
            return call, None, error

    def _run_batch(self, batch: list[_Call]) -> list[tuple[_Call, Any, BaseException | None]]:
        try:
            conn = self._connection
        except RuntimeError as error:
            return [(call, None, error) for call in batch]
        writes = any(call.kind == "write" for call in batch)
        outcomes: list[tuple[_Call, Any, BaseException | None]] = []
        if writes:
            conn.execute("BEGIN IMMEDIATE")
        for call in batch:
            if call.kind == "write":
                conn.execute("SAVEPOINT call")
            try:
                result = call.fn(conn, *call.args)
            except Exception as error:
                if call.kind == "write":
                    try:
                        conn.execute("ROLLBACK TO call")
                        conn.execute("RELEASE call")
                    except sqlite3.Error:  # SQLite dropped the whole transaction (disk full, I/O error):
                        raise error from None  # every call of the batch fails with the cause
                outcomes.append((call, None, error))
                continue
            if call.kind == "write":
                conn.execute("RELEASE call")
            outcomes.append((call, result, None))
        if writes:
            try:
                conn.execute("COMMIT")
                self.batches += 1
            except sqlite3.Error as error:
                self._abandon()
                return [(call, None, error) for call in batch]
        return outcomes

    @staticmethod
    def _deliver(outcomes: list[tuple[_Call, Any, BaseException | None]]) -> None:
        by_loop: dict[asyncio.AbstractEventLoop, list[tuple[_Call, Any, BaseException | None]]] = {}
        for outcome in outcomes:
            by_loop.setdefault(outcome[0].loop, []).append(outcome)
        for loop, items in by_loop.items():
            with contextlib.suppress(RuntimeError):  # a closed loop: nobody is waiting any more
                loop.call_soon_threadsafe(_resolve, items)

    async def close(self) -> None:
        if self._thread is None:
            return
        if self._thread.is_alive():
            await self._submit("admin", self._close, ())
            self._calls.put(None)
        self._thread.join(timeout=5)
        self._thread = None

    def _close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None


def _resolve(items: list[tuple[_Call, Any, BaseException | None]]) -> None:
    for call, result, error in items:
        if call.future.cancelled():
            continue
        if error is not None:
            call.future.set_exception(error)
        else:
            call.future.set_result(result)


def _statements(script: str) -> list[str]:
    """Split a migration script into statements; a trigger's `BEGIN …; END` stays one statement."""
    statements: list[str] = []
    pending = ""
    for part in script.split(";"):
        pending += part + ";"
        if sqlite3.complete_statement(pending):
            if pending.strip(" \n;"):
                statements.append(pending.strip())
            pending = ""
    if pending.strip(" \n;"):
        statements.append(pending.strip())
    return statements
