"""Virtual smartcards that speak the real protocol through vsmartcard's ``vpcd`` reader driver.

``vpcd`` (Debian package ``vsmartcard-vpcd``) is a pcscd reader driver that listens on a TCP port
(35963 by default, one port per reader slot). A virtual card connects to it; while the connection
is open, pcscd sees a card in that reader, and every APDU an application sends through PC/SC
arrives here. The protocol: each message is a 2-byte big-endian length and that many bytes; a
1-byte message is a control code (0 power off, 1 power on, 2 reset, 4 "send the ATR"), anything
longer is a command APDU, answered with a response APDU.

Two cards are modelled:

* ``ktp``: a contactless card like the KTP-el, with a configurable UID. It answers the PC/SC
  part 3 pseudo-APDU GET DATA ``FF CA 00 00 00`` (UID) and ``FF CA 01 00 00`` (historical bytes),
  as a contactless reader does for the card on it.
* ``operator``: an operator card with the sweet17 operator application (AID ``OPERATOR_AID``):
  SELECT by AID, VERIFY of the PIN (reference ``80``, ASCII digits padded with ``FF`` to 8 bytes)
  with a try counter (``63Cx`` x tries left, ``63C0`` on the try that blocks it, ``6983`` once
  blocked), VERIFY without data to ask the tries left, and GET DATA ``00 CA 5F 20`` (the operator
  id; ``6982`` until the PIN is verified). It has a UID too unless made a contact card.

Run one: ``python -m sweet17.adapters.devices.vcard --port 35963 operator --pin 123456`` (or
``sweet17 card simulate``). Only standard library imports: the tests start it as a process.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import os
import socket
import struct
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

DEFAULT_PORT = 35963
VPCD_CTRL_OFF, VPCD_CTRL_ON, VPCD_CTRL_RESET, VPCD_CTRL_ATR = 0, 1, 2, 4

OPERATOR_AID = bytes.fromhex("F0535745455431374F50")     # proprietary RID F0 + "SWEET17OP"
PIN_REFERENCE = 0x80
PIN_BLOCK_LEN = 8
TAG_OPERATOR_ID = 0x5F20

SW_OK = b"\x90\x00"
SW_WRONG_LENGTH = b"\x67\x00"
SW_SECURITY_NOT_SATISFIED = b"\x69\x82"
SW_PIN_BLOCKED = b"\x69\x83"
SW_CONDITIONS = b"\x69\x85"
SW_WRONG_P1P2 = b"\x6A\x86"
SW_FUNC_NOT_SUPPORTED = b"\x6A\x81"
SW_FILE_NOT_FOUND = b"\x6A\x82"
SW_REF_NOT_FOUND = b"\x6A\x88"
SW_INS_NOT_SUPPORTED = b"\x6D\x00"
SW_CLA_NOT_SUPPORTED = b"\x6E\x00"


def make_atr(historical: bytes) -> bytes:
    """An ATR in the PC/SC part 3 form for contactless cards (T=1): ``3B 8n 80 01 <hist> TCK``."""
    if len(historical) > 15:
        raise ValueError("at most 15 historical bytes")
    body = bytes([0x80 | len(historical), 0x80, 0x01]) + historical
    tck = 0
    for b in body:
        tck ^= b
    return b"\x3B" + body + bytes([tck])


def encode_pin(pin: str) -> bytes:
    """The PIN block: ASCII digits padded with ``FF`` to 8 bytes. 4-8 digits."""
    if not (pin.isascii() and pin.isdigit() and 4 <= len(pin) <= PIN_BLOCK_LEN):
        raise ValueError("a PIN is 4 to 8 digits")
    return pin.encode("ascii").ljust(PIN_BLOCK_LEN, b"\xff")


@dataclass(frozen=True)
class Apdu:
    cla: int
    ins: int
    p1: int
    p2: int
    data: bytes = b""
    le: int | None = None           # None: no Le; 0 in the APDU means 256

    @classmethod
    def parse(cls, raw: bytes) -> Apdu:
        """A short APDU (cases 1-4). ``ValueError`` if the lengths do not add up."""
        if len(raw) < 4:
            raise ValueError("APDU shorter than 4 bytes")
        cla, ins, p1, p2 = raw[:4]
        body = raw[4:]
        if not body:
            return cls(cla, ins, p1, p2)
        if len(body) == 1:
            return cls(cla, ins, p1, p2, le=body[0] or 256)
        lc = body[0]
        if lc == 0:
            raise ValueError("extended APDUs are not supported")
        if len(body) == 1 + lc:
            return cls(cla, ins, p1, p2, data=body[1:])
        if len(body) == 2 + lc:
            return cls(cla, ins, p1, p2, data=body[1:-1], le=body[-1] or 256)
        raise ValueError("Lc does not match the APDU length")


def respond(data: bytes, le: int | None) -> bytes:
    """``data`` + 9000, or ``6Cxx`` when Le is given and shorter than the data (xx = exact length)."""
    if le is not None and le < len(data):
        return bytes([0x6C, len(data) & 0xFF])
    return data + SW_OK


class OperatorApplet:
    """The sweet17 operator application: PIN with a try counter, the operator id behind it."""

    def __init__(self, pin: str, operator_id: str, *, max_tries: int = 3, tries_left: int | None = None,
                 on_change: Callable[[int], None] | None = None, aid: bytes = OPERATOR_AID) -> None:
        if not 1 <= max_tries <= 15:
            raise ValueError("max_tries is 1 to 15")
        self.aid = aid
        self._pin = encode_pin(pin)
        self.operator_id = operator_id.encode("utf-8")
        self.max_tries = max_tries
        self.tries_left = max_tries if tries_left is None else max(0, min(max_tries, tries_left))
        self.verified = False
        self._on_change = on_change

    def reset_session(self) -> None:
        self.verified = False

    def fci(self) -> bytes:
        label = b"sweet17 operator"
        inner = b"\x84" + bytes([len(self.aid)]) + self.aid + b"\xA5" + bytes([len(label) + 2]) + b"\x50" + \
            bytes([len(label)]) + label
        return b"\x6F" + bytes([len(inner)]) + inner

    def _set_tries(self, n: int) -> None:
        if n != self.tries_left:
            self.tries_left = n
            if self._on_change is not None:
                self._on_change(n)

    def process(self, apdu: Apdu) -> bytes:
        if apdu.ins == 0x20:
            return self._verify(apdu)
        if apdu.ins == 0xCA:
            tag = (apdu.p1 << 8) | apdu.p2
            if tag != TAG_OPERATOR_ID:
                return SW_REF_NOT_FOUND
            if not self.verified:
                return SW_SECURITY_NOT_SATISFIED
            return respond(self.operator_id, apdu.le)
        return SW_INS_NOT_SUPPORTED

    def _verify(self, apdu: Apdu) -> bytes:
        if apdu.p1 != 0x00:
            return SW_WRONG_P1P2
        if apdu.p2 != PIN_REFERENCE:
            return SW_REF_NOT_FOUND
        if not apdu.data:                       # "how many tries are left?"
            if self.tries_left == 0:
                return SW_PIN_BLOCKED
            return SW_OK if self.verified else bytes([0x63, 0xC0 | self.tries_left])
        if len(apdu.data) != PIN_BLOCK_LEN:
            return SW_WRONG_LENGTH
        if self.tries_left == 0:
            return SW_PIN_BLOCKED
        if hmac.compare_digest(apdu.data, self._pin):
            self._set_tries(self.max_tries)
            self.verified = True
            return SW_OK
        self.verified = False
        self._set_tries(self.tries_left - 1)
        return bytes([0x63, 0xC0 | self.tries_left])


class VirtualCard:
    """A card: its ATR, an optional contactless UID, and applications selected by AID."""

    def __init__(self, atr: bytes, uid: bytes | None = None, applets: tuple[OperatorApplet, ...] = (),
                 historical: bytes = b"") -> None:
        self.atr = atr
        self.uid = uid
        self.historical = historical
        self.applets = applets
        self.selected: OperatorApplet | None = None
        self.powered = False
        self.apdus = 0

    def power_on(self) -> None:
        self.powered = True
        self.reset()

    def power_off(self) -> None:
        self.powered = False
        self.reset()

    def reset(self) -> None:
        self.selected = None
        for applet in self.applets:
            applet.reset_session()

    def process(self, raw: bytes) -> bytes:
        self.apdus += 1
        try:
            apdu = Apdu.parse(raw)
        except ValueError:
            return SW_WRONG_LENGTH
        if apdu.cla == 0xFF:
            return self._reader_command(apdu)
        if apdu.cla & 0xFC != 0x00:
            return SW_CLA_NOT_SUPPORTED
        if apdu.ins == 0xA4:
            return self._select(apdu)
        if self.selected is None:
            return SW_CONDITIONS if apdu.ins in (0x20, 0xCA) else SW_INS_NOT_SUPPORTED
        return self.selected.process(apdu)

    def _reader_command(self, apdu: Apdu) -> bytes:
        """PC/SC part 3 GET DATA, answered for the card by a contactless reader."""
        if apdu.ins != 0xCA or apdu.p2 != 0x00:
            return SW_INS_NOT_SUPPORTED
        if self.uid is None:                    # a contact card has no UID
            return SW_FUNC_NOT_SUPPORTED
        if apdu.p1 == 0x00:
            return respond(self.uid, apdu.le)
        if apdu.p1 == 0x01:
            return respond(self.historical, apdu.le)
        return SW_WRONG_P1P2

    def _select(self, apdu: Apdu) -> bytes:
        if apdu.p1 != 0x04:
            return SW_FUNC_NOT_SUPPORTED
        for applet in self.applets:
            if apdu.data and applet.aid.startswith(apdu.data):
                if self.selected is not applet:
                    applet.reset_session()
                self.selected = applet
                if apdu.p2 & 0x0C == 0x0C or apdu.le is None:
                    return SW_OK
                return respond(applet.fci(), apdu.le)
        self.selected = None
        return SW_FILE_NOT_FOUND


# ---------------------------------------------------------------------- the cards

KTP_HISTORICAL = b"S17-KTPEL"
OPERATOR_HISTORICAL = b"S17-OPER"


def ktp_card(uid: bytes) -> VirtualCard:
    """A KTP-el-like contactless card (synthetic) with ``uid`` (4, 7 or 10 bytes)."""
    if len(uid) not in (4, 7, 10):
        raise ValueError("a UID is 4, 7 or 10 bytes")
    return VirtualCard(make_atr(KTP_HISTORICAL), uid=uid, historical=KTP_HISTORICAL)


def default_uid(seed: str) -> bytes:
    """A stable 7-byte UID (NXP-style, first byte 04) derived from ``seed``."""
    return b"\x04" + hashlib.sha256(seed.encode("utf-8")).digest()[:6]


class TriesFile:
    """Keeps an operator applet's tries counter across card restarts (a real card keeps it)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def load(self) -> int | None:
        try:
            return int(json.loads(self.path.read_text(encoding="utf-8"))["tries_left"])
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def save(self, tries: int) -> None:
        tmp = self.path.with_name(self.path.name + ".tmp")
        tmp.write_text(json.dumps({"tries_left": tries}), encoding="utf-8")
        os.replace(tmp, self.path)


