"""`Emulator`: the API and files servers running in a background thread."""

from __future__ import annotations

import asyncio
import logging
import socket
import threading
from dataclasses import replace
from types import TracebackType
from typing import Any

import uvicorn

from ..resources import schema_path
from .api_app import GraphQLApp
from .asgi import InjectedDisconnectFilter
from .clock import AcceleratedClock, Clock
from .config import EmulatorConfig
from .counters import Counters
from .faults import FaultPlan, FaultRule
from .files_app import FilesApp
from .schema import executable_schema
from .state import EmulatorState

__all__ = ["Emulator"]

logger = logging.getLogger("layer_client.emulator")

LOOPBACK_HOST = "127.0.0.1"
STARTUP_TIMEOUT_SECONDS = 15.0
STOP_TIMEOUT_SECONDS = 15.0


def _bind(port: int) -> socket.socket:
    # With the protocol given explicitly, asyncio sets TCP_NODELAY on each
    # accepted connection. With proto 0 it does not, and Nagle's algorithm
    # then adds about 40 ms to every keep-alive request (seen on Linux).
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((LOOPBACK_HOST, port))
    except OSError:
        sock.close()
        raise
    return sock


def _uvicorn_server(app: Any) -> uvicorn.Server:
    config = uvicorn.Config(
        app,
        # The dropped-connection faults depend on how h11 handles an error
        # after the response has started, so the protocol is fixed.
        http="h11",
        ws="none",
        lifespan="off",
        # None keeps uvicorn from replacing the process's logging setup.
        log_config=None,
        # The apps send a Date header in emulated time instead.
        date_header=False,
        server_header=False,
        timeout_graceful_shutdown=1,
    )
    return uvicorn.Server(config)


