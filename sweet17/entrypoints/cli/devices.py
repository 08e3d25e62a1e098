"""``sweet17 devices``: list the kit's devices, test-capture with quality shown, run the SBI simulator."""

from __future__ import annotations

import sys
from typing import Any

import typer

from sweet17.entrypoints.cli.common import console, err_console, json_option, print_json
from sweet17.i18n import N_, _

KINDS = {"finger": "Finger", "iris": "Iris", "face": "Face", "signature": "Signature", "card": "Card"}
KIND_LABELS = {"Finger": N_("fingerprint scanner"), "Iris": N_("iris camera"), "Face": N_("face camera"),
               "Signature": N_("signature pad"), "Card": N_("card reader")}
STATUS_LABELS = {"Ready": N_("ready"), "Busy": N_("busy"), "Not Ready": N_("not ready"),
                 "Not Registered": N_("not registered"), "Disconnected": N_("disconnected")}
POSITION_LABELS = {
    "Left IndexFinger": N_("left index"), "Left MiddleFinger": N_("left middle"), "Left RingFinger": N_("left ring"),
    "Left LittleFinger": N_("left little"), "Left Thumb": N_("left thumb"),
    "Right IndexFinger": N_("right index"), "Right MiddleFinger": N_("right middle"),
    "Right RingFinger": N_("right ring"), "Right LittleFinger": N_("right little"), "Right Thumb": N_("right thumb"),
    "Left": N_("left eye"), "Right": N_("right eye"), "": N_("face"),
}
STEP_GUIDES = {
    ("Finger", 1): N_("Left hand: place the four fingers (index to little) flat on the scanner."),
    ("Finger", 2): N_("Right hand: place the four fingers (index to little) flat on the scanner."),
    ("Finger", 3): N_("Thumbs: place both thumbs side by side on the scanner."),
    ("Iris", 1): N_("Left eye: look into the iris camera with the eye wide open."),
    ("Iris", 2): N_("Right eye: look into the iris camera with the eye wide open."),
    ("Iris", 3): N_("Both eyes: look into the iris camera with the eyes wide open."),
    ("Face", 0): N_("Face: look straight into the camera, in front of the plain background."),
    ("Signature", 0): N_("Signature: sign on the pad."),
    ("Card", 0): N_("Card: put a card on the reader."),
}


def _label(table: dict[str, str], key: str) -> str:
    return _(table[key]) if key in table else key


def _error_dict(e: BaseException) -> dict[str, Any]:
    from sweet17.adapters.devices.base import DeviceError

    if isinstance(e, DeviceError):
        return {"type": type(e).__name__, "code": e.code, "message": e.operator_message, "detail": e.detail}
    return {"type": type(e).__name__, "code": None, "message": str(e), "detail": ""}


def _load(profile: str | None):  # -> KitProfile
    from sweet17.adapters.devices import profiles

    return profiles.load_kit(profiles.find_kit(profile))


def _name(info) -> str:  # type: ignore[no-untyped-def]
    return " ".join(x for x in (info.make, info.model) if x) or info.device_id


def _steps(modality: str, sub_ids: tuple[int, ...]) -> list[int]:
    if modality == "Finger":
        return [s for s in (1, 2, 3) if not sub_ids or s in sub_ids] or list(sub_ids)
    if modality == "Iris":
        if not sub_ids or 3 in sub_ids:
            return [3]
        return [s for s in (1, 2) if s in sub_ids] or list(sub_ids)
    return [sub_ids[0] if sub_ids else 0]


def _record_dict(r) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    x = r.extra or {}
    return {"sub_type": r.sub_type, "quality": r.quality, "nfiq2": r.nfiq2, "format": r.data_format,
            "compression": x.get("compression"), "width": x.get("width"), "height": x.get("height"),
            "ppi": x.get("ppi"), "bytes": len(r.data), "hash": r.hash}