def operator_card(pin: str, operator_id: str, *, uid: bytes | None = None, contact: bool = False,
                  max_tries: int = 3, state: Path | None = None) -> VirtualCard:
    """An operator card. ``contact=True`` makes it a contact card (no UID)."""
    tries_file = TriesFile(state) if state else None
    applet = OperatorApplet(pin, operator_id, max_tries=max_tries,
                            tries_left=tries_file.load() if tries_file else None,
                            on_change=tries_file.save if tries_file else None)
    card_uid = None if contact else (uid or default_uid(operator_id))
    return VirtualCard(make_atr(OPERATOR_HISTORICAL), uid=card_uid, applets=(applet,),
                       historical=OPERATOR_HISTORICAL)


# ---------------------------------------------------------------------- the vpcd link

class VpcdLink:
    """Connects a ``VirtualCard`` to vpcd: the card is in the reader while the link is open."""

    def __init__(self, card: VirtualCard, host: str = "127.0.0.1", port: int = DEFAULT_PORT,
                 delay_s: float = 0.0) -> None:
        self.card = card
        self.host = host
        self.port = port
        self.delay_s = delay_s
        self._sock: socket.socket | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def connect(self, timeout: float = 10.0) -> None:
        """Connect, retrying until ``timeout`` (vpcd may still be starting); ``ConnectionError`` then."""
        deadline = time.monotonic() + timeout
        last: OSError | None = None
        while time.monotonic() < deadline and not self._stop.is_set():
            try:
                sock = socket.create_connection((self.host, self.port), timeout=1.0)
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                self._sock = sock
                return
            except OSError as e:
                last = e
                time.sleep(0.1)
        raise ConnectionError(f"no vpcd at {self.host}:{self.port} ({last})")

    def _recv_exact(self, n: int) -> bytes | None:
        assert self._sock is not None
        buf = b""
        while len(buf) < n:
            try:
                chunk = self._sock.recv(n - len(buf))
            except TimeoutError:
                if self._stop.is_set():
                    return None
                continue
            except OSError:
                return None
            if not chunk:
                return None
            buf += chunk
        return buf

    def _send(self, payload: bytes) -> None:
        assert self._sock is not None
        self._sock.sendall(struct.pack("!H", len(payload)) + payload)

    def serve(self) -> None:
        """Answer vpcd until it closes the link or ``stop()`` is called."""
        if self._sock is None:
            raise RuntimeError("connect() first")
        self._sock.settimeout(0.2)
        try:
            while not self._stop.is_set():
                head = self._recv_exact(2)
                if head is None:
                    break
                (size,) = struct.unpack("!H", head)
                msg = self._recv_exact(size) if size else b""
                if msg is None:
                    break
                if size == 1:
                    code = msg[0]
                    if code == VPCD_CTRL_ATR:
                        self._send(self.card.atr)
                    elif code == VPCD_CTRL_ON:
                        self.card.power_on()
                    elif code == VPCD_CTRL_OFF:
                        self.card.power_off()
                    elif code == VPCD_CTRL_RESET:
                        self.card.reset()
                elif size:
                    if self.delay_s:
                        time.sleep(self.delay_s)
                    self._send(self.card.process(msg))
        except OSError:
            pass
        finally:
            self.close()

    def start(self, timeout: float = 10.0) -> VpcdLink:
        """Connect and serve in a daemon thread (the card is "inserted")."""
        self.connect(timeout)
        self._thread = threading.Thread(target=self.serve, name=f"vcard-{self.port}", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Close the link (the card is "removed")."""
        self._stop.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=2.0)
        self.close()

    def close(self) -> None:
        if self._sock is not None:
            try:
                self._sock.close()
            finally:
                self._sock = None


def build_card(args: argparse.Namespace) -> VirtualCard:
    uid = bytes.fromhex(args.uid) if args.uid else None
    if args.kind == "ktp":
        return ktp_card(uid or default_uid("ktp"))
    return operator_card(args.pin, args.operator_id, uid=uid, contact=args.contact, max_tries=args.tries,
                         state=Path(args.state) if args.state else None)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sweet17.adapters.devices.vcard",
                                     description="A virtual smartcard for vpcd (tests and rehearsals).")
    parser.add_argument("--host", default="127.0.0.1", help="where vpcd listens (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help="vpcd port of the reader slot (35963)")
    parser.add_argument("--delay-ms", type=int, default=0, help="answer every APDU this much later (slow card)")
    parser.add_argument("--connect-timeout", type=float, default=10.0)
    sub = parser.add_subparsers(dest="kind", required=True)
    ktp = sub.add_parser("ktp", help="a KTP-el-like contactless card")
    ktp.add_argument("--uid", help="UID in hex (4, 7 or 10 bytes)")
    op = sub.add_parser("operator", help="an operator card with PIN")
    op.add_argument("--pin", default="123456")
    op.add_argument("--operator-id", default="OP-DEMO-01")
    op.add_argument("--uid", help="UID in hex (default: derived from the operator id)")
    op.add_argument("--contact", action="store_true", help="a contact card (no UID)")
    op.add_argument("--tries", type=int, default=3, help="PIN tries before it blocks (3)")
    op.add_argument("--state", help="file keeping the tries counter across restarts")
    args = parser.parse_args(argv)
    try:
        card = build_card(args)
    except ValueError as e:
        parser.error(str(e))
    link = VpcdLink(card, args.host, args.port, delay_s=args.delay_ms / 1000.0)
    try:
        link.connect(args.connect_timeout)
    except ConnectionError as e:
        print(f"vcard: {e}", file=sys.stderr)
        return 1
    print(f"READY {args.kind} {args.host}:{args.port}", flush=True)
    try:
        link.serve()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
