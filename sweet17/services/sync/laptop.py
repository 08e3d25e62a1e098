"""Sync on the laptop: enrolment, sending approved recordings over HTTP or in a USB bundle, the hub's
receipts and status updates.

``sync_http`` sends each approved recording without a receipt: the signed manifests of a batch
first, then the sealed payload in chunks from the offset the hub already holds (so a run cut
anywhere resumes where it stopped and re-sends at most the chunk in flight), and stores the
hub's signed receipt once it verifies against the hub key and the local recording. Then it sends
the card hand-overs the hub has not acknowledged (``sync.deliveries``), pulls status updates and
purges payloads whose retention has passed. Nothing is deleted or marked sent without a verified
receipt; a failure leaves every recording and hand-over where it was.
"""

from __future__ import annotations

import json
import threading
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy import text

from sweet17.errors import UserError
from sweet17.i18n import _
from sweet17.services.sync import protocol as P


class Progress(Protocol):
    def start(self, recordings: int, total_bytes: int) -> None: ...
    def advance(self, nbytes: int) -> None: ...
    def recording_done(self) -> None: ...
    def note(self, message: str) -> None: ...


class _NoProgress:
    def start(self, recordings: int, total_bytes: int) -> None: ...
    def advance(self, nbytes: int) -> None: ...
    def recording_done(self) -> None: ...
    def note(self, message: str) -> None: ...


@dataclass
class SyncResult:
    mode: str                           # "http", "bundle", "receipts"
    target: str                         # hub URL or file
    recordings: int = 0                 # recordings this run handled
    sent: int = 0                       # newly delivered (receipt stored this run)
    already: int = 0                    # the hub already held them (receipt stored or re-confirmed)
    refused: list[dict[str, str]] = field(default_factory=list)
    bytes_sent: int = 0                 # payload bytes put on the wire, re-sends included
    payload_bytes: int = 0              # size of the payloads handled
    statuses: int = 0                   # new status events pulled
    acknowledged: int = 0               # recordings that became acknowledged
    purged: int = 0
    file: str | None = None
    bundle_id: str | None = None
    deliveries: int = 0                 # card hand-overs this run handled
    deliveries_sent: int = 0            # newly at the hub (HTTP: receipt stored; bundle: written)
    deliveries_already: int = 0         # the hub already held them
    lock: Any = field(default_factory=threading.Lock, repr=False, compare=False)   # parallel uploads

    def to_dict(self) -> dict[str, Any]:
        return {"mode": self.mode, "target": self.target, "recordings": self.recordings, "sent": self.sent,
                "already": self.already, "bytes_sent": self.bytes_sent,
                "payload_bytes": self.payload_bytes, "statuses": self.statuses, "acknowledged": self.acknowledged,
                "purged": self.purged, "file": self.file, "bundle_id": self.bundle_id,
                "deliveries": self.deliveries, "deliveries_sent": self.deliveries_sent,
                "deliveries_already": self.deliveries_already,
                "refused": [{"kind": "recording", **r} for r in self.refused]}


def now_utc() -> str:
    from sweet17.services.workspace import now_utc as _now

    return _now()


def _signer(ws):  # type: ignore[no-untyped-def]
    from sweet17.adapters import crypto
    from sweet17.services.keys import laptop_signing_key

    key = laptop_signing_key(ws)
    return lambda data: crypto.sign(key, data)


def make_client(ws, url: str, **kw: Any):  # type: ignore[no-untyped-def]
    from sweet17.services.keys import laptop_id
    from sweet17.services.sync.client import HubClient, RetryPolicy

    retry = kw.pop("retry", None) or RetryPolicy(
        attempts=int(ws.setting("sync.retry_attempts", 6)), base_delay=float(ws.setting("sync.retry_base_s", 0.5)))
    ca = kw.pop("ca_file", None) or ws.setting("sync.ca_file") or ws.get_meta(CA_META) or None
    return HubClient(url, laptop_id(ws), _signer(ws), retry=retry,
                     timeout=float(ws.setting("sync.timeout_s", 30)), ca_file=ca, **kw)


CA_META = "sync.ca_file"     # the certificate given at enrolment, for HTTPS hubs


# ---------------------------------------------------------------------------- enrolment

