"""Smartcard readers through PC/SC (pyscard): readers, card events, ATR, UID, operator cards.

* ``list_readers()``: the readers pcscd knows.
* ``CardWatcher``: card insertion and removal (pyscard's ``CardMonitor``) and readers plugged in
  or out (pyscard's ``ReaderMonitor``), through two small observer classes that put
  ``CardEvent`` objects on a queue. Cards already on a reader are reported as inserted first.
* ``PcscReaderDevice`` (driver ``pcsc``): ``read_card()`` gives the ATR and, for contactless
  cards such as the KTP-el, the UID (GET DATA ``FF CA 00 00 00``, answered by the reader);
  ``verify_operator(pin)`` signs an operator in with a card and PIN: SELECT of the operator
  application by AID, VERIFY of the PIN (``63Cx``: wrong, x tries left; ``63C0``/``6983``:
  blocked), then GET DATA of the operator id; the card is reset afterwards so that the PIN
  state does not outlive the sign-in. ``capture()`` implements the device interface for
  modality CARD (the card's UID, or its ATR for a contact card).

Every blocking card exchange runs with a deadline: a card that is slow or stops answering gives
``DeviceTimeout``, a card taken away gives ``CardRemoved``, a reader held by another program
``DeviceBusy``, and no pcscd ``PcscServiceDown`` — all with operator messages in Indonesian.
PINs never reach a log; UIDs are logged only as their length.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar

from sweet17.adapters.devices.base import (
    BiometricRecord,
    CaptureFailed,
    CaptureRequest,
    CaptureResult,
    Device,
    DeviceBusy,
    DeviceError,
    DeviceInfo,
    DeviceNotFound,
    DeviceNotReady,
    DeviceStatus,
    DeviceTimeout,
    Modality,
    int_setting,
)
from sweet17.errors import UserError, ValidationError
from sweet17.i18n import N_, _

log = logging.getLogger(__name__)

OPERATOR_AID = bytes.fromhex("F0535745455431374F50")     # the same as vcard.OPERATOR_AID
PIN_REFERENCE = 0x80
TAG_OPERATOR_ID = 0x5F20
GET_UID = bytes.fromhex("FFCA000000")
GET_HISTORICAL = bytes.fromhex("FFCA010000")
T = TypeVar("T")


# ---------------------------------------------------------------------- errors

class PcscServiceDown(DeviceNotReady):
    message_id = N_("The smartcard service (pcscd) is not running. Start it (systemctl start pcscd) "
                    "and try again.")


class CardRemoved(DeviceNotReady):
    message_id = N_("The card was taken off the reader. Put it back and try again.")


class NoCardPresented(DeviceTimeout):
    message_id = N_("No card was put on the reader in time.")


class ReaderBusy(DeviceBusy):
    message_id = N_("The card reader is in use by another program. Close that program and try again.")


class NotOperatorCard(DeviceError):
    message_id = N_("This card is not a sweet17 operator card.")


class WrongPin(DeviceError):
    message_id = N_("Wrong PIN.")

    def __init__(self, tries_left: int, device: str = "") -> None:
        self.tries_left = tries_left
        super().__init__(f"wrong PIN, {tries_left} tries left", code=0x63C0 | tries_left, device=device)

    @property
    def operator_message(self) -> str:
        return _("Wrong PIN. Tries left before the card is blocked: {n}.").format(n=self.tries_left)


class CardHasNoUid(DeviceError):
    message_id = N_("This card has no contactless chip UID. Use a contactless operator card.")


class PinBlocked(DeviceError):
    message_id = N_("The card's PIN is blocked after too many wrong tries. The supervisor must unblock or "
                    "replace the card.")


class CardError(CaptureFailed):
    """The card answered a command with an unexpected status word."""

    message_id = N_("The card answered with an error. Take it off the reader, put it back and try again.")


# ---------------------------------------------------------------------- PC/SC plumbing

def _scard():  # type: ignore[no-untyped-def]
    from smartcard import scard

    return scard


def _raise_for(hresult: int, what: str, reader: str = "") -> None:
    """Map a PC/SC error code to a typed device error."""
    sc = _scard()
    if hresult == sc.SCARD_S_SUCCESS:
        return
    text = f"{what}: {sc.SCardGetErrorMessage(hresult)} (0x{hresult & 0xFFFFFFFF:08X})"
    if hresult in (sc.SCARD_E_NO_SERVICE, sc.SCARD_E_SERVICE_STOPPED):
        raise PcscServiceDown(text, code=hresult, device=reader)
    if hresult in (sc.SCARD_W_REMOVED_CARD, sc.SCARD_E_NO_SMARTCARD, sc.SCARD_W_RESET_CARD):
        raise CardRemoved(text, code=hresult, device=reader)
    if hresult == sc.SCARD_E_SHARING_VIOLATION:
        raise ReaderBusy(text, code=hresult, device=reader)
    if hresult in (sc.SCARD_E_UNKNOWN_READER, sc.SCARD_E_READER_UNAVAILABLE, sc.SCARD_E_NO_READERS_AVAILABLE):
        raise DeviceNotFound(text, code=hresult, device=reader)
    if hresult == sc.SCARD_E_TIMEOUT:
        raise DeviceTimeout(text, code=hresult, device=reader)
    raise CaptureFailed(text, code=hresult, device=reader)


@contextmanager
def pcsc_context() -> Iterator[Any]:
    """A PC/SC context (released at the end)."""
    sc = _scard()
    hresult, hcontext = sc.SCardEstablishContext(sc.SCARD_SCOPE_USER)
    _raise_for(hresult, "establish context")
    try:
        yield hcontext
    finally:
        sc.SCardReleaseContext(hcontext)


def list_readers() -> list[str]:
    """Names of the readers pcscd knows (empty when none); ``PcscServiceDown`` without pcscd."""
    sc = _scard()
    with pcsc_context() as ctx:
        hresult, readers = sc.SCardListReaders(ctx, [])
        if hresult == sc.SCARD_E_NO_READERS_AVAILABLE:
            return []
        _raise_for(hresult, "list readers")
        return list(readers)


def reader_state(reader: str, timeout_ms: int = 0) -> tuple[bool, bytes]:
    """Whether a card is on ``reader`` and its ATR (without connecting to it)."""
    sc = _scard()
    with pcsc_context() as ctx:
        hresult, states = sc.SCardGetStatusChange(ctx, timeout_ms, [(reader, sc.SCARD_STATE_UNAWARE)])
        _raise_for(hresult, "reader status", reader)
        _name, event, atr = states[0]
        if event & (sc.SCARD_STATE_UNKNOWN | sc.SCARD_STATE_IGNORE):
            raise DeviceNotFound(f"reader {reader!r} is gone", device=reader)
        return bool(event & sc.SCARD_STATE_PRESENT), bytes(atr)


def _with_deadline(fn: Callable[[], T], timeout_s: float, reader: str) -> T:
    """Run ``fn`` in a worker thread; ``DeviceTimeout`` if it is not done in ``timeout_s``.

    PC/SC has no timeout for card commands: a card that stops answering would block the
    caller. The worker is left to finish (or not) on its own; the operator gets an answer."""
    box: dict[str, Any] = {}

    def run() -> None:
        try:
            box["value"] = fn()
        except BaseException as e:  # handed to the caller below
            box["error"] = e

    worker = threading.Thread(target=run, name=f"pcsc-{reader}", daemon=True)
    worker.start()
    worker.join(timeout_s)
    if worker.is_alive():
        err = DeviceTimeout(f"the card on {reader} did not answer in {timeout_s:.1f} s", device=reader)
        err.worker = worker     # type: ignore[attr-defined]  # still inside PC/SC: see session()
        raise err
    if "error" in box:
        raise box["error"]
    return box["value"]


def status_word(sw1: int, sw2: int) -> str:
    return f"{sw1:02X}{sw2:02X}"


class CardSession:
    """A connection to the card on one reader: ``transmit`` with 61xx/6Cxx handling."""

    def __init__(self, ctx: Any, reader: str, exclusive: bool = False) -> None:
        sc = _scard()
        self.reader = reader
        mode = sc.SCARD_SHARE_EXCLUSIVE if exclusive else sc.SCARD_SHARE_SHARED
        hresult, self.hcard, self.protocol = sc.SCardConnect(
            ctx, reader, mode, sc.SCARD_PROTOCOL_T0 | sc.SCARD_PROTOCOL_T1)
        _raise_for(hresult, "connect", reader)
        self._pci = sc.SCARD_PCI_T0 if self.protocol == sc.SCARD_PROTOCOL_T0 else sc.SCARD_PCI_T1
        self.disposition = sc.SCARD_LEAVE_CARD

    def atr(self) -> bytes:
        sc = _scard()
        hresult, _reader, _state, _protocol, atr = sc.SCardStatus(self.hcard)
        _raise_for(hresult, "card status", self.reader)
        return bytes(atr)

    def transmit(self, apdu: bytes, *, sensitive: bool = False) -> tuple[bytes, int, int]:
        """Send a command APDU; ``(data, sw1, sw2)``. GET RESPONSE on 61xx; resend with the right
        Le on 6Cxx. ``sensitive`` keeps the command data out of the debug log (PINs)."""
        sc = _scard()
        log.debug("APDU %s%s", apdu[:4].hex().upper(), " <hidden>" if sensitive else apdu[4:].hex().upper())
        hresult, resp = sc.SCardTransmit(self.hcard, self._pci, list(apdu))
        _raise_for(hresult, "transmit", self.reader)
        if len(resp) < 2:
            # a card that went away mid-command can give an empty answer before pcscd notices the
            # removal: give pcscd a moment to tell, then report what it was
            for _i in range(30):
                self.atr()              # raises CardRemoved once pcscd knows
                time.sleep(0.05)
            raise CardError(f"short answer {bytes(resp).hex()}", device=self.reader)
        data, sw1, sw2 = bytes(resp[:-2]), resp[-2], resp[-1]
        if sw1 == 0x6C and len(apdu) == 5:          # wrong Le: the card says the exact length
            return self.transmit(apdu[:4] + bytes([sw2]), sensitive=sensitive)
        while sw1 == 0x61:                          # more data waiting: GET RESPONSE
            hresult, resp = sc.SCardTransmit(self.hcard, self._pci, [apdu[0] & 0x03, 0xC0, 0x00, 0x00, sw2])
            _raise_for(hresult, "get response", self.reader)
            data += bytes(resp[:-2])
            sw1, sw2 = resp[-2], resp[-1]
        log.debug("SW %s (%d bytes)", status_word(sw1, sw2), len(data))
        return data, sw1, sw2

    def uid(self) -> bytes | None:
        """The contactless UID (GET DATA ``FF CA 00 00 00``), ``None`` for a contact card."""
        data, sw1, sw2 = self.transmit(GET_UID)
        if (sw1, sw2) == (0x90, 0x00) and data:
            return data
        return None

    def historical(self) -> bytes | None:
        data, sw1, sw2 = self.transmit(GET_HISTORICAL)
        return data if (sw1, sw2) == (0x90, 0x00) else None

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """No other program talks to the card in between (SCardBeginTransaction)."""
        sc = _scard()
        _raise_for(sc.SCardBeginTransaction(self.hcard), "begin transaction", self.reader)
        try:
            yield
        finally:
            sc.SCardEndTransaction(self.hcard, sc.SCARD_LEAVE_CARD)

    def close(self) -> None:
        sc = _scard()
        sc.SCardDisconnect(self.hcard, self.disposition)


# ---------------------------------------------------------------------- results

def _is_contactless_atr(atr: bytes) -> bool:
    """PC/SC part 3 ATRs a contactless reader builds: ``3B 8x 80 01 ...``."""
    return len(atr) >= 4 and atr[0] == 0x3B and atr[1] & 0xF0 == 0x80 and atr[2] == 0x80 and atr[3] == 0x01


@dataclass(frozen=True)
class CardInfo:
    """A card on a reader: its ATR and, for a contactless card, its UID."""

    reader: str
    atr: bytes
    uid: bytes | None = None
    historical: bytes | None = None

    @property
    def contactless(self) -> bool:
        return self.uid is not None or _is_contactless_atr(self.atr)

    def to_dict(self) -> dict[str, Any]:
        return {"reader": self.reader, "atr": self.atr.hex().upper(),
                "uid": self.uid.hex().upper() if self.uid else None, "contactless": self.contactless}


@dataclass(frozen=True)
class OperatorSignIn:
    """A successful card + PIN check: who the card belongs to."""

    operator_id: str
    card: CardInfo

    def to_dict(self) -> dict[str, Any]:
        return {"operator_id": self.operator_id, **self.card.to_dict()}


@dataclass(frozen=True)
class CardEvent:
    kind: str                  # inserted / removed / reader_added / reader_removed
    reader: str
    atr: bytes = b""
    at: float = 0.0            # time.time()

    def to_dict(self) -> dict[str, Any]:
        return {"event": self.kind, "reader": self.reader, "atr": self.atr.hex().upper() if self.atr else None,
                "at": datetime.fromtimestamp(self.at, UTC).isoformat(timespec="milliseconds") if self.at else None}


# ---------------------------------------------------------------------- events (pyscard monitors)

def _card_observer_base():  # type: ignore[no-untyped-def]
    from smartcard.CardMonitoring import CardObserver

    return CardObserver


def _reset_dead_card_monitor() -> None:
    """pyscard's CardMonitor is a singleton whose thread stops for good when pcscd goes away;
    drop a dead one so that the next monitor starts a fresh thread."""
    from smartcard import CardMonitoring as cm

    thread = cm.CardMonitoringThread.instance
    if thread is not None and not thread.is_alive():
        with cm.CardMonitoringThread.lock:
            cm.CardMonitoringThread.instance = None
        with cm.CardMonitor.lock:
            cm.CardMonitor.instance = None


def _stop_unused_card_monitor() -> None:
    """Stop pyscard's card monitor thread once no observer is left (it would otherwise keep
    polling pcscd, and print tracebacks when pcscd stops): cancel its wait, let a fresh one start
    next time."""
    from smartcard import CardMonitoring as cm

    monitor = cm.CardMonitor.instance
    if monitor is None or monitor.countObservers() > 0:
        return
    thread = cm.CardMonitoringThread.instance
    with cm.CardMonitor.lock:
        cm.CardMonitor.instance = None
    with cm.CardMonitoringThread.lock:
        cm.CardMonitoringThread.instance = None
    if thread is None:
        return
    thread.stop()
    try:        # wake it from its 60 s SCardGetStatusChange: SCARD_E_CANCELLED ends it quietly
        hcontext = thread.cardrequest.pcsccardrequest.hcontext
    except AttributeError:
        return
    _scard().SCardCancel(hcontext)


class CardWatcher:
    """Card and reader events, as a context manager::

        with CardWatcher() as watcher:
            event = watcher.next(timeout=5.0)     # CardEvent or None

    ``readers`` limits card events to those readers (names or substrings)."""

    def __init__(self, readers: list[str] | None = None, watch_readers: bool = True) -> None:
        self.readers = readers
        self.watch_readers = watch_readers
        self.queue: queue.Queue[CardEvent] = queue.Queue()
        self._card_obs: Any = None
        self._reader_obs: Any = None
        self._card_monitor: Any = None
        self._reader_monitor: Any = None

    def _wanted(self, reader: str) -> bool:
        return not self.readers or any(r.lower() in reader.lower() for r in self.readers)

    def __enter__(self) -> CardWatcher:
        from smartcard.CardMonitoring import CardMonitor, CardObserver
        from smartcard.ReaderMonitoring import ReaderMonitor, ReaderObserver

        list_readers()      # fail now, with a clear error, when pcscd is not there
        watcher = self

        class _Cards(CardObserver):
            def update(self, observable: Any, actions: Any) -> None:
                added, removed = actions
                now = time.time()
                for card in added:
                    if watcher._wanted(str(card.reader)):
                        watcher.queue.put(CardEvent("inserted", str(card.reader), bytes(card.atr), now))
                for card in removed:
                    if watcher._wanted(str(card.reader)):
                        watcher.queue.put(CardEvent("removed", str(card.reader), bytes(card.atr), now))

        class _Readers(ReaderObserver):
            def update(self, observable: Any, actions: Any) -> None:
                added, removed = actions
                now = time.time()
                for reader in added:
                    watcher.queue.put(CardEvent("reader_added", str(reader), b"", now))
                for reader in removed:
                    watcher.queue.put(CardEvent("reader_removed", str(reader), b"", now))

        _reset_dead_card_monitor()
        self._card_monitor = CardMonitor()
        self._card_obs = _Cards()
        self._card_monitor.addObserver(self._card_obs)
        if self.watch_readers:
            self._reader_monitor = ReaderMonitor()
            self._reader_obs = _Readers()
            self._reader_monitor.addObserver(self._reader_obs)
        return self

    def next(self, timeout: float | None = None) -> CardEvent | None:
        """The next event, or ``None`` after ``timeout`` seconds."""
        try:
            return self.queue.get(timeout=timeout)
        except queue.Empty:
            return None

    def wait_for(self, kind: str, timeout: float, reader: str | None = None) -> CardEvent | None:
        """The next event of ``kind`` (on ``reader``), skipping others, or ``None`` at the timeout."""
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            ev = self.next(left)
            if ev is not None and ev.kind == kind and (reader is None or reader.lower() in ev.reader.lower()):
                return ev
        return None

    def __exit__(self, *exc: Any) -> None:
        if self._card_monitor is not None:
            self._card_monitor.deleteObserver(self._card_obs)
            _stop_unused_card_monitor()
        if self._reader_monitor is not None:
            self._reader_monitor.deleteObserver(self._reader_obs)


# ---------------------------------------------------------------------- the device

def _split_reader_name(reader: str) -> tuple[str, str]:
    """("ACS", "ACR122U PICC Interface") from "ACS ACR122U PICC Interface 00 00"."""
    parts = reader.split()
    while len(parts) > 1 and len(parts[-1]) == 2 and parts[-1].isdigit():
        parts.pop()
    if not parts:
        return "", reader
    return parts[0], " ".join(parts[1:])


def _parse_aid(value: Any) -> bytes:
    if value is None:
        return OPERATOR_AID
    try:
        aid = bytes.fromhex(str(value).replace(" ", ""))
    except ValueError:
        aid = b""
    if not 5 <= len(aid) <= 16:
        raise ValidationError(_("{field}: '{value}' is not an application id (5 to 16 bytes in hex)").format(
            field="aid", value=value), field="aid")
    return aid


def pin_block(pin: str) -> bytes:
    """ASCII digits padded with FF to 8 bytes; ``UserError`` unless 4-8 digits."""
    if not (pin.isascii() and pin.isdigit() and 4 <= len(pin) <= 8):
        raise UserError(_("The PIN must be 4 to 8 digits."), field="pin")
    return pin.encode("ascii").ljust(8, b"\xff")


class PcscReaderDevice:
    """One PC/SC reader (driver ``pcsc``)."""

    driver = "pcsc"

    def __init__(self, reader: str, profile: dict[str, Any] | None = None) -> None:
        profile = dict(profile or {})
        self.reader = reader
        self.aid = _parse_aid(profile.get("aid"))
        self.command_timeout_s = int_setting(profile, "command_timeout_ms", 5000, 100, 120_000) / 1000.0
        self._lock = threading.Lock()

    # ------------------------------------------------------------------ interface
    def describe(self) -> DeviceInfo:
        make, model = _split_reader_name(self.reader)
        status = self.status()
        present = None
        if status == DeviceStatus.READY:
            try:
                present, _atr = reader_state(self.reader)
            except DeviceError:
                present = None
        return DeviceInfo(driver="pcsc", device_id=self.reader, modality=Modality.CARD, make=make, model=model,
                          status=status, certification="PC/SC", endpoint=self.reader,
                          extra={"card_present": present})

    def status(self) -> DeviceStatus:
        if self._lock.locked():
            return DeviceStatus.BUSY
        try:
            return DeviceStatus.READY if self.reader in list_readers() else DeviceStatus.DISCONNECTED
        except PcscServiceDown:
            return DeviceStatus.NOT_READY

    def card_present(self) -> bool:
        return reader_state(self.reader)[0]

    def preview(self) -> Iterator[bytes]:
        raise DeviceError("a card reader has no preview", device=self.reader)

    # ------------------------------------------------------------------ card access
    def wait_for_card(self, timeout_ms: int) -> bytes:
        """Wait until a card is on the reader; its ATR. ``NoCardPresented`` after ``timeout_ms``."""
        sc = _scard()
        deadline = time.monotonic() + timeout_ms / 1000.0
        with pcsc_context() as ctx:
            state = sc.SCARD_STATE_UNAWARE
            while True:
                left = int(max(0.0, deadline - time.monotonic()) * 1000)
                hresult, states = sc.SCardGetStatusChange(ctx, left, [(self.reader, state)])
                if hresult == sc.SCARD_E_TIMEOUT:
                    raise NoCardPresented(f"no card on {self.reader} in {timeout_ms} ms", device=self.reader)
                _raise_for(hresult, "wait for card", self.reader)
                _name, event, atr = states[0]
                if event & (sc.SCARD_STATE_UNKNOWN | sc.SCARD_STATE_IGNORE):
                    raise DeviceNotFound(f"reader {self.reader!r} is gone", device=self.reader)
                if event & sc.SCARD_STATE_PRESENT and not event & sc.SCARD_STATE_MUTE:
                    return bytes(atr)
                if left <= 0:
                    raise NoCardPresented(f"no card on {self.reader} in {timeout_ms} ms", device=self.reader)
                state = event & ~sc.SCARD_STATE_CHANGED

    @contextmanager
    def session(self, timeout_ms: int = 10_000, *, reset_after: bool = False) -> Iterator[CardSession]:
        """Wait for a card, connect to it (shared), and disconnect at the end (resetting the card
        when ``reset_after``, which drops any verified PIN)."""
        if not self._lock.acquire(blocking=False):
            raise ReaderBusy("another operation is running on this reader", device=self.reader)
        try:
            self.wait_for_card(timeout_ms)
            sc = _scard()
            hresult, ctx = sc.SCardEstablishContext(sc.SCARD_SCOPE_USER)
            _raise_for(hresult, "establish context", self.reader)
            sess: CardSession | None = None
            stuck: threading.Thread | None = None

            def cleanup() -> None:
                if stuck is not None:
                    stuck.join()    # never free the handle under a command still running in it
                if sess is not None:
                    if reset_after:
                        sess.disposition = sc.SCARD_RESET_CARD
                    sess.close()
                sc.SCardReleaseContext(ctx)

            try:
                sess = _with_deadline(lambda: CardSession(ctx, self.reader), self.command_timeout_s, self.reader)
                yield sess
            except DeviceTimeout as e:
                stuck = getattr(e, "worker", None)  # a command is still stuck in pcscd: do not wait for it
                raise
            finally:
                if stuck is not None:
                    threading.Thread(target=cleanup, name=f"pcsc-close-{self.reader}", daemon=True).start()
                else:
                    cleanup()
        finally:
            self._lock.release()

    def read_card(self, timeout_ms: int = 10_000) -> CardInfo:
        """ATR and, for a contactless card, UID of the card on the reader (waiting for one)."""
        with self.session(timeout_ms) as sess:
            def read() -> CardInfo:
                atr = sess.atr()
                uid = sess.uid()
                hist = sess.historical() if uid is not None else None
                return CardInfo(self.reader, atr, uid, hist)

            info = _with_deadline(read, self.command_timeout_s, self.reader)
        log.info("card read on %s: ATR %d bytes, UID %s", self.reader, len(info.atr),
                 f"{len(info.uid)} bytes" if info.uid else "none")
        return info

    def verify_operator(self, pin: str, timeout_ms: int = 10_000) -> OperatorSignIn:
        """Operator sign-in: SELECT the operator application, VERIFY the PIN, read the operator id.

        ``WrongPin`` (with ``tries_left``), ``PinBlocked``, ``NotOperatorCard``, ``CardRemoved``,
        ``NoCardPresented``, ``DeviceTimeout``. The card is reset afterwards."""
        block = pin_block(pin)
        with self.session(timeout_ms, reset_after=True) as sess:
            def run() -> OperatorSignIn:
                with sess.transaction():
                    atr = sess.atr()
                    uid = sess.uid()
                    select = bytes([0x00, 0xA4, 0x04, 0x00, len(self.aid)]) + self.aid + b"\x00"
                    _data, sw1, sw2 = sess.transmit(select)
                    if (sw1, sw2) in ((0x6A, 0x82), (0x6A, 0x81), (0x6D, 0x00), (0x6E, 0x00)):
                        raise NotOperatorCard(f"SELECT {self.aid.hex().upper()}: {status_word(sw1, sw2)}",
                                              device=self.reader)
                    if (sw1, sw2) != (0x90, 0x00):
                        raise CardError(f"SELECT: {status_word(sw1, sw2)}", code=(sw1 << 8) | sw2,
                                        device=self.reader)
                    verify = bytes([0x00, 0x20, 0x00, PIN_REFERENCE, len(block)]) + block
                    _data, sw1, sw2 = sess.transmit(verify, sensitive=True)
                    _raise_for_pin(sw1, sw2, self.reader)
                    data, sw1, sw2 = sess.transmit(bytes([0x00, 0xCA, TAG_OPERATOR_ID >> 8,
                                                          TAG_OPERATOR_ID & 0xFF, 0x00]))
                    if (sw1, sw2) != (0x90, 0x00) or not data:
                        raise CardError(f"GET DATA operator id: {status_word(sw1, sw2)}", code=(sw1 << 8) | sw2,
                                        device=self.reader)
                    try:
                        operator_id = data.decode("utf-8")
                    except UnicodeDecodeError:
                        raise CardError("operator id is not text", device=self.reader) from None
                    return OperatorSignIn(operator_id, CardInfo(self.reader, atr, uid))

            return _with_deadline(run, self.command_timeout_s, self.reader)

    def pin_tries_left(self, timeout_ms: int = 10_000) -> int:
        """Tries left before the PIN blocks (VERIFY without data); 0 when blocked."""
        with self.session(timeout_ms, reset_after=True) as sess:
            def run() -> int:
                select = bytes([0x00, 0xA4, 0x04, 0x0C, len(self.aid)]) + self.aid
                _data, sw1, sw2 = sess.transmit(select)
                if (sw1, sw2) != (0x90, 0x00):
                    raise NotOperatorCard(f"SELECT: {status_word(sw1, sw2)}", device=self.reader)
                _data, sw1, sw2 = sess.transmit(bytes([0x00, 0x20, 0x00, PIN_REFERENCE]))
                if sw1 == 0x63 and sw2 & 0xF0 == 0xC0:
                    return sw2 & 0x0F
                if (sw1, sw2) == (0x69, 0x83):
                    return 0
                if (sw1, sw2) == (0x90, 0x00):      # already verified in this card session
                    return -1
                raise CardError(f"VERIFY status: {status_word(sw1, sw2)}", device=self.reader)

            return _with_deadline(run, self.command_timeout_s, self.reader)

    # ------------------------------------------------------------------ for services.operators
    def read_uid(self, timeout_ms: int = 10_000) -> str:
        """The card's UID in upper-case hex (``CardReader`` protocol of ``services.operators``);
        ``CardHasNoUid`` for a contact card."""
        info = self.read_card(timeout_ms)
        if info.uid is None:
            raise CardHasNoUid(f"no UID from the card on {self.reader}", device=self.reader)
        return info.uid.hex().upper()

    def verify_pin(self, pin: str, timeout_ms: int = 10_000) -> bool:
        """Card-side PIN check for ``services.operators.sign_in_with_card``: ``True`` when the card
        accepts the PIN, or when the card has no operator application (then the account's PIN
        alone decides); ``False`` for a wrong PIN. ``PinBlocked`` and reader errors are raised."""
        try:
            self.verify_operator(pin, timeout_ms)
        except WrongPin:
            return False
        except NotOperatorCard:
            return True
        return True

    def capture(self, request: CaptureRequest) -> CaptureResult:
        """Device interface: wait for a card; the record holds its UID (or its ATR, contact card)."""
        if request.modality != Modality.CARD:
            raise ValueError(f"a card reader reads cards, not {request.modality}")
        info = self.read_card(request.timeout_ms)
        data, fmt, sub = (info.uid, "application/x-card-uid", "UID") if info.uid else \
            (info.atr, "application/x-card-atr", "ATR")
        record = BiometricRecord(modality=Modality.CARD, sub_type=sub, data=data, data_format=fmt, quality=None,
                                 device=self.describe(), timestamp=datetime.now(UTC).isoformat(timespec="milliseconds"),
                                 transaction_id=request.transaction_id, extra=info.to_dict())
        return CaptureResult(records=(record,))


def _raise_for_pin(sw1: int, sw2: int, reader: str) -> None:
    if (sw1, sw2) == (0x90, 0x00):
        return
    if sw1 == 0x63 and sw2 & 0xF0 == 0xC0:
        left = sw2 & 0x0F
        if left == 0:
            raise PinBlocked("VERIFY: 63C0 (last try used)", code=0x63C0, device=reader)
        raise WrongPin(left, device=reader)
    if (sw1, sw2) == (0x69, 0x83):
        raise PinBlocked("VERIFY: 6983", code=0x6983, device=reader)
    raise CardError(f"VERIFY: {status_word(sw1, sw2)}", code=(sw1 << 8) | sw2, device=reader)


class PcscDriver:
    """Driver ``pcsc``: the readers pcscd knows, filtered by the profile's ``reader`` (a substring)."""

    name = "pcsc"

    def discover(self, profile: dict[str, Any] | None = None) -> list[Device]:
        profile = dict(profile or {})
        wanted = profile.get("reader")
        readers = list_readers()
        if wanted:
            readers = [r for r in readers if str(wanted).lower() in r.lower()]
        return [PcscReaderDevice(r, profile) for r in readers]