class Emulator:
    """A local Layer API on two loopback ports, for tests, demos and the CLI.

    Use it as a context manager (`with` or `async with`), or call `start()`
    and `stop()`. `url` is the GraphQL endpoint, `files_url` the origin of
    the generated files. Keyword arguments override fields of `config`.
    """

    def __init__(self, config: EmulatorConfig | None = None, **overrides: Any) -> None:
        config = config if config is not None else EmulatorConfig()
        if overrides:
            config = replace(config, **overrides)
        self.config = config
        self.clock: Clock = (
            config.clock if config.clock is not None else AcceleratedClock(config.speed)
        )
        self.counters = Counters()
        faults_seed = (
            config.faults_seed if config.faults_seed is not None else config.seed
        )
        self.faults = FaultPlan(seed=faults_seed)
        self.faults.set_rules(config.faults)
        self.state = EmulatorState(config, self.clock, self.counters)

        self._servers: list[uvicorn.Server] = []
        self._sockets: list[socket.socket] = []
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._failure: BaseException | None = None
        self._log_filter = InjectedDisconnectFilter()
        self._port: int | None = None
        self._files_port: int | None = None

    # Addresses and credentials

    @property
    def url(self) -> str:
        """The GraphQL endpoint, e.g. `http://127.0.0.1:54321/graphql`."""
        return f"http://{LOOPBACK_HOST}:{self._require_port(self._port)}/graphql"

    @property
    def files_url(self) -> str:
        """Origin of the generated files, e.g. `http://127.0.0.1:54322`."""
        return f"http://{LOOPBACK_HOST}:{self._require_port(self._files_port)}"

    @property
    def port(self) -> int:
        """TCP port of the GraphQL API."""
        return self._require_port(self._port)

    @property
    def files_port(self) -> int:
        """TCP port of the files origin."""
        return self._require_port(self._files_port)

    @property
    def token(self) -> str:
        """The Bearer token the API accepts."""
        return self.config.token

    @property
    def headers(self) -> dict[str, str]:
        """The `Authorization` header that the API accepts."""
        return {"Authorization": f"Bearer {self.config.token}"}

    @property
    def workspace_id(self) -> str:
        """Id of the emulated workspace."""
        return self.state.workspace_id

    @property
    def style_id(self) -> str:
        """Id of the first style that `generateImages` accepts."""
        return self.state.usable_style_ids()[0]

    @property
    def environ(self) -> dict[str, str]:
        """`LAYER_API_KEY`, `LAYER_WORKSPACE_ID` and `LAYER_API_URL` for this emulator."""
        return {
            "LAYER_API_KEY": self.token,
            "LAYER_WORKSPACE_ID": self.workspace_id,
            "LAYER_API_URL": self.url,
        }

    def _require_port(self, port: int | None) -> int:
        if port is None:
            raise RuntimeError("the emulator is not running: call start() first")
        return port

    # Faults

    def set_faults(self, rules: list[FaultRule] | tuple[FaultRule, ...]) -> None:
        """Replace every fault rule; sequences and random draws start again."""
        self.faults.set_rules(rules)

    def add_fault(self, rule: FaultRule) -> None:
        """Add one fault rule after the existing ones."""
        self.faults.add(rule)

    def clear_faults(self) -> None:
        """Remove every fault rule."""
        self.faults.clear()

    # Lifecycle

    def start(self) -> Emulator:
        """Bind both ports and serve in a background thread; return self."""
        if self._thread is not None:
            raise RuntimeError("the emulator is already running")
        self._sockets = [_bind(self.config.port)]
        try:
            self._sockets.append(_bind(self.config.files_port))
        except OSError:
            self._close_sockets()
            raise
        self._port = self._sockets[0].getsockname()[1]
        self._files_port = self._sockets[1].getsockname()[1]
        self.state.files_url = self.files_url

        api_app = GraphQLApp(
            schema=executable_schema(schema_path()),
            state=self.state,
            counters=self.counters,
            faults=self.faults,
            token=self.config.token,
            unauthorized_as_error_member=self.config.unauthorized_as_error_member,
        )
        files_app = FilesApp(
            state=self.state, counters=self.counters, faults=self.faults
        )
        self._servers = [_uvicorn_server(api_app), _uvicorn_server(files_app)]
        logging.getLogger("uvicorn.error").addFilter(self._log_filter)

        self._ready.clear()
        self._failure = None
        self._thread = threading.Thread(
            target=self._run, name=f"layer-emulator-{self._port}", daemon=True
        )
        self._thread.start()
        if not self._ready.wait(STARTUP_TIMEOUT_SECONDS) or self._failure is not None:
            self.stop()
            raise RuntimeError(
                f"the emulator did not start on {LOOPBACK_HOST}:{self._port}"
            ) from self._failure
        logger.info(
            "Layer emulator started: API %s, files %s, workspace %s",
            self.url,
            self.files_url,
            self.workspace_id,
        )
        return self

    def _run(self) -> None:
        try:
            asyncio.run(self._serve())
        except BaseException as error:  # reported to start() through _failure
            logger.exception("the emulator's server thread failed")
            self._failure = error
        finally:
            self._ready.set()

    async def _serve(self) -> None:
        tasks = [
            asyncio.create_task(server.serve(sockets=[sock]))
            for server, sock in zip(self._servers, self._sockets, strict=True)
        ]
        while not all(server.started for server in self._servers):
            if any(task.done() for task in tasks):
                break
            await asyncio.sleep(0.005)
        self._ready.set()
        await asyncio.gather(*tasks)

    def stop(self) -> None:
        """Stop both servers and wait for the thread; safe to call twice."""
        thread = self._thread
        if thread is None:
            return
        for server in self._servers:
            server.should_exit = True
        thread.join(STOP_TIMEOUT_SECONDS)
        if thread.is_alive():
            logger.error("the emulator's server thread did not stop in time")
            for server in self._servers:
                server.force_exit = True
            thread.join(STOP_TIMEOUT_SECONDS)
        self._thread = None
        self._close_sockets()
        logging.getLogger("uvicorn.error").removeFilter(self._log_filter)
        logger.info("Layer emulator stopped (API port %s)", self._port)
        self._port = None
        self._files_port = None

    def _close_sockets(self) -> None:
        for sock in self._sockets:
            sock.close()
        self._sockets = []

    def __enter__(self) -> Emulator:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    async def __aenter__(self) -> Emulator:
        return await asyncio.to_thread(self.start)

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await asyncio.to_thread(self.stop)

    def __repr__(self) -> str:
        where = self.url if self._thread is not None else "stopped"
        return f"Emulator({where}, workspace={self.workspace_id!r})"
