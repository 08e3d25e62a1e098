"""The laptop's HTTP client for the hub (httpx): signed requests, retries with back-off, clock offset.

* Every request is signed afresh (new time and nonce), so a retry is never a replay.
* Timeouts, dropped connections, 5xx and 429 answers are retried with exponential back-off and
  jitter (``RetryPolicy``); 4xx refusals are not retried, they are answered to the caller.
* If the hub refuses the laptop's time (``clock_skew``), the client takes the hub's time from the
  answer, remembers the offset for this run and signs again — an offline laptop whose clock has
  drifted can still sync (its recordings keep the times they were captured with).
"""

from __future__ import annotations

import json
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx

from sweet17.errors import UserError
from sweet17.i18n import _
from sweet17.services.sync import protocol as P


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 6              # tries per request, the first included
    base_delay: float = 0.5        # seconds before the first retry
    max_delay: float = 20.0
    jitter: float = 0.3            # +/- this fraction

    def delay(self, retry: int) -> float:
        d = min(self.max_delay, self.base_delay * (2 ** retry))
        return max(0.0, d * (1 + random.uniform(-self.jitter, self.jitter)))


class HubUnreachable(UserError):
    """The hub could not be reached or kept failing after every retry."""


class HubRefused(UserError):
    """The hub answered with a refusal (4xx) that retrying will not change."""

    def __init__(self, message: str, code: str, status: int, body: dict[str, Any]) -> None:
        super().__init__(message)
        self.code = code
        self.status = status
        self.body = body


def refusal_message(code: str, detail: str = "") -> str:
    text = _(P.ERRORS.get(code, "the hub could not read the request"))
    return text + (f" ({detail})" if detail else "")


@dataclass
class WireStats:
    requests: int = 0
    retries: int = 0
    bytes_up: int = 0          # request bodies put on the wire (re-sends included)
    payload_up: int = 0        # of which payload chunks
    bytes_down: int = 0        # response bodies


