"""The PC/SC test stack: a private pcscd with vsmartcard's ``vpcd`` reader driver, and virtual cards.

Its fixtures (``pcsc``, ``pcsc_stack``) are registered for every test module by
``tests/conftest.py``. Use in a test module::

    import pytest

    pytestmark = [pytest.mark.pcsc, pytest.mark.xdist_group("pcsc")]

    def test_uid(pcsc):
        card = pcsc.insert("ktp", uid="04A1B2C3D4E5F6")        # a virtual card process, by pid
        ...
        card.remove()

How it runs:

* pcscd runs in the foreground (``-f``) with its own config directory holding one reader entry
  for ``libifdvpcd.so`` (two reader slots: ``<name> 00 00`` on port P, ``<name> 00 01`` on P+1).
* pcscd's client socket is always ``/run/pcscd/pcscd.comm``. When this process may create
  namespaces (root, or user namespaces), pcscd runs in its own mount and network namespaces:
  ``/run/pcscd`` there is a private folder, so the socket appears in a temporary folder that
  ``PCSCLITE_CSOCK_NAME`` points the client library at (set when this module is imported,
  before any PC/SC call: the library reads it once), and vpcd's card port listens only inside
  that network namespace (the virtual cards join it with ``nsenter``). Several test runs (and a
  system pcscd) can then coexist. Otherwise pcscd uses the real ``/run/pcscd`` behind a lock
  file, vpcd a free port, and a running system pcscd is reported as an error to fix.
* Virtual cards are ``python -m sweet17.adapters.devices.vcard`` processes; a card is "inserted"
  while its process runs and "removed" when it is stopped (by pid).

The stack missing (pcscd, libifdvpcd.so) is a test failure, not a skip: ``make`` installs it
(``scripts/system-deps.sh``).
"""

from __future__ import annotations

import contextlib
import os
import selectors
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

VPCD_LIBS = ("/usr/lib/pcsc/drivers/serial/libifdvpcd.so", "/usr/lib64/pcsc/drivers/serial/libifdvpcd.so",
             "/usr/local/lib/pcsc/drivers/serial/libifdvpcd.so")
READER_NAME = "Sweet17 Virtual Reader"
SYSTEM_SOCKET = Path("/run/pcscd/pcscd.comm")
LOCK_FILE = Path(tempfile.gettempdir()) / "sweet17-pcscd.lock"
ROOT = Path(__file__).resolve().parent.parent

# Brings the namespace's loopback up, bind-mounts the socket folder on /run/pcscd, execs pcscd.
_LAUNCHER = r"""
import fcntl, os, socket, struct, subprocess, sys
sock_dir, pcscd, conf = sys.argv[1:4]
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
req = struct.pack("16sH14s", b"lo", 0, b"\0" * 14)
flags = struct.unpack("16sH", fcntl.ioctl(s, 0x8913, req)[:18])[1]          # SIOCGIFFLAGS
fcntl.ioctl(s, 0x8914, struct.pack("16sH14s", b"lo", flags | 1, b"\0" * 14))  # SIOCSIFFLAGS |= IFF_UP
subprocess.run(["mount", "--bind", sock_dir, "/run/pcscd"], check=True)
os.execv(pcscd, [pcscd, "--foreground", "--config", conf, "--apdu", "--info"])
"""


def _die_with_parent() -> None:
    """preexec_fn: the child gets SIGTERM when the thread that started it ends (start pcscd from the
    main thread): no orphan pcscd after a crashed test run."""
    import ctypes

    ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)      # PR_SET_PDEATHSIG


def _vpcd_lib() -> str | None:
    return next((p for p in VPCD_LIBS if Path(p).is_file()), None)


