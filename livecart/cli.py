"""`livecart serve|demo`: run the server, or run it with a seeded demo show.

What goes wrong before the server runs is said in one line, never a traceback: a configuration error
(flag or environment, naming the setting; exit code 2), a port that is taken (checked before anything is
printed; exit 1), a store that cannot be reached at start (exit 1). Libraries' INFO logs (aioice, aiortc,
socketio, …) are quiet unless LIVECART_LOG_LEVEL=DEBUG.
"""

from __future__ import annotations

import argparse
import gc
import logging
import os
import re
import socket
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, NoReturn

from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError

from livecart import __version__, keys
from livecart.app import create_app
from livecart.cluster.workers import Supervisor, check_workers
from livecart.config import SETTINGS, ConfigError, Settings
from livecart.demo import DemoSeed, seed_demo
from livecart.store import STORE_UNAVAILABLE

log = logging.getLogger("livecart")

DEMO_DATABASE = "livecart-demo.db"


class OneLineParser(argparse.ArgumentParser):
    """argparse, with a usage error said in one line (exit code 2) instead of the usage and the error."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"livecart: configuration error: {message} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineParser(prog="livecart", description="Live-stream shopping server.")
    parser.add_argument("--version", action="version", version=f"livecart {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND", parser_class=OneLineParser)
    serve = commands.add_parser("serve", help="run the server", description="Run the livecart server.")
    demo = commands.add_parser(
        "demo",
        help="run the server with a seeded demo show",
        description=(
            "Seed a demo brand (3 products), a host and a scheduled show, print the page links with their "
            f"tokens, and serve. Without LIVECART_STORE it uses a fresh ./{DEMO_DATABASE}."
        ),
    )
    stores = {
        serve: "store URL (env LIVECART_STORE, default sqlite:///livecart.db)",
        demo: f"store URL (env LIVECART_STORE; default: a fresh sqlite:///{DEMO_DATABASE})",
    }
    for command in (serve, demo):
        command.add_argument("--host", help="address to listen on (env LIVECART_HOST, default 127.0.0.1)")
        command.add_argument("--port", help="port to listen on (env PORT, default 8080)")
        command.add_argument("--store", help=stores[command])
    serve.add_argument("--workers", help="processes sharing the port (env LIVECART_WORKERS, default 1; >1 needs Redis)")
    serve.add_argument("--reuse-port", action="store_true", help=argparse.SUPPRESS)  # set for each worker
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    env = dict(os.environ)
    fresh_demo = args.command == "demo" and not args.store and "LIVECART_STORE" not in env
    if fresh_demo:
        args.store = f"sqlite:///{DEMO_DATABASE}"
    try:
        flags = {
            "host": _flag("--host", args.host, "host"),
            "port": _flag("--port", args.port, "port"),
            "store": _flag("--store", args.store, "store"),
            "workers": _flag("--workers", getattr(args, "workers", None), "workers"),
        }
        settings = Settings.from_env(env, **flags)
        check_workers(settings)
    except ConfigError as error:
        print(f"livecart: configuration error: {error}", file=sys.stderr)
        return 2
    set_up_logging(settings.log_level)
    if settings.admin_token_generated:
        print(f"Admin token (set LIVECART_ADMIN_TOKEN to keep it): {settings.admin_token}", flush=True)
    if settings.workers > 1:
        return Supervisor(settings).run()
    try:  # the ports first: nothing (a demo's links) is printed for a server that cannot listen
        sockets = [_listen(settings.host, settings.port, reuse_port=getattr(args, "reuse_port", False))]
        if settings.direct_port:
            sockets.append(_listen(settings.host, settings.direct_port, reuse_port=False))
    except OSError as error:
        reason = os.strerror(error.errno) if error.errno else str(error)
        print(f"livecart: cannot listen on {settings.host}:{settings.port}: {reason}", file=sys.stderr)
        return 1
    if fresh_demo:
        Path(DEMO_DATABASE).unlink(missing_ok=True)
    app = create_app(settings)
    if args.command == "demo":
        app.on_startup.append(_seed_and_print)
    tune_gc()
    try:
        web.run_app(
            app,
            sock=sockets,
            print=_listening(settings),
            access_log=None,
            keepalive_timeout=settings.http_idle_timeout_s,  # also bounds the wait for a request's headers
            lingering_time=settings.http_body_timeout_s,  # after an early error reply, drain a body this long
        )
    except STORE_UNAVAILABLE as error:
        print(f"livecart: cannot reach the store {_redacted(settings.store)}: {_reason(error)}", file=sys.stderr)
        return 1
    finally:
        for sock in sockets:
            sock.close()
    return 0


# Python's cyclic garbage collector runs a young-generation pass every 700 allocations by default: a
# checkout allocates a few thousand objects, so several passes per request, each also walking the
# survivors. 50,000 makes it about one pass per 10–20 requests: −0.08 ms of CPU per SQLite checkout
# (0.63–0.65 → 0.55 ms, bench.checkout sustained); garbage cycles wait a little longer to be freed.
GC_YOUNG_THRESHOLD = 50_000
GC_OLDER_THRESHOLDS = (20, 100)


def tune_gc() -> None:
    """For the server process only (not the tests, which build many apps in one process): what was
    loaded and built at start-up is frozen out of the collector's scans, and young passes are rarer."""
    gc.freeze()
    gc.set_threshold(GC_YOUNG_THRESHOLD, *GC_OLDER_THRESHOLDS)


