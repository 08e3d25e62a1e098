"""``sweet17 camera ...`` (face camera: checks, test capture, synthetic videos) and
``sweet17 smartcard ...`` (PC/SC readers: list, watch, read a card, check an operator card, simulate a card).

Device errors become one translated line and exit status 2, like every user error.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import typer

from sweet17.entrypoints.cli.common import console, json_option, print_json
from sweet17.errors import UserError
from sweet17.i18n import N_, _

BACKGROUND_NAMES = {"red": N_("red"), "blue": N_("blue"), "grey": N_("grey"), "white": N_("white")}


@contextmanager
def device_errors() -> Iterator[None]:
    """A device error inside becomes a ``UserError``: one translated line for the operator (exit 2)."""
    from sweet17.adapters.devices.base import DeviceError
    from sweet17.adapters.devices.camera import device_error_line

    try:
        yield
    except DeviceError as e:
        raise UserError(device_error_line(e)) from None


def _background(birth_year: int | None, background: str | None) -> str | None:
    from sweet17.adapters.devices.facecheck import required_background

    if background is not None:
        background = background.lower()
        if background not in ("red", "blue"):
            raise UserError(_("Option --background: use red or blue"), field="--background")
        if birth_year is not None and required_background(birth_year) != background:
            raise UserError(_("Options --birth-year and --background disagree: {year} needs {colour}").format(
                year=birth_year, colour=_(BACKGROUND_NAMES[required_background(birth_year)])), field="--background")
        return background
    if birth_year is not None:
        if not 1900 <= birth_year <= 2100:
            raise UserError(_("Option --birth-year: '{value}' is not a year").format(value=birth_year),
                            field="--birth-year")
        return required_background(birth_year)
    return None


def _kit_entry(driver: str, profile: str | None) -> dict[str, Any] | None:
    """The first enabled entry of ``driver`` in the kit profile (``--profile`` or the default one)."""
    from sweet17.adapters.devices.profiles import find_kit, load_kit

    path = find_kit(profile)
    if not path.exists():
        if profile:
            raise UserError(_("Device profile {path} does not exist").format(path=path), path=path)
        return None
    for entry in load_kit(path).entries(driver):
        d = entry.to_dict()
        if d.get("enabled", True):
            return d
    return None


def _camera(source: str | None, profile: str | None):  # type: ignore[no-untyped-def]
    from sweet17.adapters.devices.camera import CameraDevice

    entry = _kit_entry("opencv", profile) if source is None or profile else None
    settings = dict(entry or {})
    if source is not None:
        settings["source"], settings["camera"] = source, None
    chosen = settings.get("source") if settings.get("source") is not None else settings.get("camera")
    if chosen is None:
        raise UserError(_("No camera given: name a camera index, a video file or an image sequence, or a device "
                          "profile with an opencv entry (--profile)."))
    with device_errors():
        return CameraDevice(chosen, settings)


def register(app: typer.Typer) -> None:
    from sweet17.adapters.devices.facegen import SCENARIOS  # standard library imports only

    cam = typer.Typer(help=_("Face camera: live KTP-el photo checks, test captures, synthetic test videos."),
                      no_args_is_help=True)
    app.add_typer(cam, name="camera")
    card = typer.Typer(help=_("Smartcard readers (PC/SC): readers, card events, card UID, operator card and PIN, "
                              "virtual cards."), no_args_is_help=True)
    app.add_typer(card, name="smartcard")

    source_arg = typer.Argument(None, help=_("Camera index (0), /dev/videoN, video file, or image sequence "
                                             "(frame_%04d.png or its folder). Default: the device profile's "
                                             "camera."))
    profile_opt = typer.Option(None, "--profile", help=_("Device profile (a file, or a name in devices/)."))
    birth_opt = typer.Option(None, "--birth-year", help=_("Birth year of the person: the background must be "
                                                          "red for odd years, blue for even."))
    bg_opt = typer.Option(None, "--background", help=_("Required background colour: red or blue."))
    timeout_opt = typer.Option(10.0, "--timeout", min=0.1, help=_("Give up after this many seconds."))

    # ------------------------------------------------------------------ camera
    @cam.command("list", help=_("List the cameras connected to this computer."))
    def cam_list(json_out: bool = json_option()) -> None:
        from sweet17.adapters.devices.camera import CameraDriver

        infos = [d.describe().to_dict() for d in CameraDriver().discover(None)]
        if json_out:
            print_json({"cameras": infos})
            return
        if not infos:
            console.print(_("No camera found."))
        for i in infos:
            console.print(f"{i['device_id']}\t{i['model']}\t{i['status']}", highlight=False)

    @cam.command("check", help=_("Run the photo checks on the frames of a camera or video and summarise "
                                 "them: which checks fail how often, the best frame, checks per second."))
    def cam_check(
        source: str = source_arg,
        profile: str = profile_opt,
        birth_year: int = birth_opt,
        background: str = bg_opt,
        frames: int = typer.Option(300, "--frames", min=1, help=_("Check at most this many frames.")),
        preview: bool = typer.Option(False, "--preview", help=_("Show the frames with the checks in a window.")),
        json_out: bool = json_option(),
    ) -> None:
        import time

        from sweet17.adapters.devices.camera import open_preview_window
        from sweet17.adapters.devices.facecheck import CHECK_LABELS, CHECKS, draw_checks

        bg = _background(birth_year, background)
        dev = _camera(source, profile)
        window = open_preview_window("sweet17 camera check") if preview else None
        seen = passed = 0
        failures = dict.fromkeys(CHECKS, 0)
        best: dict[str, Any] | None = None
        t0 = time.perf_counter()
        with device_errors():
            try:
                for frame, res in dev.frames(background=bg, max_frames=frames):
                    seen += 1
                    passed += res.ok
                    for name in res.failed:
                        failures[name] += 1
                    if best is None or res.quality > best["quality"]:
                        best = {"frame_index": seen - 1, **res.to_dict()}
                    if window is not None and not window.show(draw_checks(frame, res, bg)):
                        break
            finally:
                if window is not None:
                    window.close()
        elapsed = time.perf_counter() - t0
        if bg is None:
            failures.pop("background")
        out = {"source": dev.source.label, "background": bg, "frames": seen, "passed": passed,
               "pass_rate": round(passed / seen, 3) if seen else 0.0,
               "frames_per_second": round(seen / elapsed, 1) if elapsed > 0 else None,
               "failures": failures, "best": best}
        if json_out:
            print_json(out)
            return
        from rich.table import Table

        console.print(_("{frames} frames checked, {passed} passed all checks ({fps} frames per second).").format(
            frames=seen, passed=passed, fps=out["frames_per_second"]), highlight=False)
        table = Table(show_header=True)
        table.add_column(_("Check"))
        table.add_column(_("Frames failing"), justify="right")
        for name, count in failures.items():
            table.add_row(_(CHECK_LABELS[name]), str(count))
        console.print(table)
        if best is not None:
            console.print(_("Best frame: {index} (quality {quality}).").format(
                index=best["frame_index"], quality=best["quality"]), highlight=False)

    @cam.command("capture", help=_("A test capture: wait until a frame passes every check, then report it "
                                   "(and save it with --out). Enrolment photos are taken and stored by the "
                                   "recording session, not with this command."))
    def cam_capture(
        source: str = source_arg,
        profile: str = profile_opt,
        birth_year: int = birth_opt,
        background: str = bg_opt,
        exception_photo: bool = typer.Option(False, "--exception-photo",
                                             help=_("A proof photo for an exception: only sharpness and "
                                                    "exposure are checked.")),
        min_quality: int = typer.Option(60, "--min-quality", min=1, max=100,
                                        help=_("Quality needed (1-100; 60 = every check passes).")),
        timeout: float = timeout_opt,
        out: Path = typer.Option(None, "--out", help=_("Save the photo to this file (.jpg or .png).")),
        preview: bool = typer.Option(False, "--preview", help=_("Show the frames with the checks in a window.")),
        json_out: bool = json_option(),
    ) -> None:
        import os

        from sweet17.adapters.devices.base import CaptureRequest, Modality
        from sweet17.adapters.devices.camera import EXCEPTION_PHOTO, open_preview_window, preview_callback

        bg = None if exception_photo else _background(birth_year, background)
        dev = _camera(source, profile)
        if out is not None:
            if out.suffix.lower() not in (".jpg", ".jpeg", ".png"):
                raise UserError(_("Option --out: {path} must end in .jpg or .png").format(path=out), path=out)
            dev.format = "png" if out.suffix.lower() == ".png" else "jpeg"
        request = CaptureRequest(Modality.FACE, sub_types=(EXCEPTION_PHOTO,) if exception_photo else (),
                                 requested_score=min_quality, timeout_ms=int(timeout * 1000))
        window = open_preview_window("sweet17 camera capture") if preview else None
        with device_errors():
            try:
                result = dev.capture(request, background=bg,
                                     on_frame=preview_callback(window, bg) if window is not None else None)
            finally:
                if window is not None:
                    window.close()
        rec = result.records[0]
        if out is not None:
            out.parent.mkdir(parents=True, exist_ok=True)
            tmp = out.with_name(out.name + ".tmp")
            tmp.write_bytes(rec.data)
            os.replace(tmp, out)
        summary = {"source": dev.source.label, "kind": "exception_photo" if exception_photo else "face",
                   "background": bg, "quality": rec.quality, "format": rec.data_format, "bytes": len(rec.data),
                   "frame_index": rec.extra["frame_index"], "frames_seen": rec.extra["frames_seen"],
                   "seconds": rec.extra["seconds"], "checks": rec.extra["checks"]["checks"],
                   "out": str(out) if out else None}
        if json_out:
            print_json(summary)
            return
        console.print(_("Photo accepted: quality {quality}, frame {index} of {seen}, {seconds} s.").format(
            quality=rec.quality, index=summary["frame_index"], seen=summary["frames_seen"],
            seconds=summary["seconds"]), highlight=False)
        if out is not None:
            console.print(_("Saved to {path}").format(path=out), highlight=False)

    @cam.command("fake-video", help=_("Write a synthetic face video (MJPG .avi) or image sequence (a folder) "
                                      "for tests and rehearsals. Only drawn, synthetic people."))
    def cam_fake_video(
        out: Path = typer.Argument(..., help=_("An .avi file, or a folder for a frame_%04d.png sequence.")),
        scenario: str = typer.Option("walk-in", "--scenario", help=_("What happens in front of the camera: "
                                                                      "{names}.").format(names=", ".join(SCENARIOS))),
        birth_year: int = birth_opt,
        background: str = typer.Option(None, "--background", help=_("Background colour: red, blue, grey or "
                                                                      "white (default: from --birth-year, else "
                                                                      "red).")),
        frames: int = typer.Option(90, "--frames", min=1, max=36_000, help=_("Number of frames.")),
        fps: float = typer.Option(30.0, "--fps", min=1.0, max=120.0, help=_("Frames per second of the video.")),
        seed: int = typer.Option(17, "--seed", help=_("Chooses the synthetic person.")),
        size: str = typer.Option("640x480", "--size", help=_("Frame size, WIDTHxHEIGHT.")),
        json_out: bool = json_option(),
    ) -> None:
        from sweet17.adapters.devices import facegen
        from sweet17.adapters.devices.facecheck import required_background

        if scenario not in facegen.SCENARIOS:
            raise UserError(_("Option --scenario: '{value}' is not one of {names}").format(
                value=scenario, names=", ".join(facegen.SCENARIOS)), field="--scenario")
        if background is None:
            background = required_background(birth_year) if birth_year is not None else "red"
        if background not in facegen.BACKGROUNDS:
            raise UserError(_("Option --background: '{value}' is not one of {names}").format(
                value=background, names=", ".join(facegen.BACKGROUNDS)), field="--background")
        try:
            w, h = (int(v) for v in size.lower().split("x"))
            if not (160 <= w <= 3840 and 120 <= h <= 2160):
                raise ValueError
        except ValueError:
            raise UserError(_("Option --size: '{value}' is not WIDTHxHEIGHT (160x120 to 3840x2160)").format(
                value=size), field="--size") from None
        gen = facegen.frames(scenario, frames, background=background, size=(w, h), seed=seed)
        if out.suffix.lower() == ".avi":
            path = str(facegen.write_video(out, gen, fps=fps))
            kind = "video"
        elif out.suffix:
            raise UserError(_("{path}: write an .avi video, or give a folder for an image sequence").format(
                path=out), path=out)
        else:
            path = facegen.write_images(out, gen)
            kind = "images"
        res = {"path": path, "kind": kind, "frames": frames, "fps": fps, "size": [w, h], "scenario": scenario,
               "background": background, "seed": seed}
        if json_out:
            print_json(res)
        else:
            console.print(_("Wrote {frames} frames ({scenario}, {background} background) to {path}").format(
                frames=frames, scenario=scenario, background=_(BACKGROUND_NAMES[background]), path=path),
                highlight=False)

    # ------------------------------------------------------------------ smartcard
    reader_opt = typer.Option(None, "--reader", help=_("Reader name or part of it (default: the device "
                                                       "profile's reader, else the first reader)."))

    def pick_reader(reader: str | None, profile: str | None):  # type: ignore[no-untyped-def]
        from sweet17.adapters.devices.pcsc import PcscReaderDevice, list_readers

        settings = dict(_kit_entry("pcsc", profile) or {})
        wanted = reader or settings.get("reader")
        with device_errors():
            names = list_readers()
        matches = [n for n in names if not wanted or wanted.lower() in n.lower()]
        if not matches:
            if wanted:
                raise UserError(_("No card reader matches '{name}'. Readers: {names}").format(
                    name=wanted, names=", ".join(names) or "-"), field="--reader")
            raise UserError(_("No card reader is connected."))
        return PcscReaderDevice(matches[0], settings)

    @card.command("readers", help=_("List the card readers, whether a card is on each, and its ATR."))
    def card_readers(json_out: bool = json_option()) -> None:
        from sweet17.adapters.devices.pcsc import list_readers, reader_state

        with device_errors():
            rows = []
            for name in list_readers():
                present, atr = reader_state(name)
                rows.append({"reader": name, "card_present": present, "atr": atr.hex().upper() if present else None})
        if json_out:
            print_json({"readers": rows})
            return
        if not rows:
            console.print(_("No card reader is connected."))
        for r in rows:
            state = _("card: {atr}").format(atr=r["atr"]) if r["card_present"] else _("no card")
            console.print(f"{r['reader']}\t{state}", highlight=False, markup=False)

    @card.command("watch", help=_("Show cards being put on and taken off the readers (and readers plugged in "
                                  "or out) until the time is up or Ctrl+C."))
    def card_watch(
        seconds: float = typer.Option(60.0, "--seconds", min=0.1, help=_("Stop after this many seconds.")),
        reader: str = typer.Option(None, "--reader", help=_("Only this reader (name or part of it).")),
        json_out: bool = json_option(),
    ) -> None:
        import json
        import sys
        import time

        from sweet17.adapters.devices.pcsc import CardWatcher

        labels = {"inserted": _("card put on"), "removed": _("card taken off"),
                  "reader_added": _("reader connected"), "reader_removed": _("reader disconnected")}
        deadline = time.monotonic() + seconds
        with device_errors():
            with CardWatcher(readers=[reader] if reader else None) as watcher:
                while (left := deadline - time.monotonic()) > 0:
                    ev = watcher.next(min(left, 0.5))
                    if ev is None:
                        continue
                    if json_out:         # JSON Lines: one object per event
                        sys.stdout.write(json.dumps(ev.to_dict(), ensure_ascii=False) + "\n")
                        sys.stdout.flush()
                    else:
                        atr = f"  ATR {ev.atr.hex().upper()}" if ev.atr else ""
                        console.print(f"{ev.to_dict()['at']}  {labels[ev.kind]}: {ev.reader}{atr}",
                                      highlight=False, markup=False)

    @card.command("read", help=_("Wait for a card and show its ATR and, for a contactless card such as the "
                                 "KTP-el, its UID."))
    def card_read(
        reader: str = reader_opt,
        profile: str = profile_opt,
        timeout: float = timeout_opt,
        json_out: bool = json_option(),
    ) -> None:
        dev = pick_reader(reader, profile)
        if not json_out:
            console.print(_("Put the card on {reader} ...").format(reader=dev.reader), highlight=False)
        with device_errors():
            info = dev.read_card(int(timeout * 1000))
        if json_out:
            print_json(info.to_dict())
            return
        console.print(f"ATR: {info.atr.hex().upper()}", highlight=False)
        console.print(f"UID: {info.uid.hex().upper()}" if info.uid else _("UID: none (contact card)"),
                      highlight=False)

    @card.command("verify", help=_("Check an operator card and its PIN (the PIN is asked for, never given on "
                                   "the command line) and show whose card it is."))
    def card_verify(
        reader: str = reader_opt,
        profile: str = profile_opt,
        timeout: float = timeout_opt,
        pin_stdin: bool = typer.Option(False, "--pin-stdin", help=_("Read the PIN from standard input (for "
                                                                    "scripts).")),
        json_out: bool = json_option(),
    ) -> None:
        import sys

        dev = pick_reader(reader, profile)
        if pin_stdin:
            pin = sys.stdin.readline().strip()
        else:
            pin = typer.prompt(_("PIN"), hide_input=True)
        with device_errors():
            res = dev.verify_operator(pin, int(timeout * 1000))
        if json_out:
            print_json(res.to_dict())
            return
        console.print(_("Operator card OK: {operator}").format(operator=res.operator_id), highlight=False,
                      markup=False)

    @card.command("simulate", help=_("Run a virtual card for rehearsals and tests: it connects to the vpcd "
                                     "virtual reader (package vsmartcard-vpcd) and stays on the reader until "
                                     "Ctrl+C."))
    def card_simulate(
        kind: str = typer.Argument(..., help=_("operator (operator card with PIN) or ktp (contactless card).")),
        host: str = typer.Option("127.0.0.1", "--host", help=_("Where vpcd listens.")),
        port: int = typer.Option(35963, "--port", min=1, max=65535, help=_("vpcd port of the reader slot.")),
        uid: str = typer.Option(None, "--uid", help=_("Card UID in hex (4, 7 or 10 bytes).")),
        pin: str = typer.Option("123456", "--pin", help=_("PIN of the virtual operator card (a test PIN).")),
        operator_id: str = typer.Option("OP-DEMO-01", "--operator-id", help=_("Operator id on the card.")),
        tries: int = typer.Option(3, "--tries", min=1, max=15, help=_("Wrong PINs before the card blocks.")),
        state: Path = typer.Option(None, "--state", help=_("File keeping the PIN try counter across restarts.")),
        connect_timeout: float = typer.Option(10.0, "--connect-timeout", min=0.1,
                                              help=_("Wait this long for vpcd.")),
    ) -> None:
        from sweet17.adapters.devices import vcard

        if kind not in ("operator", "ktp"):
            raise UserError(_("Card kind: use operator or ktp"), field="kind")
        try:
            card_uid = bytes.fromhex(uid) if uid else None
            if kind == "ktp":
                virtual = vcard.ktp_card(card_uid or vcard.default_uid("ktp"))
            else:
                virtual = vcard.operator_card(pin, operator_id, uid=card_uid, max_tries=tries, state=state)
        except ValueError as e:
            raise UserError(_("Virtual card: {detail}").format(detail=e)) from None
        link = vcard.VpcdLink(virtual, host, port)
        try:
            link.connect(connect_timeout)
        except ConnectionError:
            raise UserError(_("No vpcd virtual reader at {host}:{port}. Is pcscd running with "
                              "vsmartcard-vpcd installed?").format(host=host, port=port)) from None
        console.print(_("Virtual {kind} card on the reader at {host}:{port}. Ctrl+C takes it off.").format(
            kind=kind, host=host, port=port), highlight=False)
        try:
            link.serve()
        except KeyboardInterrupt:
            link.stop()