def _can_isolate() -> bool:
    if os.environ.get("SWEET17_PCSC_ISOLATE", "1") == "0" or not shutil.which("unshare") \
            or not shutil.which("nsenter") or not shutil.which("mount"):
        return False
    try:
        Path("/run/pcscd").mkdir(parents=True, exist_ok=True)
        r = subprocess.run(["unshare", "-m", "-n", "--", "mount", "--bind", tempfile.gettempdir(), "/run/pcscd"],
                           capture_output=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return r.returncode == 0


ISOLATED = _can_isolate()
SOCKET_DIR = Path(tempfile.gettempdir()) / f"sweet17-pcsc-{os.getpid()}"
if ISOLATED:
    # Must happen before this process makes any PC/SC call: libpcsclite reads it once.
    os.environ["PCSCLITE_CSOCK_NAME"] = str(SOCKET_DIR / "pcscd.comm")


def _free_port_pair() -> int:
    for _ in range(50):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        if port >= 65535:
            continue
        with socket.socket() as s2:
            try:
                s2.bind(("0.0.0.0", port + 1))
            except OSError:
                continue
        return port
    raise RuntimeError("no free port pair for vpcd")


class VirtualCardProcess:
    """One virtual card process on a reader slot."""

    def __init__(self, stack: PcscStack, kind: str, slot: int, args: list[str], delay_ms: int = 0) -> None:
        self.stack = stack
        self.kind = kind
        self.slot = slot
        self.reader = stack.reader(slot)
        cmd = [sys.executable, "-m", "sweet17.adapters.devices.vcard", "--host", "127.0.0.1",
               "--port", str(stack.port + slot), "--delay-ms", str(delay_ms), kind, *args]
        if stack.isolated:
            cmd = ["nsenter", f"--net=/proc/{stack.pid}/ns/net", "--", *cmd]
        env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
        # no parent-death signal here: cards are also started from short-lived threads; a card
        # ends by itself when its pcscd goes away (vpcd closes the link)
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, cwd=ROOT)
        self.pid = self.proc.pid
        line = self._read_line(15.0)
        if not line.startswith("READY"):
            err = self.proc.stderr.read().decode(errors="replace") if self.proc.poll() is not None else ""
            self.kill()
            raise RuntimeError(f"virtual card did not start: {line!r} {err}")

    def _read_line(self, timeout: float) -> str:
        sel = selectors.DefaultSelector()
        sel.register(self.proc.stdout, selectors.EVENT_READ)
        try:
            if not sel.select(timeout):
                return ""
            return self.proc.stdout.readline().decode(errors="replace").strip()
        finally:
            sel.close()

    @property
    def running(self) -> bool:
        return self.proc.poll() is None

    def remove(self, wait: bool = True) -> None:
        """Take the card off the reader: stop its process (SIGTERM by pid)."""
        if self.running:
            os.kill(self.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.kill()
        for stream in (self.proc.stdout, self.proc.stderr):
            if stream:
                stream.close()
        if wait:
            self.stack.wait_card(self.slot, present=False)

    def kill(self) -> None:
        if self.proc.poll() is None:
            os.kill(self.pid, signal.SIGKILL)
            self.proc.wait(timeout=5)


class PcscStack:
    """pcscd + vpcd readers; ``insert()`` starts virtual cards."""

    def __init__(self, workdir: Path, isolated: bool = ISOLATED) -> None:
        self.workdir = workdir
        self.isolated = isolated
        self.proc: subprocess.Popen[bytes] | None = None
        self.cards: list[VirtualCardProcess] = []
        self.port = 35963 if isolated else _free_port_pair()
        self._lock_fh = None
        self.log_path = workdir / "pcscd.log"

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def reader(self, slot: int = 0) -> str:
        return f"{READER_NAME} 00 {slot:02d}"

    def _write_config(self) -> Path:
        lib = _vpcd_lib()
        conf = self.workdir / "reader.conf.d"
        conf.mkdir(parents=True, exist_ok=True)
        (conf / "sweet17-vpcd").write_text(
            f'FRIENDLYNAME "{READER_NAME}"\nDEVICENAME   /dev/null:{self.port}\nLIBPATH      {lib}\n'
            f"CHANNELID    {self.port}\n", encoding="ascii")
        return conf

    def start(self) -> PcscStack:
        if self.proc is not None:       # stopped by itself: clean up (and release the lock) first
            self.stop()
        missing = [what for what, ok in (("pcscd", shutil.which("pcscd") or Path("/usr/sbin/pcscd").exists()),
                                         ("libifdvpcd.so (vsmartcard-vpcd)", _vpcd_lib())) if not ok]
        if missing:
            pytest.fail("PC/SC test stack missing: " + ", ".join(missing) + " — run scripts/system-deps.sh as root",
                        pytrace=False)
        pcscd = shutil.which("pcscd") or "/usr/sbin/pcscd"
        conf = self._write_config()
        log = self.log_path.open("ab")
        if self.isolated:
            SOCKET_DIR.mkdir(parents=True, exist_ok=True)
            for leftover in SOCKET_DIR.iterdir():
                leftover.unlink()
            cmd = ["unshare", "-m", "-n", "--", sys.executable, "-c", _LAUNCHER, str(SOCKET_DIR), pcscd, str(conf)]
        else:
            self._take_lock()
            if SYSTEM_SOCKET.exists() and _socket_alive(SYSTEM_SOCKET):
                self._release_lock()
                pytest.fail("a pcscd is already running on /run/pcscd/pcscd.comm and this process cannot "
                            "create namespaces for a private one: stop it (systemctl stop pcscd.socket "
                            "pcscd.service) or run the tests as root", pytrace=False)
            cmd = [pcscd, "--foreground", "--config", str(conf), "--apdu", "--info"]
        self.proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, preexec_fn=_die_with_parent)
        log.close()
        self._wait_ready()
        return self

    def _wait_ready(self, timeout: float = 15.0) -> None:
        from sweet17.adapters.devices.base import DeviceError
        from sweet17.adapters.devices.pcsc import list_readers

        deadline = time.monotonic() + timeout
        last = ""
        while time.monotonic() < deadline:
            if self.proc is not None and self.proc.poll() is not None:
                break
            try:
                names = list_readers()
                if self.reader(0) in names:
                    return
                last = f"readers: {names}"
            except DeviceError as e:
                last = str(e)
            time.sleep(0.1)
        log = self.log_path.read_text(errors="replace")[-3000:] if self.log_path.exists() else ""
        self.stop()
        pytest.fail(f"pcscd did not come up ({last}); log:\n{log}", pytrace=False)

    def wait_card(self, slot: int, present: bool, timeout: float = 10.0) -> None:
        from sweet17.adapters.devices.pcsc import reader_state

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if reader_state(self.reader(slot))[0] == present:
                return
            time.sleep(0.05)
        raise TimeoutError(f"card on slot {slot} not {'present' if present else 'absent'} after {timeout} s")

    def insert(self, kind: str = "ktp", *, slot: int = 0, uid: str | None = None, pin: str = "123456",
               operator_id: str = "OP-TEST-01", tries: int = 3, state: Path | None = None, contact: bool = False,
               delay_ms: int = 0, wait: bool = True) -> VirtualCardProcess:
        """Start a virtual card on ``slot``: ``ktp`` (contactless, ``uid``) or ``operator``."""
        args: list[str] = []
        if uid:
            args += ["--uid", uid]
        if kind == "operator":
            args += ["--pin", pin, "--operator-id", operator_id, "--tries", str(tries)]
            if state:
                args += ["--state", str(state)]
            if contact:
                args.append("--contact")
        card = VirtualCardProcess(self, kind, slot, args, delay_ms)
        self.cards.append(card)
        if wait:
            self.wait_card(slot, present=True)
        return card

    def remove_all_cards(self) -> None:
        for card in self.cards:
            if card.running:
                card.remove(wait=self.running)
        self.cards = []

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def stop(self) -> None:
        for card in self.cards:
            card.kill()
        self.cards = []
        if self.proc is not None and self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.kill(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=5)
        self.proc = None
        self._release_lock()

    def restart(self) -> None:
        self.stop()
        self.start()

    def _take_lock(self) -> None:
        import fcntl

        self._lock_fh = LOCK_FILE.open("a")
        deadline = time.monotonic() + 300
        while True:
            try:
                fcntl.flock(self._lock_fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise TimeoutError("another test run holds the pcscd lock") from None
                time.sleep(0.2)

    def _release_lock(self) -> None:
        if self._lock_fh is not None:
            self._lock_fh.close()
            self._lock_fh = None


def _socket_alive(path: Path) -> bool:
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.settimeout(1.0)
        try:
            s.connect(str(path))
            return True
        except OSError:
            return False


_STACK: PcscStack | None = None


@pytest.fixture(scope="session")
def pcsc_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PcscStack]:
    """One pcscd for the session (per xdist worker: keep PC/SC tests in ``xdist_group("pcsc")``).

    Should a module import the fixture instead of naming the plugin (one fixture definition per
    module), they still share the one stack of this process; the first teardown stops it."""
    global _STACK
    if _STACK is None:
        _STACK = PcscStack(tmp_path_factory.mktemp("pcsc"))
    if not _STACK.running:
        _STACK.start()
    try:
        yield _STACK
    finally:
        _STACK.stop()
        with contextlib.suppress(OSError):
            shutil.rmtree(SOCKET_DIR)


@pytest.fixture
def pcsc(pcsc_stack: PcscStack) -> Iterator[PcscStack]:
    """The running stack, with every virtual card removed after the test (pcscd restarted if a test stopped it)."""
    if not pcsc_stack.running:
        pcsc_stack.start()
    try:
        yield pcsc_stack
    finally:
        pcsc_stack.remove_all_cards()
        if not pcsc_stack.running:
            pcsc_stack.start()
