"""`livecart serve|demo`: run the server, or run it with a seeded demo show."""

from __future__ import annotations

import argparse
import logging
import os
import socket
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError

from livecart import __version__, keys
from livecart.app import create_app
from livecart.cluster.workers import Supervisor, check_workers
from livecart.config import ConfigError, Settings
from livecart.demo import DemoSeed, seed_demo

log = logging.getLogger("livecart")

DEMO_DATABASE = "livecart-demo.db"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="livecart", description="Live-stream shopping server.")
    parser.add_argument("--version", action="version", version=f"livecart {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    serve = commands.add_parser("serve", help="run the server", description="Run the livecart server.")
    demo = commands.add_parser(
        "demo",
        help="run the server with a seeded demo show",
        description=(
            "Seed a demo brand (3 products), a host and a scheduled show, print the page links with their "
            f"tokens, and serve. Without LIVECART_STORE it uses a fresh ./{DEMO_DATABASE}."
        ),
    )
    for command in (serve, demo):
        command.add_argument("--host", help="address to listen on (env LIVECART_HOST, default 127.0.0.1)")
        command.add_argument("--port", type=int, help="port to listen on (env PORT, default 8080)")
        command.add_argument("--store", help="store URL (env LIVECART_STORE, default sqlite:///livecart.db)")
    serve.add_argument(
        "--workers", type=int, help="processes sharing the port (env LIVECART_WORKERS, default 1; >1 needs Redis)"
    )
    serve.add_argument("--reuse-port", action="store_true", help=argparse.SUPPRESS)  # set for each worker
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    env = dict(os.environ)
    if args.command == "demo" and not args.store and "LIVECART_STORE" not in env:
        Path(DEMO_DATABASE).unlink(missing_ok=True)
        args.store = f"sqlite:///{DEMO_DATABASE}"
    try:
        workers = getattr(args, "workers", None)
        if workers is not None and workers < 1:
            raise ConfigError(f"--workers {workers}: must be at least 1")
        settings = Settings.from_env(env, host=args.host, port=_port(args.port), store=args.store, workers=workers)
        check_workers(settings)
    except ConfigError as error:
        print(f"livecart: configuration error: {error}", file=sys.stderr)
        return 2
    logging.basicConfig(level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("aiohttp.server").addFilter(BadRequestLogFilter())
    if settings.admin_token_generated:
        print(f"Admin token (set LIVECART_ADMIN_TOKEN to keep it): {settings.admin_token}", flush=True)
    if settings.workers > 1:
        return Supervisor(settings).run()
    app = create_app(settings)
    if args.command == "demo":
        app.on_startup.append(_seed_and_print)
    try:
        direct = [_direct_socket(settings)] if settings.direct_port else None
        web.run_app(
            app,
            host=settings.host,
            port=settings.port,
            sock=direct,
            reuse_port=getattr(args, "reuse_port", False),
            print=_listening(settings),
            access_log=None,
            keepalive_timeout=settings.http_idle_timeout_s,  # also bounds the wait for a request's headers
            lingering_time=settings.http_body_timeout_s,  # after an early error reply, drain a body this long
        )
    except OSError as error:
        print(f"livecart: cannot listen on {settings.host}:{settings.port}: {error.strerror}", file=sys.stderr)
        return 1
    return 0


class BadRequestLogFilter(logging.Filter):
    """aiohttp logs every request it cannot parse with a traceback at ERROR: anyone could fill the log.
    Such a request already got its 400; log one line at INFO instead."""

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        if isinstance(error, HttpProcessingError):
            record.msg = f"{record.getMessage()}: {type(error).__name__} {error.message!s:.200}"
            record.args = ()
            record.exc_info = None
            record.exc_text = None
            record.levelno, record.levelname = logging.INFO, "INFO"
        return True


def _direct_socket(settings: Settings) -> socket.socket:
    """The port at which this process alone is reached (a worker's own port, advertised as its node URL)."""
    sock = socket.create_server((settings.host, settings.direct_port), reuse_port=False)
    sock.setblocking(False)
    return sock


def _port(port: int | None) -> int | None:
    if port is not None and not 0 < port < 65536:
        raise SystemExit(f"livecart: configuration error: --port {port}: must be a port number from 1 to 65535")
    return port


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
