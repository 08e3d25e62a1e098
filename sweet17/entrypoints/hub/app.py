"""The hub's HTTP API (FastAPI). See ``sweet17.services.sync.protocol`` for the protocol.

=======  ====================================  ==========================================
GET      /v1/health                            liveness (no authentication)
GET      /v1/hello                             hub id, public keys, hub time (no authentication)
POST     /v1/laptops/enrol                     register a laptop key (signed by that key)
POST     /v1/manifests                         signed manifests of a batch -> state per recording
PUT      /v1/recordings/{id}/payload?offset=N  raw payload bytes from offset N -> state (+ receipt)
GET      /v1/recordings/{id}                   state of one recording (+ receipt)
POST     /v1/status                            signed statuses of the laptop's recordings
POST     /v1/deliveries                        card hand-overs (binary batch) -> signed receipts
GET      /status, POST /status                 the public status page (NIK + birth date, HTML)
POST     /v1/public/status                     the same as JSON
=======  ====================================  ==========================================

Every endpoint but health, hello, enrol and the public status page requires a signed request
from an approved laptop; the public page is rate-limited instead (``entrypoints.hub.public_status``).
Refusals answer ``{"error": code, "message": ..., ...}`` with a 4xx status. Database work runs
in the thread pool so one slow request does not hold the others.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect

from sweet17.services.hub import auth, deliveries, intake, laptops, status
from sweet17.services.hub.config import Hub
from sweet17.services.hub.errors import HubRefusal
from sweet17.services.sync import protocol as P

log = logging.getLogger("sweet17.hub")
BODY_LIMIT = P.MAX_CHUNK + 64 * 1024       # a chunk, or a batch of manifests, plus headroom


def _target(request: Request) -> str:
    q = request.url.query
    return request.url.path + (f"?{q}" if q else "")


def _remote(request: Request) -> str:
    return request.client.host if request.client else ""


def create_app(hub: Hub) -> FastAPI:
    app = FastAPI(title="sweet17 hub", version=P.PROTOCOL, docs_url=None, redoc_url=None, openapi_url=None)
    app.state.hub = hub

    @app.exception_handler(HubRefusal)
    async def refusal(_request: Request, exc: HubRefusal) -> JSONResponse:
        return JSONResponse(exc.to_dict(), status_code=exc.http_status)

    async def read_body(request: Request) -> bytes:
        """The body, refused past ``BODY_LIMIT`` before it is all read (requests are checked after)."""
        declared = request.headers.get("content-length")
        if declared and (not declared.isdigit() or int(declared) > BODY_LIMIT):
            raise HubRefusal("too_large", 413)
        body = bytearray()
        try:
            async for part in request.stream():
                body += part
                if len(body) > BODY_LIMIT:
                    raise HubRefusal("too_large", 413)
        except ClientDisconnect:      # the connection was cut mid-body: nothing was stored
            raise HubRefusal("bad_request", 400, "connection closed before the body was complete") from None
        return bytes(body)

    async def signed(request: Request) -> tuple[dict[str, Any], bytes]:
        body = await read_body(request)
        laptop = await run_in_threadpool(auth.authenticate, hub, request.method, _target(request),
                                         request.headers, body, _remote(request))
        return laptop, body

    def _json(body: bytes) -> Any:
        try:
            return json.loads(body)
        except ValueError:
            raise HubRefusal("bad_request", 400, "body is not JSON") from None

    @app.get("/v1/health")
    async def health() -> dict[str, Any]:
        return {"ok": True, "hub_id": hub.hub_id}

    @app.get("/v1/hello")
    async def hello() -> dict[str, Any]:
        return hub.hello()

    @app.post("/v1/laptops/enrol")
    async def enrol(request: Request) -> dict[str, Any]:
        from sweet17.adapters import crypto

        body = await read_body(request)
        d = _json(body)
        if not isinstance(d, dict) or d.get("kind") != P.ENROL_KIND:
            raise HubRefusal("bad_request", 400, "enrolment request expected")
        try:
            public = crypto.unb64(str(d.get("public_key", "")))
        except ValueError:
            raise HubRefusal("bad_request", 400, "public key") from None
        # Proof of possession: the request is signed by the key being enrolled.
        auth.check_signature(public, request.method, _target(request), request.headers, body)
        if request.headers.get(P.HDR_LAPTOP) != d.get("laptop_id"):
            raise HubRefusal("bad_request", 400, "laptop id differs from the signed header")
        result = await run_in_threadpool(laptops.enrol, hub, str(d.get("laptop_id", "")), public,
                                         str(d.get("name", ""))[:100], "http", _remote(request))
        return {**result, "hub": hub.hello()}

    @app.post("/v1/manifests")
    async def manifests(request: Request) -> dict[str, Any]:
        laptop, body = await signed(request)
        d = _json(body)
        items = d.get("recordings") if isinstance(d, dict) else None
        results = await run_in_threadpool(intake.accept_manifests, hub, laptop, items, "http")
        return {"recordings": results}

    @app.put("/v1/recordings/{rid}/payload")
    async def payload(rid: str, request: Request, offset: int = 0) -> dict[str, Any]:
        laptop, body = await signed(request)
        return await run_in_threadpool(intake.put_chunk, hub, laptop, rid, offset, body)

    @app.get("/v1/recordings/{rid}")
    async def recording(rid: str, request: Request) -> dict[str, Any]:
        laptop, _body = await signed(request)
        return await run_in_threadpool(intake.recording_state, hub, laptop, rid)

    @app.post("/v1/status")
    async def statuses(request: Request) -> Response:
        laptop, body = await signed(request)
        d = _json(body)
        ids = d.get("recording_ids") if isinstance(d, dict) else None
        if not isinstance(ids, list) or len(ids) > 5000:
            raise HubRefusal("bad_request", 400, "recording_ids: a list of at most 5000 ids expected")
        doc, sig = await run_in_threadpool(status.status_document, hub, laptop["laptop_id"], ids)
        return Response(doc, media_type="application/json", headers={P.HDR_HUB_SIGNATURE: sig})

    @app.post("/v1/deliveries")
    async def hand_overs(request: Request) -> dict[str, Any]:
        laptop, body = await signed(request)
        try:
            items = P.unpack_deliveries(body)
        except P.ProtocolError as e:
            raise HubRefusal("bad_request", 400, str(e)) from None
        results = await run_in_threadpool(deliveries.accept_deliveries, hub, laptop, items, "http")
        return {"deliveries": results}

    from sweet17.entrypoints.hub.public_status import router as public_status_router

    app.include_router(public_status_router(hub))
    return app
