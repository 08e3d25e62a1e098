"""Running the hub with uvicorn: in the foreground (``sweet17 hub serve``) or in a background
thread (tests, benchmarks, an embedded hub)."""

from __future__ import annotations

import socket
import threading
import time
from dataclasses import dataclass
from typing import Any

from sweet17.services.hub.config import Hub


def _config(hub: Hub, host: str, port: int, log_level: str = "warning", tls_cert: str | None = None,  # type: ignore[no-untyped-def]
            tls_key: str | None = None):
    import uvicorn

    from sweet17.entrypoints.hub.app import create_app

    return uvicorn.Config(create_app(hub), host=host, port=port, log_level=log_level, access_log=False,
                          lifespan="off", timeout_keep_alive=30, h11_max_incomplete_event_size=64 * 1024,
                          ssl_certfile=tls_cert, ssl_keyfile=tls_key)


def serve(hub: Hub, host: str = "127.0.0.1", port: int = 8717, log_level: str = "info",
          tls_cert: str | None = None, tls_key: str | None = None) -> None:
    """Serve until interrupted (Ctrl-C or SIGTERM); HTTPS when a certificate and key are given."""
    import uvicorn

    uvicorn.Server(_config(hub, host, port, log_level, tls_cert, tls_key)).run()


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


@dataclass
class BackgroundServer:
    """A hub served from a thread; ``stop()`` shuts it down (connections are closed)."""

    hub: Hub
    host: str
    port: int
    tls_cert: str | None = None
    tls_key: str | None = None
    _server: Any = None
    _thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"{'https' if self.tls_cert else 'http'}://{self.host}:{self.port}"

    def start(self, timeout: float = 10.0) -> BackgroundServer:
        import uvicorn

        self._server = uvicorn.Server(_config(self.hub, self.host, self.port, tls_cert=self.tls_cert,
                                              tls_key=self.tls_key))
        self._server.install_signal_handlers = lambda: None  # type: ignore[method-assign]
        self._thread = threading.Thread(target=self._server.run, name=f"hub-{self.port}", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"hub did not start on {self.url}")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
            self._server.force_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)
        self._server = self._thread = None

    def __enter__(self) -> BackgroundServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def start_background(hub: Hub, host: str = "127.0.0.1", port: int | None = None, tls_cert: str | None = None,
                     tls_key: str | None = None) -> BackgroundServer:
    return BackgroundServer(hub, host, port or free_port(host), tls_cert, tls_key).start()