def register(app: typer.Typer) -> None:
    sub = typer.Typer(help=_("Capture devices of the recording kit: list them, test a capture, run the SBI "
                             "simulator."), no_args_is_help=True)
    app.add_typer(sub, name="devices")

    profile_help = _("Kit profile: a path or a name in devices/ (default: SWEET17_DEVICE_PROFILE, "
                     "devices/kit.toml, else devices/sim-kit.toml).")

    # ------------------------------------------------------------------------------ list
    @sub.command("list", help=_("Every device of every driver of the kit profile, with its status. Exits with "
                                "status 2 when an entry of the profile found nothing or failed."))
    def list_(
        profile: str = typer.Option(None, "--profile", "-p", help=profile_help),
        driver: list[str] = typer.Option(None, "--driver", help=_("Only these drivers (sbi, opencv, pcsc).")),
        json_out: bool = json_option(),
    ) -> None:
        from rich.table import Table

        from sweet17.adapters.devices import registry
        from sweet17.errors import UserError

        kit = _load(profile)
        for d in driver or []:
            if d not in registry.DRIVERS:
                raise UserError(_("Option --driver: '{value}' is not a driver; known: {known}").format(
                    value=d, known=", ".join(registry.DRIVERS)))
        found = registry.discover_kit(kit, tuple(driver) if driver else None)
        rows, errors = [], []
        for f in found:
            if f.error is not None:
                errors.append({"entry": f.name, "driver": f.driver, **_error_dict(f.error)})
            elif not f.devices:
                msg = _("No device found.")
                entry = next(e for e in kit.devices if e.name == f.name)
                if f.driver == "sbi":
                    ports = entry.settings.get("ports") or []
                    where = (f"{ports[0]}" if len(ports) == 1 else f"{min(ports)}-{max(ports)}") if ports else "-"
                    msg = _("No SBI device service answered on {host} port {ports}. Is the device service (or "
                            "`sweet17 devices simulate`) running?").format(host=entry.settings.get("host"),
                                                                           ports=where)
                errors.append({"entry": f.name, "driver": f.driver, "type": "NotFound", "code": None,
                               "message": msg, "detail": ""})
            for dev in f.devices:
                info = dev.describe()
                trusted = info.extra.get("trusted") if info.driver == "sbi" else None
                rows.append({"entry": f.name, **info.to_dict(), "trusted": trusted,
                             "trust_error": info.extra.get("trust_error", "") if trusted is False else ""})
        if json_out:
            print_json({"profile": str(kit.path), "kit": kit.name, "devices": rows, "errors": errors})
        else:
            table = Table(title=_("Devices of kit {name}").format(name=kit.name), title_justify="left")
            for col in (_("Entry"), _("Device"), _("Type"), _("Make and model"), _("Serial number"), _("Status"),
                        _("Device signature"), _("Where")):
                table.add_column(col)
            for r in rows:
                ok = r["status"] == "Ready"
                verified, not_verified = _("verified"), _("NOT verified")
                sig = "-" if r["trusted"] is None else (f"[green]{verified}[/]" if r["trusted"]
                                                        else f"[red]{not_verified}[/]")
                table.add_row(r["entry"], r["device_id"], _label(KIND_LABELS, r["modality"]),
                              " ".join(x for x in (r["make"], r["model"]) if x) or "-", r["serial"] or "-",
                              f"[{'green' if ok else 'yellow'}]{_label(STATUS_LABELS, r['status'])}[/]", sig,
                              r["endpoint"] or "-")
            console.print(table)
            for e in errors:
                console.print(f"[yellow]{e['entry']} ({e['driver']})[/]: {e['message']}", highlight=False,
                              soft_wrap=True)
            for r in rows:
                if r["trusted"] is False:
                    console.print(_("{device}: signature not verified: {reason}").format(
                        device=r["device_id"], reason=r["trust_error"]), highlight=False, soft_wrap=True)
        if errors or not rows:
            raise typer.Exit(2)

    # ------------------------------------------------------------------------------ test
    @sub.command("test", help=_("A guided test capture on the kit's devices, showing the quality of each "
                                "finger, eye or face. The captures are not stored. Exits with status 2 when a "
                                "capture fails or stays below the quality asked for."))
    def test(
        kind: str = typer.Argument(None, help=_("finger, iris, face, signature or card (default: every device).")),
        profile: str = typer.Option(None, "--profile", "-p", help=profile_help),
        device: str = typer.Option(None, "--device", help=_("Only this device (its id, serial or profile entry).")),
        score: int = typer.Option(None, "--score", min=1, max=100,
                                  help=_("Quality to ask for, 1-100 (default: the kit's threshold).")),
        exception: list[str] = typer.Option(None, "--exception", help=_("A missing finger or eye, as SBI names "
                                                                        "it (e.g. \"Left LittleFinger\"); "
                                                                        "repeatable.")),
        timeout: int = typer.Option(None, "--timeout", min=1, max=120,
                                    help=_("Seconds to wait for each capture (default: the profile's timeout_ms, "
                                           "else 10).")),
        no_prompt: bool = typer.Option(False, "--no-prompt", help=_("Do not wait for Enter before each step.")),
        preview: bool = typer.Option(False, "--preview", help=_("Show the camera picture with the face checks "
                                                                "(OpenCV cameras).")),
        background: str = typer.Option(None, "--background", help=_("Background colour to check on face "
                                                                     "photos: red or blue.")),
        json_out: bool = json_option(),
    ) -> None:
        from sweet17.adapters.devices import registry
        from sweet17.adapters.devices.base import (
            CaptureRequest,
            DeviceError,
            Modality,
            QualityNotReached,
            default_sub_types,
        )
        from sweet17.errors import UserError

        if kind is not None and kind.lower() not in KINDS:
            raise UserError(_("Argument KIND: '{value}' is not one of {known}").format(
                value=kind, known=", ".join(KINDS)))
        if background is not None and background not in ("red", "blue"):
            raise UserError(_("Option --background: use red or blue"))
        kit = _load(profile)
        found = registry.discover_kit(kit)
        devices = []
        for f in found:
            for dev in f.devices:
                info = dev.describe()
                if kind and str(info.modality) != KINDS[kind.lower()]:
                    continue
                if device and device not in (info.device_id, info.serial, f.name):
                    continue
                devices.append((f.name, dev, info))
        if not devices:
            problems = "; ".join(f"{f.name}: {_error_dict(f.error)['message']}" for f in found if f.error)
            what = _label(KIND_LABELS, KINDS[kind.lower()]) if kind else _("device")
            msg = _("No {what} found with kit profile {path}.").format(what=what, path=kit.path)
            raise UserError(msg + (" " + problems if problems else ""))
        interactive = sys.stdin.isatty() and not no_prompt and not json_out
        window = None
        if preview:
            from sweet17.adapters.devices.camera import open_preview_window

            window = open_preview_window(_("sweet17 camera test"))
        steps_out: list[dict[str, Any]] = []
        last_hash = ""
        try:
            for entry_name, dev, info in devices:
                modality = str(info.modality)
                settings = next(e.settings for e in kit.devices if e.name == entry_name)
                timeout_ms = timeout * 1000 if timeout else int(settings.get("timeout_ms") or 10_000)
                wanted_score = score or int(kit.thresholds.get(modality.lower(), 40) or 1)
                nfiq2_min = int(kit.thresholds.get("nfiq2_min", 0)) if modality == "Finger" else 0
                for sub_id in _steps(modality, info.sub_ids):
                    positions = default_sub_types(modality, sub_id)
                    excepted = tuple(e for e in (exception or []) if e in positions)
                    step: dict[str, Any] = {
                        "entry": entry_name, "device": info.to_dict(), "modality": modality, "sub_id": sub_id,
                        "positions": [p for p in positions if p], "exceptions": list(excepted),
                        "requested_score": wanted_score, "nfiq2_min": nfiq2_min, "attempts": 0, "ok": False,
                        "error": None, "low": [], "records": []}
                    steps_out.append(step)
                    if positions and all(p in excepted for p in positions):
                        step.update(ok=True, skipped=True)
                        continue
                    guide = _(STEP_GUIDES[(modality, sub_id)]) if (modality, sub_id) in STEP_GUIDES else modality
                    if not json_out:
                        console.print(f"\n[bold]{_name(info)}[/] — {guide}", highlight=False, soft_wrap=True)
                    max_attempts = 1 + (kit.retries if interactive else 0)
                    while step["attempts"] < max_attempts:
                        if interactive:
                            answer = console.input(_("Press Enter to capture (s to skip): "))
                            if answer.strip().lower() == "s":
                                break
                        step["attempts"] += 1
                        req = CaptureRequest(Modality(modality), sub_id=sub_id, exceptions=excepted,
                                             requested_score=wanted_score, timeout_ms=timeout_ms,
                                             previous_hash=last_hash if info.driver == "sbi" else "")
                        result, low, err = None, (), None
                        try:
                            if window is not None and info.driver == "opencv":
                                from sweet17.adapters.devices.camera import preview_callback

                                result = dev.capture(req, background=background,
                                                     on_frame=preview_callback(window, background))
                            elif info.driver == "opencv" and background:
                                result = dev.capture(req, background=background)
                            else:
                                result = dev.capture(req)
                        except QualityNotReached as e:
                            result, low, err = e.result, tuple(e.low), e
                        except DeviceError as e:
                            err = e
                        if result is not None:
                            if info.driver == "sbi" and result.last_hash:
                                last_hash = result.last_hash
                            step["records"] = [_record_dict(r) for r in result.records]
                        step["low"] = list(low)
                        step["error"] = _error_dict(err) if err is not None else None
                        step["ok"] = err is None
                        if not json_out:
                            _print_step(step, wanted_score, nfiq2_min)
                        if step["ok"] or not interactive:
                            break
                        if step["attempts"] < max_attempts and not typer.confirm(_("Try again?"), default=True):
                            break
        finally:
            if window is not None:
                window.close()
        ok = all(s["ok"] for s in steps_out)
        if json_out:
            print_json({"profile": str(kit.path), "kit": kit.name, "kind": kind, "ok": ok, "steps": steps_out})
        else:
            good = _("All test captures reached the quality asked for.")
            bad = _("Some test captures failed or stayed below the quality asked for.")
            console.print("\n" + (f"[green]{good}[/]" if ok else f"[red]{bad}[/]"))
        if not ok:
            raise typer.Exit(2)

    def _print_step(step: dict[str, Any], wanted: int, nfiq2_min: int) -> None:
        from rich.table import Table

        if step["records"]:
            table = Table(show_header=True, box=None, padding=(0, 2))
            for col in (_("Position"), _("Device quality"), _("NFIQ 2"), _("Image"), _("Result")):
                table.add_column(col)
            too_low, good = _("too low"), _("good")
            for r in step["records"]:
                low = r["sub_type"] in step["low"]
                size = f"{r['width']}x{r['height']}" if r.get("width") else "-"
                if r.get("ppi"):
                    size += f" {r['ppi']} ppi"
                quality = "-" if r["quality"] is None else f"{r['quality']:g}"
                table.add_row(_label(POSITION_LABELS, r["sub_type"]), f"{quality} / {wanted}",
                              "-" if r["nfiq2"] is None else (f"{r['nfiq2']} / {nfiq2_min}" if nfiq2_min
                                                               else str(r["nfiq2"])),
                              size, f"[red]{too_low}[/]" if low else f"[green]{good}[/]")
            console.print(table)
        if step["error"]:
            colour = "yellow" if step["low"] else "red"
            console.print(f"[{colour}]{step['error']['message']}[/]", highlight=False, soft_wrap=True)
            if step["error"]["detail"]:
                console.print(f"  [dim]{step['error']['detail']}[/]", highlight=False, soft_wrap=True)

    # ------------------------------------------------------------------------------ simulate
    def _prepare_face_videos(kit, folder) -> list[str]:  # type: ignore[no-untyped-def]
        """Write the synthetic face video an ``opencv`` entry of the kit expects inside the simulator's
        folder, when it is missing (a fake webcam: one synthetic person, KTP-el red background)."""
        from pathlib import Path

        written = []
        for e in kit.entries("opencv"):
            src = e.settings.get("source")
            if not isinstance(src, str) or not src.endswith(".avi"):
                continue
            path = Path(src)
            if path.exists() or Path(folder).resolve() not in path.resolve().parents:
                continue
            from sweet17.adapters.devices import facegen

            facegen.write_video(path, facegen.frames("walk-in", 60, background="red"))
            written.append(str(path))
        return written

    @sub.command("simulate", help=_("Run the SBI device simulator (slap scanner, iris camera, face camera) on "
                                    "127.0.0.1 in the foreground until Ctrl-C."))
    def simulate(
        profile: str = typer.Option(None, "--profile", "-p", help=profile_help),
        port: int = typer.Option(None, "--port", min=0, max=65535,
                                 help=_("Port to listen on (default: the profile's, usually 4501; 0 = any free "
                                        "port).")),
        json_out: bool = json_option(),
    ) -> None:
        import time

        from sweet17.adapters.devices import sbi_sim
        from sweet17.errors import UserError

        kit = _load(profile)
        sim = sbi_sim.from_profile(kit, port=port)
        try:
            sim.bind()
        except OSError as e:
            raise UserError(_("Cannot listen on {host}:{port}: {detail}. Choose another port with --port.").format(
                host=sim.host, port=sim.requested_port, detail=e.strerror or e)) from None
        info = {"url": sim.url, "port": sim.port, "trust_store": str(sim.trust_dir), "env": sim.env,
                "admin": sim.url + "/admin/state",
                "devices": [{"device_id": d.device_id, "modality": d.modality, "model": d.model, "serial": d.serial,
                             "sub_ids": d.sub_ids} for d in sim.devices.values()]}
        entries = [e for e in kit.entries("sbi") if e.settings.get("trust_store")]
        info["videos"] = _prepare_face_videos(kit, sim.folder)
        if json_out:
            print_json(info)
        else:
            console.print(_("SBI simulator listening on {url}: slap scanner (4-4-2), iris camera, face camera.")
                          .format(url=sim.url), highlight=False, soft_wrap=True)
            console.print(_("Its test CA is in {path}; only the simulator's kit profile may trust it.").format(
                path=sim.trust_dir), highlight=False, soft_wrap=True)
            console.print(_("Change a device: POST {url} with JSON, e.g. {example}").format(
                url=info["admin"], example='{"device": "finger", "status": "Busy"}'),
                highlight=False, soft_wrap=True, markup=False)
            for v in info["videos"]:
                console.print(_("Synthetic face video written to {path}.").format(path=v), highlight=False,
                              soft_wrap=True)
            console.print(_("Press Ctrl-C to stop."))
        if entries and all(e.settings["trust_store"] != sim.trust_dir for e in entries):
            err_console.print(_("Note: the profile's SBI trust store is not {path}; its devices will not be "
                                "trusted.").format(path=sim.trust_dir), highlight=False, soft_wrap=True)
        import signal

        def _stop(signum, frame):  # type: ignore[no-untyped-def]
            raise KeyboardInterrupt

        previous = signal.signal(signal.SIGTERM, _stop)
        sim.start()
        try:
            while True:
                time.sleep(0.5)
        except KeyboardInterrupt:
            pass
        finally:
            sim.stop()
            signal.signal(signal.SIGTERM, previous)
        if not json_out:
            console.print(_("Simulator stopped."))
