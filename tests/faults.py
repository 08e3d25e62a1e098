"""Fault injection for the sync tests (and the sync benchmark): a TCP proxy on 127.0.0.1 that counts
the bytes on the wire and can cut a connection in the middle of an upload, and an httpx transport
that answers 500s, loses answers (timeouts after the hub did the work), tampers with bodies or
records requests for a replay."""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable
from typing import Any

import httpx


class CuttingProxy:
    """Forward 127.0.0.1:port -> 127.0.0.1:target. ``up``/``down`` count bytes each way.

    ``cut_after(n)`` arms a cut: once ``n`` more bytes have gone up, the connection is closed in the
    middle of whatever it was sending (both directions, no answer).
    """

    def __init__(self, target_port: int, host: str = "127.0.0.1") -> None:
        self.host, self.target_port = host, target_port
        self._lsock = socket.socket()
        self._lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._lsock.bind((host, 0))
        self._lsock.listen(32)
        self.port = self._lsock.getsockname()[1]
        self.up = 0
        self.down = 0
        self.cuts = 0
        self._cut_at: int | None = None
        self._lock = threading.Lock()
        self._conns: list[socket.socket] = []
        self._stop = False
        self._thread = threading.Thread(target=self._accept, daemon=True)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> CuttingProxy:
        self._thread.start()
        return self

    def cut_after(self, nbytes: int) -> None:
        with self._lock:
            self._cut_at = self.up + nbytes

    def _accept(self) -> None:
        while not self._stop:
            try:
                client, _ = self._lsock.accept()
            except OSError:
                return
            try:
                server = socket.create_connection((self.host, self.target_port), timeout=10)
            except OSError:
                client.close()
                continue
            server.settimeout(None)
            for s in (client, server):           # forward at once: no Nagle delay between header and body
                s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            with self._lock:
                self._conns += [client, server]
            threading.Thread(target=self._pump, args=(client, server, True), daemon=True).start()
            threading.Thread(target=self._pump, args=(server, client, False), daemon=True).start()

    @staticmethod
    def _kill(*socks: socket.socket) -> None:
        for s in socks:
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            s.close()

    def _pump(self, src: socket.socket, dst: socket.socket, upward: bool) -> None:
        while True:
            try:
                data = src.recv(65536)
            except OSError:
                data = b""
            if not data:
                try:
                    dst.shutdown(socket.SHUT_WR)
                except OSError:
                    pass
                return
            if upward:
                with self._lock:
                    cut = self._cut_at is not None and self.up + len(data) >= self._cut_at
                    part = data[:max(0, self._cut_at - self.up)] if cut and self._cut_at is not None else data
                    self.up += len(part)
                    if cut:
                        self._cut_at = None
                        self.cuts += 1
                if cut:
                    try:
                        dst.sendall(part)
                    except OSError:
                        pass
                    self._kill(src, dst)
                    return
            else:
                with self._lock:
                    self.down += len(data)
            try:
                dst.sendall(data)
            except OSError:
                self._kill(src, dst)
                return

    def stop(self) -> None:
        self._stop = True
        self._lsock.close()
        with self._lock:
            conns, self._conns = self._conns, []
        self._kill(*conns)


class FaultTransport(httpx.BaseTransport):
    """An httpx transport around the real one. ``rule(request, n) -> action`` picks, per request:

    * ``None`` — pass through;
    * ``"500"`` — answer 500 without reaching the hub;
    * ``"lose"`` — let the hub do the work, then raise a read timeout (the answer is lost);
    * ``"timeout"`` — raise a read timeout without reaching the hub;
    * a callable ``body -> body`` — send an altered body (after it was signed).

    Every request that reached the hub is kept in ``sent`` (method, url, headers, body) for replays.
    """

    def __init__(self, rule: Callable[[httpx.Request, int], Any] | None = None) -> None:
        self.inner = httpx.HTTPTransport()
        self.rule = rule
        self.n = 0
        self.sent: list[tuple[str, str, dict[str, str], bytes]] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.n += 1
        action = self.rule(request, self.n) if self.rule else None
        if action == "500":
            return httpx.Response(500, json={"detail": "injected"}, request=request)
        if action == "timeout":
            raise httpx.ReadTimeout("injected timeout", request=request)
        body = request.read()
        if callable(action):
            body = action(body)
            request = httpx.Request(request.method, request.url, headers=request.headers, content=body)
        self.sent.append((request.method, str(request.url), dict(request.headers), body))
        resp = self.inner.handle_request(request)
        if action == "lose":
            resp.read()
            resp.close()
            raise httpx.ReadTimeout("injected: answer lost", request=request)
        return resp

    def close(self) -> None:
        self.inner.close()