def enrol(ws, url: str, *, name: str | None = None, expect_fingerprint: str | None = None,  # type: ignore[no-untyped-def]
          replace: bool = False, client: Any = None, ca_file: str | None = None) -> dict[str, Any]:
    """Register this laptop's key with the hub and install the hub's public keys (and, for an HTTPS hub,
    remember the certificate to trust)."""
    from sweet17.adapters import crypto
    from sweet17.services.keys import HubKeys, hub_keys, install_hub_keys, laptop_public

    if ca_file:
        ca_file = str(Path(ca_file).resolve())
    own = client is None
    client = client or make_client(ws, url, ca_file=ca_file)
    try:
        hello = client.hello()
        sign_public = crypto.unb64(hello["sign_public"])
        seal_public = crypto.unb64(hello["seal_public"])
        fp = crypto.fingerprint(sign_public)
        if expect_fingerprint and expect_fingerprint.replace(" ", "").upper() != fp.replace(" ", ""):
            raise UserError(_("The hub at {url} shows key fingerprint {fp}, not {expected}: not enrolling").format(
                url=url, fp=fp, expected=expect_fingerprint), field="--fingerprint")
        current = hub_keys(ws)
        if current is not None and current.sign_public != sign_public and not replace:
            raise UserError(_("This laptop is already enrolled with another hub ({hub}). Recordings are sealed to "
                              "that hub's key; give --replace only if the office has moved to this hub.").format(
                hub=current.hub_id or current.url), field="--hub")
        answer = client.enrol(crypto.b64(laptop_public(ws)), name or str(ws.setting("workspace.laptop_name", "")))
    finally:
        if own:
            client.close()
    install_hub_keys(ws, HubKeys(seal_public, sign_public, url.rstrip("/"), str(hello["hub_id"])))
    if ca_file:
        ws.set_meta(CA_META, ca_file)
    ws.audit("system", "sync.enrol", str(hello["hub_id"]), {"url": url, "status": answer.get("status")})
    return {"hub_id": hello["hub_id"], "hub_url": url.rstrip("/"), "hub_fingerprint": fp,
            "laptop_id": answer.get("laptop_id"), "laptop_fingerprint": answer.get("fingerprint"),
            "status": answer.get("status")}


def import_hub_keys(ws, path: Path | str, url: str | None = None):  # type: ignore[no-untyped-def]
    """Install the hub's public keys from ``hub_public.json`` (written by ``sweet17 hub init``)."""
    from sweet17.adapters import crypto
    from sweet17.services.keys import HubKeys, hub_keys, install_hub_keys

    path = Path(path)
    try:
        d = json.loads(path.read_text(encoding="utf-8"))
        keys = HubKeys(crypto.unb64(d["seal_public"]), crypto.unb64(d["sign_public"]), url or d.get("url", ""),
                       str(d.get("hub_id", "")))
        if len(keys.seal_public) != 32 or len(keys.sign_public) != 32:
            raise ValueError("keys must be 32 bytes")
    except FileNotFoundError:
        raise UserError(_("File {path} not found").format(path=path), path=path) from None
    except (OSError, ValueError, KeyError, TypeError) as e:
        raise UserError(_("{path} is not a hub key file: {detail}").format(path=path, detail=e), path=path) from None
    current = hub_keys(ws)
    if current is not None and current.sign_public != keys.sign_public:
        raise UserError(_("This laptop is already enrolled with another hub ({hub}); not replacing its keys").format(
            hub=current.hub_id or current.url), path=path)
    install_hub_keys(ws, keys)
    return keys


# ---------------------------------------------------------------------------- local checks

@dataclass
class Outgoing:
    id: str
    manifest: str
    signature: str
    payload_sha256: str
    payload_size: int


def _pending(conn: Any) -> list[Outgoing]:
    rows = conn.execute(text(
        "SELECT r.id, r.manifest, r.signature, r.payload_sha256, r.payload_size FROM recording r "
        "JOIN recording_payload p ON p.recording_id = r.id LEFT JOIN sync_receipt c ON c.recording_id = r.id "
        "WHERE r.status = 'approved' AND c.recording_id IS NULL ORDER BY r.captured_at, r.id")).all()
    return [Outgoing(*r) for r in rows]


def _load_payload(conn: Any, rid: str) -> bytes | None:
    v = conn.execute(text("SELECT sealed FROM recording_payload WHERE recording_id = :i"), {"i": rid}).scalar()
    return None if v is None else bytes(v)