# Libraries whose INFO lines (every ICE candidate pair, every websocket) drown livecart's own.
LIBRARY_LOGGERS = ("aioice", "aiortc", "socketio", "engineio", "aiohttp", "redis", "asyncio")


def set_up_logging(level: str) -> None:
    """livecart's own loggers at `level`; libraries at WARNING unless `level` is DEBUG."""
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger().setLevel(level)  # also when logging was set up before (embedding, tests)
    for name in LIBRARY_LOGGERS:
        quiet = max(logging.WARNING, logging.getLevelName(level))
        logging.getLogger(name).setLevel(logging.NOTSET if level == "DEBUG" else quiet)
    logging.getLogger("aiohttp.server").addFilter(BadRequestLogFilter())


SETTING_PARSERS = {setting.field: setting for setting in SETTINGS}


def _flag(flag: str, value: str | None, field: str) -> Any:
    """A command-line flag read as its setting is (None when not given); ConfigError names the flag."""
    if value is None:
        return None
    try:
        return SETTING_PARSERS[field].parse(value)
    except ValueError as error:
        raise ConfigError(f"{flag} {value!r}: {error}") from None


def _redacted(url: str) -> str:
    """The store URL without its password (redis://:secret@host → redis://:***@host)."""
    scheme, sep, rest = url.partition("://")
    credentials, at, host = rest.rpartition("@")
    if not at or ":" not in credentials:
        return url
    user = credentials.split(":", 1)[0]
    return f"{scheme}{sep}{user}:***@{host}"


def _reason(error: BaseException) -> str:
    return " ".join(str(error).split()) or type(error).__name__


_PLAIN_WORDS = re.compile(r"[A-Za-z ,]*")


class BadRequestLogFilter(logging.Filter):
    """aiohttp logs every request it cannot parse with a traceback at ERROR: anyone could fill the log.
    Such a request already got its 400; log one line at INFO instead. The line says what was wrong in
    aiohttp's own words only (`Invalid header value char`), never the bytes it quotes after them: a
    bad request line or header may carry a bearer token (issue 19, finding 10)."""

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        if isinstance(error, HttpProcessingError):
            match = _PLAIN_WORDS.match(str(error.message))
            what = match.group(0).strip(" ,")[:80] if match else ""
            record.msg = f"{record.getMessage()}: {type(error).__name__} {what}".rstrip()
            record.args = ()
            record.exc_info = None
            record.exc_text = None
            record.levelno, record.levelname = logging.INFO, "INFO"
        return True


LISTEN_BACKLOG = 1024


def _listen(host: str, port: int, *, reuse_port: bool) -> socket.socket:
    """A listening socket on host:port (the main port; a worker's own direct port), made before anything
    else so that a port already taken is found first."""
    # A flash sale opens ~1,000 connections at once: with a backlog of 128 the kernel dropped the overflow
    # and the clients resent their SYN after 1 s (the flash rows' 1 s p99). The kernel caps it at
    # net.core.somaxconn.
    sock = socket.create_server((host, port), reuse_port=reuse_port, backlog=LISTEN_BACKLOG)
    sock.setblocking(False)
    return sock


def _listening(settings: Settings) -> Callable[[str], None]:
    def announce(_message: str) -> None:
        direct = f" and, this process alone, on port {settings.direct_port}" if settings.direct_port else ""
        print(f"livecart {__version__} listening on http://{settings.host}:{settings.port}{direct}", flush=True)

    return announce


async def _seed_and_print(app: web.Application) -> None:
    seed = await seed_demo(app[keys.SERVICES].store, app[keys.SERVICES].clock)
    print(demo_banner(app[keys.SETTINGS].base_url, seed), flush=True)


def demo_banner(base: str, seed: DemoSeed) -> str:
    return "\n".join(
        [
            "",
            "Demo show seeded:",
            f"  Watch page (viewers):  {base}/watch/{seed.show_id}",
            f"  Host studio:           {base}/studio/{seed.show_id}#token={seed.host_token}",
            f"  Brand console:         {base}/brand#token={seed.brand_token}",
            f"  API:                   {base}/api/shows/{seed.show_id}",
            f"  Host token:  {seed.host_token}",
            f"  Brand token: {seed.brand_token}",
            "",
        ]
    )
