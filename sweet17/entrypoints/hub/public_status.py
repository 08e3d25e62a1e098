"""The hub's public, read-only status page (``sweet17.services.public_status``) as a FastAPI router.

Mount it in the hub app::

    from sweet17.entrypoints.hub.public_status import router as public_status_router
    app.include_router(public_status_router(hub))

=====  ===================  ===================================================================
GET    /status              the form (HTML)
POST   /status              form fields ``nik``, ``birth_date`` -> the answer (HTML)
POST   /v1/public/status    JSON ``{"nik", "birth_date"}`` -> ``{"found", "status", "label", ...}``
=====  ===================  ===================================================================

No authentication; rate-limited per client address and per NIK (HTTP 429 with Retry-After).
Behind a reverse proxy, give the proxy's forwarded address to uvicorn (``--forwarded-allow-ips``)
so that the limit counts clients, not the proxy.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qs

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse
from starlette.concurrency import run_in_threadpool

from sweet17.services.public_status import PublicStatusService, RateLimited, render_page

MAX_BODY = 4096
HEADERS = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer",
           "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'"}


def router(hub: Any, service: PublicStatusService | None = None) -> APIRouter:
    svc = service or PublicStatusService(hub.store)
    office = str(getattr(hub, "name", "") or "")
    r = APIRouter()

    def client(request: Request) -> str:
        return request.client.host if request.client else ""

    @r.get("/status", response_class=HTMLResponse)
    async def form() -> HTMLResponse:
        return HTMLResponse(render_page(office=office), headers=HEADERS)

    @r.post("/status", response_class=HTMLResponse)
    async def check_form(request: Request) -> HTMLResponse:
        body = (await request.body())[:MAX_BODY]
        fields = parse_qs(body.decode("utf-8", errors="replace"))
        nik = (fields.get("nik") or [""])[0]
        birth = (fields.get("birth_date") or [""])[0]
        try:
            answer = await run_in_threadpool(svc.check, client(request), nik, birth)
        except RateLimited as e:
            return HTMLResponse(render_page(office=office, retry_after=e.retry_after), status_code=429,
                                headers={**HEADERS, "Retry-After": str(e.retry_after)})
        return HTMLResponse(render_page(answer, office=office), status_code=200 if answer.kind != "invalid" else 400,
                            headers=HEADERS)

    @r.post("/v1/public/status")
    async def check_json(request: Request) -> JSONResponse:
        body = (await request.body())[:MAX_BODY]
        try:
            d = json.loads(body)
        except ValueError:
            d = None
        if not isinstance(d, dict):
            return JSONResponse({"error": "bad_request", "message": "JSON {nik, birth_date} expected"},
                                status_code=400, headers=HEADERS)
        try:
            answer = await run_in_threadpool(svc.check, client(request), str(d.get("nik", "")),
                                             str(d.get("birth_date", "")))
        except RateLimited as e:
            return JSONResponse({"error": "rate_limited", "retry_after": e.retry_after}, status_code=429,
                                headers={**HEADERS, "Retry-After": str(e.retry_after)})
        return JSONResponse(answer.to_dict(), status_code=200 if answer.kind != "invalid" else 400, headers=HEADERS)

    return r