def _local_problem(out: Outgoing, sealed: bytes | None, laptop_public: bytes) -> str:
    """Check the local copy before it leaves: the manifest's signature and the payload's hash."""
    from sweet17.adapters import crypto

    if sealed is None:
        return "payload missing on this laptop"
    try:
        crypto.verify(laptop_public, crypto.unb64(out.signature), out.manifest.encode("utf-8"))
        m = json.loads(out.manifest)
    except (ValueError, crypto.CryptoError):
        return "manifest signature does not verify with this laptop's key"
    if P.sha256_hex(sealed) != out.payload_sha256 or m.get("payload_sha256") != out.payload_sha256 \
            or len(sealed) != out.payload_size:
        return "local payload does not match its signed hash (damaged)"
    return ""


# ---------------------------------------------------------------------------- receipts and statuses

def store_receipt(conn: Any, ws, keys, signed: dict[str, Any], via: str, me: str) -> str:  # type: ignore[no-untyped-def]
    """Verify a signed receipt and record it (``me``: this laptop's id). Returns "new", "already" or raises
    ``ProtocolError``."""
    sr = P.SignedReceipt.from_dict(signed)
    rc = sr.open(keys.sign_public)
    if keys.hub_id and rc.hub_id != keys.hub_id:
        raise P.ProtocolError(f"receipt from hub {rc.hub_id}, this laptop is enrolled with {keys.hub_id}")
    if rc.laptop_id != me:
        raise P.ProtocolError("receipt is for another laptop")
    row = conn.execute(text("SELECT manifest, payload_sha256, payload_size, status FROM recording WHERE id = :i"),
                       {"i": rc.recording_id}).first()
    if row is None:
        raise P.ProtocolError(f"receipt for unknown recording {rc.recording_id}")
    manifest, psha, psize, status = row
    if (rc.manifest_sha256 != P.sha256_hex(manifest.encode("utf-8")) or rc.payload_sha256 != psha
            or rc.payload_size != psize):
        raise P.ProtocolError(f"receipt for {rc.recording_id} does not match the local recording")
    have = conn.execute(text("SELECT 1 FROM sync_receipt WHERE recording_id = :i"), {"i": rc.recording_id}).first()
    if have:
        return "already"
    now = now_utc()
    conn.execute(text("INSERT INTO sync_receipt (recording_id, hub_id, receipt, signature, verified, problem, "
                      "hub_received_at, stored_at, via) VALUES (:i, :h, :r, :s, :v, :p, :hr, :st, :via)"),
                 {"i": rc.recording_id, "h": rc.hub_id, "r": sr.receipt, "s": sr.signature, "v": 1 if rc.verified else 0,
                  "p": rc.problem, "hr": rc.received_at, "st": now, "via": via})
    if status == "approved":
        conn.execute(text("UPDATE recording SET status = 'synced', synced_at = :t, receipt = :r WHERE id = :i"),
                     {"t": now, "r": json.dumps(sr.to_dict()), "i": rc.recording_id})
    conn.execute(text("UPDATE sync_upload SET confirmed_bytes = :n, last_error = '', updated_at = :t "
                      "WHERE recording_id = :i"), {"n": psize, "t": now, "i": rc.recording_id})
    ws.audit("system", "recording.synced", rc.recording_id,
             {"hub": rc.hub_id, "via": via, "verified": rc.verified}, conn=conn)
    return "new"


def apply_statuses(conn: Any, ws, statuses: dict[str, list[P.StatusEvent]]) -> tuple[int, int]:  # type: ignore[no-untyped-def]
    """Record the hub's status events; returns (new events, recordings newly acknowledged)."""
    new = acked = 0
    now = now_utc()
    for rid, events in statuses.items():
        row = conn.execute(text("SELECT status FROM recording WHERE id = :i"), {"i": rid}).first()
        if row is None or not events:
            continue
        for e in events:
            res = conn.execute(text("INSERT INTO sync_status_event (recording_id, hub_seq, status, at, detail, "
                                    "pulled_at) VALUES (:i, :q, :s, :at, :d, :p) ON CONFLICT (recording_id, hub_seq) "
                                    "DO NOTHING"),
                               {"i": rid, "q": e.seq, "s": e.status, "at": e.at, "d": e.detail[:300], "p": now})
            new += res.rowcount
        last = max(events, key=lambda e: e.seq)
        conn.execute(text("UPDATE recording SET hub_status = :s, hub_status_at = :at WHERE id = :i"),
                     {"s": last.status, "at": last.at, "i": rid})
        if row[0] == "synced" and any(e.status in P.ACK_STATUSES for e in events):
            conn.execute(text("UPDATE recording SET status = 'acknowledged', acknowledged_at = :t WHERE id = :i "
                              "AND status = 'synced'"), {"t": now, "i": rid})
            ws.audit("system", "recording.acknowledged", rid, {"hub_status": last.status}, conn=conn)
            acked += 1
    return new, acked


