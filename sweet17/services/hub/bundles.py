"""``sweet17 hub import-bundle``: load a laptop's USB bundle (recordings and card hand-overs) with the
same checks, idempotency and receipts as HTTP intake, in one transaction, and write the receipts file
for the laptop."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sqlalchemy import text

from sweet17.errors import UserError
from sweet17.i18n import _
from sweet17.services.hub import deliveries, intake
from sweet17.services.hub.config import Hub
from sweet17.services.hub.errors import HubRefusal
from sweet17.services.hub.laptops import enrol, get_laptop, log_access
from sweet17.services.hub.status import status_document
from sweet17.services.sync import protocol as P
from sweet17.services.sync.bundle_format import BundleError, read_bundle, write_receipts


def _file_sha256(path: Path) -> str:
    import hashlib

    h = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def receipts_path_for(bundle: Path) -> Path:
    return bundle.with_name(bundle.stem + ".receipts.json")


def import_bundle(hub: Hub, path: Path | str, receipts_out: Path | str | None = None) -> dict[str, Any]:
    """Import every recording of the bundle or none; returns counts and where the receipts were written."""
    from sweet17.adapters import crypto

    path = Path(path)
    if not path.is_file():
        raise UserError(_("File {path} not found").format(path=path), path=path)
    try:
        bundle = read_bundle(path)
    except BundleError as e:
        log_access(hub, "", f"import-bundle {path.name}", "bad_request", str(e))
        raise UserError(_("The bundle {path} is damaged or not a sweet17 bundle: {detail}. Nothing was imported.")
                        .format(path=path, detail=e), path=path) from None
    with bundle:
        h = bundle.header
        laptop_id = bundle.laptop_id
        if h["hub_id"] != hub.hub_id:
            raise UserError(_("The bundle {path} was made for hub {other}; this is hub {hub}. Nothing was imported.")
                            .format(path=path, other=h["hub_id"], hub=hub.hub_id), path=path)
        with hub.store.connect() as conn:
            laptop = get_laptop(conn, laptop_id)
        if laptop is None:
            # The bundle doubles as the laptop's enrolment request (offline offices).
            try:
                public = crypto.unb64(h["laptop_public"])
                crypto.verify(public, crypto.unb64(bundle.signature), bundle.header_bytes)
                enrol(hub, laptop_id, public, str(h.get("laptop_name", "")), via="bundle")
            except (ValueError, crypto.CryptoError, HubRefusal):
                log_access(hub, laptop_id, f"import-bundle {path.name}", "unknown_laptop")
                raise UserError(_("The bundle {path} comes from an unknown laptop and its signature does not "
                                  "verify. Nothing was imported.").format(path=path), path=path) from None
            with hub.store.connect() as conn:
                laptop = get_laptop(conn, laptop_id)
            assert laptop is not None
        if laptop["status"] != "approved":
            code = "laptop_revoked" if laptop["status"] == "revoked" else "laptop_pending"
            log_access(hub, laptop_id, f"import-bundle {path.name}", code)
            if code == "laptop_revoked":
                raise UserError(_("The bundle {path} comes from laptop {id}, whose key was revoked. Nothing was "
                                  "imported.").format(path=path, id=laptop_id), path=path)
            raise UserError(_("The bundle {path} comes from laptop {id} ({fp}), which is not approved yet. Check the "
                              "fingerprint, approve it with: sweet17 hub laptops approve {id}, then import again. "
                              "Nothing was imported.").format(path=path, id=laptop_id, fp=laptop["fingerprint"]),
                            path=path)
        try:
            if h["laptop_public"] != laptop["public_key"]:
                raise crypto.CryptoError("bundle key differs from the registered key")
            crypto.verify(crypto.unb64(laptop["public_key"]), crypto.unb64(bundle.signature), bundle.header_bytes)
        except (ValueError, crypto.CryptoError):
            log_access(hub, laptop_id, f"import-bundle {path.name}", "bad_signature")
            raise UserError(_("The bundle {path} does not carry a valid signature of laptop {id}: it was altered. "
                              "Nothing was imported.").format(path=path, id=laptop_id), path=path) from None
        imported = already = handed_new = handed_already = 0
        receipts: list[dict[str, str]] = []
        delivery_receipts: list[dict[str, str]] = []
        ids: list[str] = []
        niks: set[str] = set()
        try:
            with hub.store.begin() as conn:
                for entry in bundle.recordings:
                    rid = entry["recording_id"]
                    row = intake.register_manifest(conn, hub, laptop, entry, via="bundle")
                    if row["state"] == "complete":
                        already += 1
                    else:
                        sealed = bundle.payload(rid)
                        if entry.get("payload_sha256") != row["payload_sha256"]:
                            raise HubRefusal("payload_hash_mismatch", 422, rid)
                        try:
                            row = intake.store_whole(conn, hub, row, sealed)
                        except HubRefusal as r:
                            raise HubRefusal(r.code, r.http_status, rid) from None
                        imported += 1
                    receipts.append({"receipt": row["receipt"], "signature": row["receipt_signature"]})
                    ids.append(rid)
                for entry in bundle.deliveries:
                    did = str(entry["delivery_id"])
                    sealed = bundle.confirmation(did)
                    if entry.get("sealed_sha256") != P.sha256_hex(sealed):
                        raise HubRefusal("confirmation_hash_mismatch", 422, did)
                    try:
                        ans = deliveries.register_delivery(conn, hub, laptop, entry, sealed, via="bundle")
                    except HubRefusal as r:
                        raise HubRefusal(r.code, r.http_status, f"hand-over {did}") from None
                    if ans["new"]:
                        handed_new += 1
                    else:
                        handed_already += 1
                    delivery_receipts.append(ans["receipt"])
                    niks.add(str(json.loads(entry["manifest"])["nik"]))
                if niks:        # this laptop's recordings whose card it handed over: their status comes back too
                    marks = ", ".join(f":n{j}" for j in range(len(niks)))
                    ids += [r for r in conn.execute(text(
                        f"SELECT recording_id FROM hub_recording WHERE laptop_id = :l AND nik IN ({marks}) "
                        "ORDER BY recording_id"), {"l": laptop_id, **{f"n{j}": n for j, n in enumerate(sorted(niks))}}
                    ).scalars() if r not in ids]
                conn.execute(text(
                    "INSERT INTO bundle_import (bundle_id, laptop_id, file_sha256, recordings, first_imported_at, "
                    "last_imported_at, times) VALUES (:b, :l, :h, :n, :at, :at, 1) ON CONFLICT (bundle_id) "
                    "DO UPDATE SET last_imported_at = excluded.last_imported_at, times = bundle_import.times + 1"),
                    {"b": bundle.bundle_id, "l": laptop_id, "h": _file_sha256(path),
                     "n": len(bundle.recordings), "at": hub.now()})
                log_access(hub, laptop_id, f"import-bundle {path.name}", "imported",
                           f"{imported} new, {already} already held; hand-overs {handed_new} new, "
                           f"{handed_already} already held", conn=conn)
        except HubRefusal as r:
            log_access(hub, laptop_id, f"import-bundle {path.name}", r.code, r.detail)
            raise UserError(_("The bundle {path} was refused: {problem}. Nothing was imported.").format(
                path=path, problem=r.user_message()), path=path) from None
    body, sig = status_document(hub, laptop_id, ids)
    doc = {"kind": P.RECEIPTS_KIND, "v": 1, "hub_id": hub.hub_id, "laptop_id": laptop_id,
           "bundle_id": bundle.bundle_id, "created_at": hub.now(), "receipts": receipts,
           "delivery_receipts": delivery_receipts, "status": {"body": body.decode("utf-8"), "signature": sig}}
    out = Path(receipts_out) if receipts_out else receipts_path_for(path)
    write_receipts(out, doc)
    return {"bundle": str(path), "bundle_id": bundle.bundle_id, "laptop_id": laptop_id,
            "recordings": len(bundle.recordings), "imported": imported, "already": already,
            "deliveries": len(bundle.deliveries), "deliveries_imported": handed_new,
            "deliveries_already": handed_already, "receipts": str(out)}