class HubClient:
    def __init__(self, base_url: str, laptop_id: str, sign: Callable[[bytes], bytes], *,
                 retry: RetryPolicy | None = None, timeout: float = 30.0, transport: Any = None,
                 clock: Callable[[], float] = time.time, sleep: Callable[[float], None] = time.sleep,
                 on_retry: Callable[[str, int, float], None] | None = None, ca_file: str | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self.laptop_id = laptop_id
        self._sign = sign
        self.retry = retry or RetryPolicy()
        self.clock = clock
        self.sleep = sleep
        self.offset = 0.0              # hub time minus laptop time, learnt from a clock_skew refusal
        self.on_retry = on_retry
        self.stats = WireStats()
        self._lock = threading.Lock()
        verify: Any = True
        if ca_file:                     # the office's own CA (or the hub's certificate) for HTTPS
            import ssl

            try:
                verify = ssl.create_default_context(cafile=ca_file)
            except (OSError, ssl.SSLError) as e:
                raise UserError(_("The certificate file {path} cannot be read: {detail}").format(
                    path=ca_file, detail=e), path=ca_file) from None
        self._http = httpx.Client(base_url=self.base_url, timeout=httpx.Timeout(timeout, connect=10.0),
                                  transport=transport, verify=verify, headers={"User-Agent": "sweet17-laptop"})

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> HubClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------ core
    def request(self, method: str, path: str, *, body: bytes = b"", content_type: str = "application/json",
                signed: bool = True, ok_codes: tuple[str, ...] = ()) -> httpx.Response:
        """Send with retries. Returns 2xx answers and refusals whose code is in ``ok_codes``."""
        skew_fixed = False
        last: str = ""
        for attempt in range(self.retry.attempts):
            headers = {"Content-Type": content_type} if body else {}
            if signed:
                headers.update(P.signed_headers(self._sign, self.laptop_id, method, path, body,
                                                now=self.clock() + self.offset))
            with self._lock:
                self.stats.requests += 1
                self.stats.bytes_up += len(body)
                if content_type == "application/octet-stream":
                    self.stats.payload_up += len(body)
            try:
                resp = self._http.request(method, path, content=body or None, headers=headers)
            except httpx.TransportError as e:   # timeouts, refused or dropped connections, protocol errors
                if "CERTIFICATE_VERIFY_FAILED" in str(e) or "certificate verify failed" in str(e):
                    raise UserError(_("The hub at {url} shows a certificate this laptop does not trust; give the "
                                      "office's certificate with --ca FILE").format(url=self.base_url)) from None
                last = f"{type(e).__name__}: {e}" if str(e) else type(e).__name__
                self._wait(attempt, last)
                continue
            with self._lock:
                self.stats.bytes_down += len(resp.content)
            if resp.status_code >= 500 or resp.status_code == 429:
                last = f"HTTP {resp.status_code}"
                self._wait(attempt, last)
                continue
            if resp.is_success:
                return resp
            err = self._error_body(resp)
            code = str(err.get("error", ""))
            if code == "clock_skew" and not skew_fixed and isinstance(err.get("server_time"), int | float):
                self.offset = float(err["server_time"]) - self.clock()
                skew_fixed = True
                continue
            if code in ok_codes:
                return resp
            if code not in P.ERRORS:
                raise HubRefused(_("The address {url} answered HTTP {status}, not like a sweet17 hub; check the "
                                   "address").format(url=self.base_url, status=resp.status_code), code,
                                 resp.status_code, err)
            raise HubRefused(refusal_message(code, str(err.get("detail", ""))), code, resp.status_code, err)
        raise HubUnreachable(_("The hub at {url} could not be reached after {n} tries ({detail}). Nothing was "
                               "lost: run sweet17 sync again later, or use a USB bundle (sweet17 sync --bundle "
                               "FILE).").format(url=self.base_url, n=self.retry.attempts, detail=last))

    def _wait(self, attempt: int, why: str) -> None:
        if attempt + 1 >= self.retry.attempts:
            return
        with self._lock:
            self.stats.retries += 1
        d = self.retry.delay(attempt)
        if self.on_retry:
            self.on_retry(why, attempt + 1, d)
        self.sleep(d)

    @staticmethod
    def _error_body(resp: httpx.Response) -> dict[str, Any]:
        try:
            d = resp.json()
            return d if isinstance(d, dict) else {}
        except ValueError:
            return {}

    def _json(self, resp: httpx.Response) -> Any:
        try:
            return resp.json()
        except ValueError:
            raise UserError(_("The hub at {url} answered something that is not sweet17 JSON").format(
                url=self.base_url)) from None

    # ------------------------------------------------------------------ endpoints
    def hello(self) -> dict[str, Any]:
        d = self._json(self.request("GET", "/v1/hello", signed=False))
        if not isinstance(d, dict) or d.get("protocol") != P.PROTOCOL:
            raise UserError(_("{url} is not a sweet17 hub (or speaks another protocol version)").format(
                url=self.base_url))
        return d

    def enrol(self, public_b64: str, name: str) -> dict[str, Any]:
        body = P.canonical_json({"kind": P.ENROL_KIND, "laptop_id": self.laptop_id, "public_key": public_b64,
                                 "name": name})
        return self._json(self.request("POST", "/v1/laptops/enrol", body=body))

    def manifests(self, items: list[dict[str, str]]) -> list[dict[str, Any]]:
        d = self._json(self.request("POST", "/v1/manifests", body=P.canonical_json({"recordings": items})))
        return list(d.get("recordings", []))

    def put_chunk(self, rid: str, offset: int, data: bytes) -> tuple[dict[str, Any], str]:
        """(answer, error code) — ``offset_mismatch`` and ``payload_hash_mismatch`` are answered, not raised."""
        resp = self.request("PUT", f"/v1/recordings/{rid}/payload?offset={offset}", body=data,
                            content_type="application/octet-stream",
                            ok_codes=("offset_mismatch", "payload_hash_mismatch"))
        d = self._json(resp)
        return d, ("" if resp.is_success else str(d.get("error", "")))

    def state(self, rid: str) -> dict[str, Any]:
        return self._json(self.request("GET", f"/v1/recordings/{rid}"))

    def deliveries(self, body: bytes) -> list[dict[str, Any]]:
        """Send a ``protocol.pack_deliveries`` batch; the hub's answer per hand-over."""
        d = self._json(self.request("POST", "/v1/deliveries", body=body, content_type=P.DELIVERIES_CONTENT_TYPE))
        return list(d.get("deliveries", [])) if isinstance(d, dict) else []

    def statuses(self, recording_ids: list[str]) -> tuple[bytes, str]:
        resp = self.request("POST", "/v1/status", body=P.canonical_json({"recording_ids": recording_ids}))
        return resp.content, resp.headers.get(P.HDR_HUB_SIGNATURE, "")


def dumps(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False, sort_keys=True)
