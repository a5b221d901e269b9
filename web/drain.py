"""Draining on SIGTERM, as orchestrators and load balancers expect of a server they stop.

On the first SIGTERM (or SIGINT) a process that `roster serve` runs:
1. drains for `drain_seconds`: /readyz answers 503 at once (the balancer takes the instance
   out of rotation), every request is still served, and every response carries
   `Connection: close` (its client opens its next connection elsewhere);
2. then closes its listener and gives the requests in flight uvicorn's graceful timeout;
3. and exits. A second signal exits at once.

`DrainingServer` is uvicorn's `Server` with that first step; `DrainingSupervisor` is uvicorn's
`Multiprocess` (`--workers N`) running it in every worker. The process's `Drain` reaches the
application through the lifespan state (the `drain` key), where /readyz and
`CloseWhileDraining` read it; an application served by anything else never drains."""

from __future__ import annotations

import contextlib
import contextvars
import logging
import os
import signal
import socket
import time
from dataclasses import dataclass
from types import FrameType

from starlette.datastructures import MutableHeaders
from starlette.types import Scope
from uvicorn import Config, Server
from uvicorn.config import STARTUP_FAILURE
from uvicorn.supervisors.multiprocess import Multiprocess, Process

from web.response_headers import ResponseHeaders

STATE_KEY = "drain"  # the Drain's key in the lifespan state (request.state.drain)
logger = logging.getLogger("uvicorn.error")


@dataclass
class Drain:
    """One process's drain: not begun, under way, or over."""

    seconds: float
    began: float | None = None  # time.monotonic() of the first signal

    def begin(self) -> None:
        self.began = time.monotonic()

    @property
    def draining(self) -> bool:
        return self.began is not None

    @property
    def over(self) -> bool:
        return self.began is not None and time.monotonic() - self.began >= self.seconds


def is_draining(scope: Scope) -> bool:
    """Whether the process serving this request is draining."""
    drain = scope.get("state", {}).get(STATE_KEY)
    return isinstance(drain, Drain) and drain.draining


class CloseWhileDraining(ResponseHeaders):
    """Every response that starts while the process drains carries `Connection: close`: the
    server closes the connection after it, and the client's next request opens a new one,
    which the balancer sends to an instance that stays."""

    def edit(self, scope: Scope, headers: MutableHeaders) -> None:
        if is_draining(scope):
            headers["Connection"] = "close"


class DrainingServer(Server):
    """uvicorn's server, draining for `drain_seconds` before its usual graceful shutdown."""

    def __init__(self, config: Config, drain_seconds: float) -> None:
        super().__init__(config)
        self.drain = Drain(drain_seconds)
        self._signal = signal.SIGTERM

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        self.lifespan.state[STATE_KEY] = self.drain  # before the application's lifespan runs
        await super().startup(sockets)

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        if not self.started or self.drain.draining:  # not serving yet, or a second signal
            super().handle_exit(sig, frame)
            self.force_exit = self.drain.draining
            return
        self._signal = signal.Signals(sig)
        self.drain.begin()
        # a signal's handler runs in the context of whatever it interrupted, a request's
        # included: the line is logged from an empty one, without that request's id
        contextvars.Context().run(
            logger.info,
            "Received %s: draining for %g s (readyz 503, Connection: close), then shutting down",
            self._signal.name,
            self.drain.seconds,
        )

    async def on_tick(self, counter: int) -> bool:
        if self.drain.over and not self.should_exit:
            super().handle_exit(self._signal, None)  # uvicorn's own shutdown from here on
        return await super().on_tick(counter)


class DrainingProcess(Process):
    """A `--workers` child that runs a DrainingServer."""

    def __init__(self, config: Config, sockets: list[socket.socket], drain_seconds: float) -> None:
        self.drain_seconds = drain_seconds  # pickled with the process: set before it starts
        super().__init__(config, sockets)

    @property
    def server(self) -> Server:
        if self._server is None:
            self._server = DrainingServer(self.config, self.drain_seconds)
        return self._server


class DrainingSupervisor(Multiprocess):
    """uvicorn's `Multiprocess` (which forwards SIGTERM to every worker and waits for them),
    with DrainingServer workers. The methods that start workers are uvicorn 0.54's, starting
    a DrainingProcess. Two changes: SIGTERM and SIGINT reach the workers as they arrive (the
    supervisor's loop would take up to 0.5 s), a second one too (the workers then exit at
    once); and on exit the parent closes its copy of the listening socket, so that the socket
    closes when the last worker closes its own (new connections are refused, not left in a
    backlog nobody accepts)."""

    def __init__(self, config: Config, sockets: list[socket.socket], drain_seconds: float) -> None:
        super().__init__(config, sockets)
        self.drain_seconds = drain_seconds
        self.forwarded = False
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, self._forward)

    def _forward(self, sig: int, frame: FrameType | None) -> None:
        self.signal_queue.append(sig)  # the loop then exits, as uvicorn's does
        self.forwarded = True
        for process in list(self.processes):
            if process.pid is not None:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(process.pid, signal.SIGTERM)

    def _process(self) -> DrainingProcess:
        process = DrainingProcess(self.config, self.sockets, self.drain_seconds)
        process.start()
        return process

    def init_processes(self) -> None:
        for _ in range(self.processes_num):
            self.processes.append(self._process())

    def terminate_all(self) -> None:
        if not self.forwarded:  # exiting for another reason: a worker that failed to start
            super().terminate_all()
        for sock in self.sockets:
            sock.close()

    def restart_all(self) -> None:
        for index, old_process in enumerate(self.processes):
            if self.should_exit.is_set():
                return
            new_process = self._process()
            if not new_process.wait_until_ready(
                self.config.timeout_worker_healthcheck, self.should_exit
            ):
                new_process.kill()
                new_process.join()
                if not self.should_exit.is_set():
                    logger.error(
                        "New child process [%s] was not ready in time; keeping worker [%s] "
                        "and aborting the restart.",
                        new_process.pid,
                        old_process.pid,
                    )
                return
            old_process.terminate()
            old_process.join()
            self.processes[index] = new_process

    def keep_subprocess_alive(self) -> None:
        if self.should_exit.is_set():
            return
        for index, process in enumerate(self.processes):
            if process.is_alive(timeout=self.config.timeout_worker_healthcheck):
                continue
            process.kill()
            process.join()
            if process.exitcode == STARTUP_FAILURE:  # would fail the same way again
                logger.error(
                    "Child process [%s] failed to start, stopping the parent process.",
                    process.pid,
                )
                self.should_exit.set()
                return
            if self.should_exit.is_set():
                return
            logger.info("Child process [%s] died", process.pid)
            self.processes[index] = self._process()

    def handle_ttin(self) -> None:
        logger.info("Received SIGTTIN, increasing the number of processes.")
        self.processes_num += 1
        self.processes.append(self._process())


def serve(config: Config, drain_seconds: float) -> bool:
    """Serve as `uvicorn.run(...)` does, draining on SIGTERM; whether the server started (with
    `--workers N`, the supervisor always counts as started)."""
    if config.workers > 1:
        sock = config.bind_socket()
        with contextlib.suppress(KeyboardInterrupt):
            DrainingSupervisor(config, [sock], drain_seconds).run()
        return True
    config.load_app()
    server = DrainingServer(config, drain_seconds)
    with contextlib.suppress(KeyboardInterrupt):
        server.run()
    return server.started