def _status_ids(ws) -> list[str]:  # type: ignore[no-untyped-def]
    finals = tuple(P.FINAL_STATUSES)
    with ws.engine.connect() as conn:
        return list(conn.execute(text(
            "SELECT r.id FROM recording r JOIN sync_receipt c ON c.recording_id = r.id WHERE r.status IN "
            f"('synced', 'acknowledged') AND (r.hub_status IS NULL OR r.hub_status NOT IN ({', '.join(repr(f) for f in finals)})) "
            "ORDER BY r.captured_at")).scalars())


def pull_statuses(ws, client, keys) -> tuple[int, int]:  # type: ignore[no-untyped-def]
    from sweet17.services.keys import laptop_id

    ids = _status_ids(ws)
    new = acked = 0
    for i in range(0, len(ids), 1000):
        body, sig = client.statuses(ids[i:i + 1000])
        try:
            statuses = P.parse_status_document(body, keys.sign_public, sig, hub_id=keys.hub_id or
                                               json.loads(body).get("hub_id", ""), laptop_id=laptop_id(ws))
        except (P.ProtocolError, ValueError) as e:
            raise UserError(_("The hub's status answer does not verify ({detail}); statuses were not "
                              "updated").format(detail=e)) from None
        with ws.engine.begin() as conn:
            n, a = apply_statuses(conn, ws, statuses)
        new += n
        acked += a
    return new, acked


# ---------------------------------------------------------------------------- runs

def _start_run(ws, mode: str, target: str) -> int:  # type: ignore[no-untyped-def]
    with ws.engine.begin() as conn:
        return int(conn.execute(text("INSERT INTO sync_run (mode, target, started_at) VALUES (:m, :t, :at) "
                                     "RETURNING id"), {"m": mode, "t": target, "at": now_utc()}).scalar())


def _finish_run(ws, run_id: int, res: SyncResult, outcome: str, error: str = "") -> None:  # type: ignore[no-untyped-def]
    with ws.engine.begin() as conn:
        conn.execute(text("UPDATE sync_run SET finished_at = :at, recordings = :n, sent = :s, already = :a, "
                          "refused = :r, bytes_sent = :b, statuses = :st, purged = :p, outcome = :o, error = :e "
                          "WHERE id = :id"),
                     {"at": now_utc(), "n": res.recordings, "s": res.sent, "a": res.already, "r": len(res.refused),
                      "b": res.bytes_sent, "st": res.statuses, "p": res.purged, "o": outcome, "e": error[:500],
                      "id": run_id})


def _quick_begin(ws):  # type: ignore[no-untyped-def]
    """A transaction on the workspace database whose commit does not wait for the disk (WAL,
    ``synchronous=NORMAL``): for upload progress notes only — the hub's offset is the truth, so a
    note lost in a power cut costs nothing. Its own short-lived connection, so the workspace's
    connections keep ``synchronous=FULL``."""
    from sqlalchemy import create_engine, event
    from sqlalchemy.pool import NullPool

    engine = create_engine(f"sqlite:///{ws.db_path}", poolclass=NullPool)

    def on_connect(dbapi_conn, _record):  # type: ignore[no-untyped-def]
        dbapi_conn.isolation_level = None
        for pragma in ("journal_mode=WAL", "foreign_keys=ON", "synchronous=NORMAL", "busy_timeout=10000"):
            dbapi_conn.execute(f"PRAGMA {pragma}")

    event.listen(engine, "connect", on_connect)
    event.listen(engine, "begin", lambda conn: conn.exec_driver_sql("BEGIN IMMEDIATE"))

    from contextlib import contextmanager

    @contextmanager
    def tx():  # type: ignore[no-untyped-def]
        try:
            with engine.begin() as conn:
                yield conn
        finally:
            engine.dispose()

    return tx()


def _upload_note(ws, rid: str, hub_id: str, *, confirmed: int | None = None, sent: int = 0,  # type: ignore[no-untyped-def]
                 error: str | None = None, attempt: bool = False) -> None:
    now = now_utc()
    with _quick_begin(ws) as conn:
        conn.execute(text("INSERT INTO sync_upload (recording_id, hub_id, started_at, updated_at) VALUES "
                          "(:i, :h, :t, :t) ON CONFLICT (recording_id) DO NOTHING"), {"i": rid, "h": hub_id, "t": now})
        conn.execute(text("UPDATE sync_upload SET confirmed_bytes = COALESCE(:c, confirmed_bytes), "
                          "sent_bytes = sent_bytes + :s, attempts = attempts + :a, "
                          "last_error = COALESCE(:e, last_error), updated_at = :t WHERE recording_id = :i"),
                     {"c": confirmed, "s": sent, "a": 1 if attempt else 0, "e": error, "t": now, "i": rid})


