"""`livecart serve --workers N`: a small supervisor that runs N `livecart serve` processes on one port.

Each worker listens on the shared port with SO_REUSEPORT (the kernel spreads new connections over
them) and on a direct port of its own (`LIVECART_WORKER_PORTS` + i), which it advertises in the
cluster registry: WHIP/WHEP sessions and WHEP redirects must reach the one process that holds the
peer, and a new connection to the shared port may land on any worker. Workers share everything else
through Redis, which is why more than one worker needs Redis fan-out.

The supervisor forwards SIGTERM/SIGINT to the workers and waits for them; a worker that dies is
restarted after a second, unless it died within its first seconds (a configuration or listen error
every restart would repeat): then every worker is stopped and `serve` exits with its code. A
supervisor that is killed outright (SIGKILL, OOM killer) cannot forward anything: on Linux each
worker asks the kernel for SIGTERM when its parent dies (`PR_SET_PDEATHSIG`), so no worker outlives
it holding the port.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import logging
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from types import FrameType

from livecart.config import ConfigError, Settings, fanout_url

log = logging.getLogger(__name__)

POLL_INTERVAL_S = 0.2
RESTART_DELAY_S = 1.0
EARLY_EXIT_S = 5.0  # a worker that dies this soon after starting is not restarted
STOP_TIMEOUT_S = 15.0


def check_workers(settings: Settings) -> None:
    """More than one worker splits rooms across processes: refuse unless rooms fan out through Redis."""
    if settings.workers > 1 and not fanout_url(settings):
        raise ConfigError(
            f"LIVECART_WORKERS={settings.workers}: more than one worker needs Redis fan-out "
            "(LIVECART_STORE=redis://… or LIVECART_FANOUT_URL=redis://…), or live rooms would be split "
            "between processes"
        )
    last = settings.first_worker_port + settings.workers - 1
    if settings.workers > 1 and last > 65535:
        raise ConfigError(
            f"LIVECART_WORKER_PORTS={settings.first_worker_port}: {settings.workers} ports from it run past 65535"
        )


PR_SET_PDEATHSIG = 1  # linux/prctl.h


def _die_with_parent(parent_pid: int) -> None:
    """Runs in the forked worker before exec: SIGTERM when the supervisor dies (Linux only)."""
    if not sys.platform.startswith("linux"):
        return
    libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    if os.getppid() != parent_pid:  # the supervisor died before prctl took effect
        os.kill(os.getpid(), signal.SIGTERM)


@dataclass
class Worker:
    index: int
    direct_port: int
    process: subprocess.Popen[bytes] | None = None
    started: float = 0.0


class Supervisor:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.workers = [Worker(i, settings.first_worker_port + i) for i in range(settings.workers)]
        self.stopping = False

    def command(self) -> list[str]:
        s = self.settings
        return [
            sys.executable,
            "-m",
            "livecart",
            "serve",
            "--host",
            s.host,
            "--port",
            str(s.port),
            "--store",
            s.store,
            "--workers",
            "1",
            "--reuse-port",
        ]

    def environment(self, worker: Worker) -> dict[str, str]:
        return {
            **os.environ,
            "LIVECART_ADMIN_TOKEN": self.settings.admin_token,  # one token for every worker
            "LIVECART_DIRECT_PORT": str(worker.direct_port),
            "LIVECART_WORKERS": "1",
        }

    def spawn(self, worker: Worker) -> None:
        worker.process = subprocess.Popen(
            self.command(), env=self.environment(worker), preexec_fn=functools.partial(_die_with_parent, os.getpid())
        )
        worker.started = time.monotonic()
        log.info("worker %d started (pid %d, direct port %d)", worker.index, worker.process.pid, worker.direct_port)

    def run(self) -> int:
        """Start the workers, keep them running until SIGTERM/SIGINT, stop them; returns the exit code."""
        previous = {sig: signal.signal(sig, self._on_signal) for sig in (signal.SIGTERM, signal.SIGINT)}
        try:
            for worker in self.workers:
                self.spawn(worker)
            print(
                f"livecart: {len(self.workers)} workers on http://{self.settings.host}:{self.settings.port} "
                f"(direct ports {self.workers[0].direct_port}–{self.workers[-1].direct_port})",
                flush=True,
            )
            code = self._watch()
        finally:
            self._stop_all()
            for sig, handler in previous.items():
                signal.signal(sig, handler)
        return code

    def _on_signal(self, signum: int, _frame: FrameType | None) -> None:
        self.stopping = True

    def _watch(self) -> int:
        while not self.stopping:
            time.sleep(POLL_INTERVAL_S)
            for worker in self.workers:
                assert worker.process is not None
                code = worker.process.poll()
                if code is None or self.stopping:
                    continue
                if time.monotonic() - worker.started < EARLY_EXIT_S:
                    print(
                        f"livecart: worker {worker.index} exited with {code} right after starting; stopping",
                        file=sys.stderr,
                        flush=True,
                    )
                    return code or 1
                log.warning("worker %d exited with %s; restarting it", worker.index, code)
                time.sleep(RESTART_DELAY_S)
                self.spawn(worker)
        return 0

    def _stop_all(self) -> None:
        running = [w.process for w in self.workers if w.process is not None and w.process.poll() is None]
        for process in running:
            process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + STOP_TIMEOUT_S
        for process in running:
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