# ---------------------------------------------------------------------------- HTTP

def _check_hub(client, keys) -> None:  # type: ignore[no-untyped-def]
    from sweet17.adapters import crypto

    hello = client.hello()
    if crypto.unb64(hello["sign_public"]) != keys.sign_public or \
            (keys.hub_id and hello.get("hub_id") != keys.hub_id):
        raise UserError(_("The hub at {url} is not the hub this laptop is enrolled with ({hub}); nothing was "
                          "sent").format(url=client.base_url, hub=keys.hub_id or keys.url))
    if crypto.unb64(hello["seal_public"]) != keys.seal_public:
        raise UserError(_("The hub at {url} now has another sealing key than the one this laptop seals to; "
                          "ask the hub administrator").format(url=client.base_url))


def sync_http(ws, url: str | None = None, *, progress: Progress | None = None, client: Any = None,  # type: ignore[no-untyped-def]
              chunk_size: int | None = None, batch: int = 100, purge_after: bool = True,
              parallel: int | None = None) -> SyncResult:
    """Send every approved recording without a receipt, store receipts, pull statuses, purge.

    ``parallel`` recordings are uploaded at once (``sync.parallel``, default 3): on a link with
    latency, and at a hub that waits for its disk, overlapping uploads is what keeps the line busy.
    """
    from sweet17.services.keys import laptop_public, require_hub_keys
    from sweet17.services.sync.client import HubRefused
    from sweet17.services.sync.deliveries import send_deliveries
    from sweet17.services.sync.queue import purge

    keys = require_hub_keys(ws)
    url = (url or keys.url or "").rstrip("/")
    if not url:
        raise UserError(_("No hub address: give --hub URL (or enrol with sweet17 sync enrol --hub URL)"), field="--hub")
    chunk_size = int(chunk_size or int(ws.setting("sync.chunk_kib", P.DEFAULT_CHUNK // 1024)) * 1024)
    chunk_size = max(1024, min(chunk_size, P.MAX_CHUNK))
    parallel = max(1, min(8, int(parallel or ws.setting("sync.parallel", 3))))
    progress = progress or _NoProgress()
    res = SyncResult("http", url)
    own = client is None
    client = client or make_client(ws, url)
    run_id = _start_run(ws, "http", url)
    own_public = laptop_public(ws)
    wire0 = client.stats.payload_up
    try:
        _check_hub(client, keys)
        with ws.engine.connect() as conn:
            pending = _pending(conn)
        res.recordings = len(pending)
        res.payload_bytes = sum(p.payload_size for p in pending)
        progress.start(len(pending), res.payload_bytes)
        for b in range(0, len(pending), batch):
            group = pending[b:b + batch]
            ok: list[Outgoing] = []
            for out in group:           # check the local copy; payloads are read again when sent
                with ws.engine.connect() as conn:
                    problem = _local_problem(out, _load_payload(conn, out.id), own_public)
                if problem:
                    res.refused.append({"id": out.id, "error": "local", "detail": problem})
                    _upload_note(ws, out.id, keys.hub_id, error=problem)
                    progress.advance(out.payload_size)
                    progress.recording_done()
                    continue
                ok.append(out)
            if not ok:
                continue
            answers = client.manifests([{"recording_id": o.id, "manifest": o.manifest, "signature": o.signature}
                                        for o in ok])
            by_id = {a.get("recording_id"): a for a in answers if isinstance(a, dict)}
            jobs = [(out, by_id.get(out.id) or {"error": "bad_request", "detail": "no answer"}) for out in ok]
            _run_uploads(ws, client, keys, jobs, chunk_size, res, progress, parallel)
        send_deliveries(ws, client, keys, res)
        new, acked = pull_statuses(ws, client, keys)
        res.statuses, res.acknowledged = new, acked
        if purge_after:
            res.purged = len(purge(ws).purged)
    except HubRefused as e:
        res.bytes_sent = client.stats.payload_up - wire0
        _finish_run(ws, run_id, res, "refused", str(e))
        ws.audit("system", "sync.refused", url, {"code": e.code})
        raise
    except UserError as e:
        res.bytes_sent = client.stats.payload_up - wire0
        _finish_run(ws, run_id, res, "failed", str(e))
        raise
    finally:
        if own:
            client.close()
    res.bytes_sent = client.stats.payload_up - wire0
    _finish_run(ws, run_id, res, "ok" if not res.refused else "partial")
    ws.audit("system", "sync.http", url, {"sent": res.sent, "already": res.already, "refused": len(res.refused),
                                          "statuses": res.statuses, "purged": res.purged,
                                          "deliveries": res.deliveries_sent})
    return res


def _run_uploads(ws, client, keys, jobs, chunk_size: int, res: SyncResult, progress: Progress,  # type: ignore[no-untyped-def]
                 parallel: int) -> None:
    """Upload ``jobs`` (recording, the hub's answer to its manifest), ``parallel`` at a time. The first
    error stops new uploads; those in flight finish (each is safe to cut anyway), then it is raised."""
    if parallel == 1 or len(jobs) == 1:
        for out, ans in jobs:
            _send_one(ws, client, keys, out, ans, chunk_size, res, progress)
        return
    from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait

    with ThreadPoolExecutor(max_workers=parallel, thread_name_prefix="sync-upload") as pool:
        futures = [pool.submit(_send_one, ws, client, keys, out, ans, chunk_size, res, progress)
                   for out, ans in jobs]
        done, pending = wait(futures, return_when=FIRST_EXCEPTION)
        for f in pending:
            f.cancel()
        for f in futures:
            if f.done() and not f.cancelled() and f.exception() is not None:
                raise f.exception()  # type: ignore[misc]


def _send_one(ws, client, keys, out: Outgoing, ans: dict[str, Any], chunk_size: int,  # type: ignore[no-untyped-def]
              res: SyncResult, progress: Progress) -> None:
    from sweet17.services.sync.client import refusal_message

    sealed = b""
    if ans.get("state") == "receiving":
        with ws.engine.connect() as conn:
            sealed = _load_payload(conn, out.id) or b""
        if P.sha256_hex(sealed) != out.payload_sha256:      # changed since it was checked: never send it
            ans = {"error": "bad_request", "detail": "local payload changed during sync"}

    if "error" in ans:
        detail = refusal_message(str(ans.get("error")), str(ans.get("detail", "")))
        with res.lock:
            res.refused.append({"id": out.id, "error": str(ans.get("error")), "detail": detail})
        _upload_note(ws, out.id, keys.hub_id, error=detail, attempt=True)
        progress.advance(out.payload_size)
        progress.recording_done()
        return
    held_already = ans.get("state") == "complete"       # the hub had it before this run (retry, USB...)
    offset = int(ans.get("offset", 0))
    if offset:                                   # resuming: the hub already holds the first bytes
        _upload_note(ws, out.id, keys.hub_id, confirmed=offset)
    progress.advance(offset)
    first = True
    restarts = mismatches = 0
    while ans.get("state") != "complete":
        chunk = sealed[offset:offset + chunk_size]
        ans, err = client.put_chunk(out.id, offset, chunk)
        if err == "payload_hash_mismatch":
            # The hub dropped what it had; start again once, then give up on this recording.
            restarts += 1
            progress.advance(-offset)
            offset = 0
            _upload_note(ws, out.id, keys.hub_id, confirmed=0, sent=len(chunk), error=err)
            if restarts > 1:
                detail = refusal_message(err)
                with res.lock:
                    res.refused.append({"id": out.id, "error": err, "detail": detail})
                _upload_note(ws, out.id, keys.hub_id, error=detail)
                progress.recording_done()
                return
            continue
        if err == "offset_mismatch":
            mismatches += 1
            if mismatches > 5:
                raise UserError(_("The hub keeps answering a different offset for recording {id}; try again "
                                  "later").format(id=out.id))
        new_offset = int(ans.get("offset", 0))
        progress.advance(new_offset - offset)
        offset = new_offset
        if ans.get("state") != "complete":       # the receipt's transaction records the last one
            _upload_note(ws, out.id, keys.hub_id, confirmed=offset, sent=len(chunk), attempt=first,
                         error="" if not err else None)
            first = False
    try:
        with ws.engine.begin() as conn:
            outcome = store_receipt(conn, ws, keys, ans.get("receipt") or {}, "http", client.laptop_id)
    except P.ProtocolError as e:
        detail = _("the hub's receipt does not verify: {detail}").format(detail=e)
        with res.lock:
            res.refused.append({"id": out.id, "error": "bad_receipt", "detail": detail})
        _upload_note(ws, out.id, keys.hub_id, error=detail)
        progress.recording_done()
        return
    with res.lock:
        if held_already or outcome == "already":
            res.already += 1
        else:
            res.sent += 1
    progress.recording_done()


# ---------------------------------------------------------------------------- USB bundle

def _bundle_path(ws, path: Path, bundle_id: str) -> Path:  # type: ignore[no-untyped-def]
    import re
    from datetime import date

    if path.is_dir():
        name = re.sub(r"[^A-Za-z0-9_-]+", "-", str(ws.setting("workspace.laptop_name", "laptop")))[:30] or "laptop"
        return path / f"sweet17-{name}-{date.today().isoformat()}-{bundle_id[:8]}.s17b"
    return path


def write_bundle(ws, path: Path | str, *, progress: Progress | None = None) -> SyncResult:  # type: ignore[no-untyped-def]
    """Write every approved recording without a receipt, and every card hand-over the hub has not
    acknowledged, into one signed bundle file (atomic)."""
    from sweet17.adapters import crypto
    from sweet17.services.keys import laptop_id, laptop_public, require_hub_keys
    from sweet17.services.sync.bundle_format import write_bundle as _write
    from sweet17.services.sync.deliveries import outgoing_deliveries

    keys = require_hub_keys(ws)
    progress = progress or _NoProgress()
    bundle_id = str(uuid.uuid4())
    target = _bundle_path(ws, Path(path), bundle_id)
    if target.exists():
        raise UserError(_("{path} already exists; give another file name").format(path=target), path=target)
    res = SyncResult("bundle", str(target), file=str(target), bundle_id=bundle_id)
    own_public = laptop_public(ws)
    entries: list[dict[str, Any]] = []
    with ws.engine.connect() as conn:
        pending = _pending(conn)
    for out in pending:                   # check each local copy; payloads are streamed into the file
        with ws.engine.connect() as conn:
            problem = _local_problem(out, _load_payload(conn, out.id), own_public)
        if problem:
            res.refused.append({"id": out.id, "error": "local", "detail": problem})
            continue
        entries.append({"recording_id": out.id, "manifest": out.manifest, "signature": out.signature,
                        "payload_sha256": out.payload_sha256, "payload_size": out.payload_size})
    res.recordings = len(entries)
    res.payload_bytes = sum(e["payload_size"] for e in entries)
    handovers = outgoing_deliveries(ws)
    res.deliveries = len(handovers)
    if not entries and not handovers:
        res.file = None
        return res
    progress.start(len(entries), res.payload_bytes)
    header = {"kind": P.BUNDLE_KIND, "v": 1, "bundle_id": bundle_id, "laptop_id": laptop_id(ws),
              "laptop_public": crypto.b64(own_public), "laptop_name": str(ws.setting("workspace.laptop_name", "")),
              "hub_id": keys.hub_id, "created_at": now_utc(), "recordings": entries}
    if handovers:
        header["deliveries"] = [o.bundle_entry() for o in handovers]

    def stream():  # type: ignore[no-untyped-def]
        for e in entries:
            with ws.engine.connect() as conn:
                sealed = _load_payload(conn, e["recording_id"]) or b""
            if P.sha256_hex(sealed) != e["payload_sha256"]:
                raise UserError(_("The payload of recording {id} changed while the bundle was written; write the "
                                  "bundle again").format(id=e["recording_id"]))
            yield e["recording_id"], sealed
            progress.advance(e["payload_size"])
            progress.recording_done()

    try:
        size = _write(target, header, _signer(ws), stream(), ((o.id, o.sealed) for o in handovers))
    except OSError as e:
        raise UserError(_("Cannot write the bundle {path}: {detail}").format(path=target, detail=e.strerror),
                        path=target) from None
    res.bytes_sent = size
    res.sent = len(entries)
    res.deliveries_sent = len(handovers)
    with ws.engine.begin() as conn:
        conn.execute(text("INSERT INTO sync_bundle (bundle_id, path, hub_id, written_at, recordings, bytes) "
                          "VALUES (:b, :p, :h, :t, :n, :s)"),
                     {"b": bundle_id, "p": str(target), "h": keys.hub_id, "t": now_utc(), "n": len(entries), "s": size})
        for e in entries:
            conn.execute(text("INSERT INTO sync_bundle_item (bundle_id, recording_id) VALUES (:b, :r)"),
                         {"b": bundle_id, "r": e["recording_id"]})
        conn.execute(text("INSERT INTO sync_run (mode, target, started_at, finished_at, recordings, sent, bytes_sent, "
                          "outcome) VALUES ('bundle', :t, :at, :at, :n, :n, :s, 'ok')"),
                     {"t": str(target), "at": now_utc(), "n": len(entries), "s": size})
        ws.audit("system", "sync.bundle", bundle_id, {"recordings": len(entries), "deliveries": len(handovers),
                                                      "bytes": size}, conn=conn)
    return res


def import_receipts(ws, path: Path | str, *, purge_after: bool = True) -> SyncResult:  # type: ignore[no-untyped-def]
    """Load the receipts file the hub wrote for a bundle (recordings and card hand-overs): all receipts
    verify, or nothing is applied."""
    from sweet17.services.delivery import mark_deliveries_synced
    from sweet17.services.keys import laptop_id, require_hub_keys
    from sweet17.services.sync.bundle_format import BundleError, read_receipts
    from sweet17.services.sync.deliveries import check_receipt, local_deliveries
    from sweet17.services.sync.queue import purge

    path = Path(path)
    keys = require_hub_keys(ws)
    if not path.is_file():
        raise UserError(_("File {path} not found").format(path=path), path=path)
    try:
        doc = read_receipts(path)
    except BundleError as e:
        raise UserError(_("{path} is not a sweet17 receipts file: {detail}").format(path=path, detail=e),
                        path=path) from None
    if doc["laptop_id"] != laptop_id(ws):
        raise UserError(_("The receipts in {path} are for another laptop ({other}); nothing was imported").format(
            path=path, other=doc["laptop_id"]), path=path)
    if keys.hub_id and doc["hub_id"] != keys.hub_id:
        raise UserError(_("The receipts in {path} come from hub {other}, not from this laptop's hub {hub}; nothing "
                          "was imported").format(path=path, other=doc["hub_id"], hub=keys.hub_id), path=path)
    res = SyncResult("receipts", str(path), bundle_id=str(doc["bundle_id"]), file=str(path))
    sign = _signer(ws) if doc.get("delivery_receipts") else None     # read before the transaction
    try:
        with ws.engine.begin() as conn:
            for signed in doc["receipts"]:
                outcome = store_receipt(conn, ws, keys, signed, "bundle", doc["laptop_id"])
                res.recordings += 1
                if outcome == "new":
                    res.sent += 1
                else:
                    res.already += 1
            signed_deliveries = doc.get("delivery_receipts") or []
            if signed_deliveries:
                ids = [str(P.SignedReceipt.from_dict(sd).open_delivery(keys.sign_public).delivery_id)
                       for sd in signed_deliveries]
                local = local_deliveries(conn, ids, doc["laptop_id"], sign)
                stored = {}
                for sd in signed_deliveries:
                    rc, text_ = check_receipt(keys, sd, doc["laptop_id"], local)
                    stored[rc.delivery_id] = text_
                res.deliveries = len(stored)
                res.deliveries_sent = mark_deliveries_synced(ws, stored, conn=conn)
                res.deliveries_already = res.deliveries - res.deliveries_sent
            status = doc.get("status") or {}
            if status:
                statuses = P.parse_status_document(str(status.get("body", "")).encode("utf-8"), keys.sign_public,
                                                   str(status.get("signature", "")), hub_id=doc["hub_id"],
                                                   laptop_id=doc["laptop_id"])
                res.statuses, res.acknowledged = apply_statuses(conn, ws, statuses)
            conn.execute(text("UPDATE sync_bundle SET receipts_imported_at = :t WHERE bundle_id = :b"),
                         {"t": now_utc(), "b": doc["bundle_id"]})
            conn.execute(text("INSERT INTO sync_run (mode, target, started_at, finished_at, recordings, sent, already, "
                              "statuses, outcome) VALUES ('receipts', :t, :at, :at, :n, :s, :a, :st, 'ok')"),
                         {"t": str(path), "at": now_utc(), "n": res.recordings, "s": res.sent, "a": res.already,
                          "st": res.statuses})
            ws.audit("system", "sync.receipts", str(doc["bundle_id"]), {"new": res.sent, "already": res.already},
                     conn=conn)
    except P.ProtocolError as e:
        raise UserError(_("The receipts file {path} does not verify ({detail}): it was altered or comes from another "
                          "hub. Nothing was imported.").format(path=path, detail=e), path=path) from None
    if purge_after:
        res.purged = len(purge(ws).purged)
    return res
