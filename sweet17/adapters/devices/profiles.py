"""Kit profiles: ``devices/*.toml`` say which devices a recording kit has and how to reach them.

A kit profile::

    name = "Simulated recording kit"
    retries = 2                      # kit defaults; a device entry may override them
    [thresholds]                     # quality asked for, 1-100, per modality; NFIQ 2 floor for fingers
    finger = 40
    iris = 50
    face = 40
    nfiq2_min = 20

    [devices.scanners]               # one table per device entry; the key is the entry's name
    driver = "sbi"                   # sbi | opencv | pcsc
    ports = "4501-4600"              # or port = 4501, or ports = [4501, 4502]
    trust_store = "trust"            # paths are relative to the profile file

    [devices.face-camera]
    driver = "opencv"
    camera = 0                       # a camera index, or: source = "path/to/file.mp4"

    [devices.card-reader]
    driver = "pcsc"
    reader = "ACS ACR1252"           # a reader name (prefix match is up to the driver)

    [simulator]                      # only for `sweet17 devices simulate`
    port = 4501
    dir = ".sim"

Each entry becomes a plain dict (``DeviceEntry.to_dict()``) that is handed to the driver's
``discover(profile)``: every key below is present (``None`` when not set), paths are absolute,
``ports`` is a list, ``thresholds`` and ``retries`` include the kit defaults. Driver-specific
settings that are not listed go under ``[devices.NAME.options]`` and are passed through as
``options``. Anything else is an error naming the file and the field.
"""

from __future__ import annotations

import ipaddress
import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sweet17.errors import ValidationError
from sweet17.i18n import _

DRIVER_NAMES = ("sbi", "opencv", "pcsc")
MODALITY_KEYS = ("finger", "iris", "face", "signature")
SBI_ENVS = ("Developer", "Staging", "Pre-Production", "Production")
SBI_SPEC_VERSIONS = ("0.9.5", "1.0", "auto")
DEFAULT_THRESHOLDS: dict[str, int] = {"finger": 40, "iris": 50, "face": 40, "signature": 0, "nfiq2_min": 0}
DEFAULT_SBI = {"host": "127.0.0.1", "ports": list(range(4501, 4601)), "spec_version": "auto", "env": "Production",
               "max_skew_s": 120, "timeout_ms": 10_000, "scan_timeout_ms": 500, "http_grace_ms": 2_000,
               "recompress": "wsq"}

# key -> (kind, description used in errors)
ENTRY_KEYS: dict[str, str] = {
    "driver": "str", "enabled": "bool", "label": "str",
    "host": "str", "port": "port", "ports": "ports",
    "trust_store": "path", "env": "str", "spec_version": "str", "max_skew_s": "number",
    "timeout_ms": "int", "scan_timeout_ms": "int", "http_grace_ms": "int", "recompress": "str",
    # opencv (see camera.py): a camera index, a device path, a video file or an image sequence
    "camera": "int", "source": "source", "width": "int", "height": "int", "fps": "number", "loop": "bool",
    "realtime": "bool", "stable_frames": "int", "format": "str", "jpeg_quality": "int",
    # pcsc (see pcsc.py)
    "reader": "str", "aid": "str", "command_timeout_ms": "int",
    "thresholds": "entry_thresholds", "retries": "int", "options": "table",
}
KIT_KEYS = ("name", "description", "retries", "thresholds", "devices", "simulator")
SIMULATOR_KEYS = {"host": "str", "port": "port", "dir": "path", "env": "str", "seed": "int",
                  "finger_compression": "str", "quality": "int"}


def _err(path: Path, fld: str, problem: str) -> ValidationError:
    return ValidationError(_("Device profile {path}, field {field}: {problem}").format(
        path=path, field=fld, problem=problem), path=path, field=fld)


def _resolve_path(base: Path, value: str) -> Path:
    p = Path(os.path.expandvars(os.path.expanduser(value)))
    return p if p.is_absolute() else (base / p).resolve()


def parse_ports(value: Any, path: Path, fld: str) -> list[int]:
    """``4501``, ``"4501-4600"``, ``[4501, 4502]`` or ``[[4501, 4510], 4600]`` -> sorted port list."""
    def one(v: Any) -> list[int]:
        if isinstance(v, bool):
            raise _err(path, fld, _("a port is a whole number 1-65535"))
        if isinstance(v, int):
            ports = [v]
        elif isinstance(v, str) and "-" in v:
            a, _sep, b = v.partition("-")
            try:
                lo, hi = int(a), int(b)
            except ValueError:
                raise _err(path, fld, _("'{value}' is not a port range like 4501-4600").format(value=v)) from None
            ports = list(range(lo, hi + 1))
            if lo > hi:
                raise _err(path, fld, _("'{value}' is not a port range like 4501-4600").format(value=v))
        elif isinstance(v, str) and v.strip().isdigit():
            ports = [int(v)]
        elif isinstance(v, list) and len(v) == 2 and all(isinstance(x, int) and not isinstance(x, bool) for x in v):
            ports = list(range(v[0], v[1] + 1))
        else:
            raise _err(path, fld, _("'{value}' is not a port, a range like 4501-4600 or a list").format(value=v))
        if any(not 1 <= p <= 65535 for p in ports) or not ports:
            raise _err(path, fld, _("a port is a whole number 1-65535"))
        return ports

    if isinstance(value, list) and not (len(value) == 2 and all(isinstance(x, int) for x in value)):
        out: list[int] = []
        for v in value:
            out.extend(one(v))
    else:
        out = one(value)
    if len(set(out)) > 1000:
        raise _err(path, fld, _("at most 1000 ports can be scanned"))
    return sorted(set(out))


def _check_value(kind: str, value: Any, path: Path, fld: str, base: Path) -> Any:
    if kind == "str":
        if not isinstance(value, str) or not value.strip():
            raise _err(path, fld, _("expected text"))
        return value.strip()
    if kind == "bool":
        if not isinstance(value, bool):
            raise _err(path, fld, _("expected true or false"))
        return value
    if kind == "int":
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise _err(path, fld, _("expected a whole number 0 or more"))
        return value
    if kind == "number":
        if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
            raise _err(path, fld, _("expected a number 0 or more"))
        return value
    if kind == "port":
        ports = parse_ports(value, path, fld)
        if len(ports) != 1:
            raise _err(path, fld, _("expected one port (use ports = \"A-B\" for a range)"))
        return ports[0]
    if kind == "ports":
        return parse_ports(value, path, fld)
    if kind == "path":
        if not isinstance(value, str) or not value.strip():
            raise _err(path, fld, _("expected a file or folder path"))
        return _resolve_path(base, value.strip())
    if kind == "table":
        if not isinstance(value, dict):
            raise _err(path, fld, _("expected a table"))
        return dict(value)
    if kind == "source":
        if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
            return value
        if not isinstance(value, str) or not value.strip():
            raise _err(path, fld, _("expected a camera index, a device such as /dev/video0, or a video file"))
        v = value.strip()
        if v.isdigit():
            return int(v)
        return v if v.startswith("/dev/") else str(_resolve_path(base, v))
    if kind == "thresholds":
        return _thresholds(value, path, fld)
    if kind == "entry_thresholds":
        return _thresholds(value, path, fld, driver_keys=True)
    raise AssertionError(kind)


def _thresholds(value: Any, path: Path, fld: str, driver_keys: bool = False) -> dict[str, Any]:
    """Kit thresholds: finger, iris, face, signature (1-100) and nfiq2_min (0-100). A device entry's
    table may also hold its driver's own numeric thresholds (e.g. the face checks of ``opencv``),
    which the driver validates."""
    if not isinstance(value, dict):
        raise _err(path, fld, _("expected a table like { finger = 40, iris = 50 }"))
    out: dict[str, Any] = {}
    for k, v in value.items():
        if driver_keys and k not in DEFAULT_THRESHOLDS:
            if isinstance(v, bool) or not isinstance(v, int | float) or v < 0:
                raise _err(path, f"{fld}.{k}", _("expected a number 0 or more"))
            out[k] = v
            continue
        if k not in DEFAULT_THRESHOLDS:
            raise _err(path, f"{fld}.{k}", _("unknown threshold; known: {known}").format(
                known=", ".join(DEFAULT_THRESHOLDS)))
        lo = 0 if k in ("nfiq2_min", "signature") else 1
        if isinstance(v, bool) or not isinstance(v, int) or not lo <= v <= 100:
            raise _err(path, f"{fld}.{k}", _("expected a whole number {lo}-100").format(lo=lo))
        out[k] = v
    return out


@dataclass(frozen=True)
class DeviceEntry:
    """One device entry of a kit profile, validated and resolved."""

    name: str
    driver: str
    settings: dict[str, Any]
    profile_path: Path
    kit: str = ""

    def to_dict(self) -> dict[str, Any]:
        d = {k: None for k in ENTRY_KEYS}
        d.update(self.settings)
        d.update({"name": self.name, "driver": self.driver, "kit": self.kit,
                  "profile_path": str(self.profile_path)})
        return d


@dataclass(frozen=True)
class KitProfile:
    name: str
    path: Path
    devices: tuple[DeviceEntry, ...]
    thresholds: dict[str, int] = field(default_factory=dict)
    retries: int = 2
    simulator: dict[str, Any] = field(default_factory=dict)
    description: str = ""

    def entries(self, driver: str | None = None) -> list[DeviceEntry]:
        return [e for e in self.devices if driver is None or e.driver == driver]

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "path": str(self.path), "description": self.description,
                "thresholds": self.thresholds, "retries": self.retries,
                "devices": [{"name": e.name, "driver": e.driver} for e in self.devices]}


def load_kit(path: Path | str) -> KitProfile:
    """Read and validate a kit profile; a ``ValidationError`` names the file and the field."""
    path = Path(path).expanduser().resolve()
    try:
        with path.open("rb") as fh:
            raw = tomllib.load(fh)
    except FileNotFoundError:
        raise ValidationError(_("Device profile {path} does not exist").format(path=path), path=path) from None
    except OSError as e:
        raise ValidationError(_("Device profile {path} cannot be read: {detail}").format(
            path=path, detail=e.strerror), path=path) from None
    except tomllib.TOMLDecodeError as e:
        raise ValidationError(_("Device profile {path} is not valid TOML: {detail}").format(
            path=path, detail=e), path=path) from None
    base = path.parent
    for key in raw:
        if key not in KIT_KEYS:
            raise _err(path, key, _("unknown field; known: {known}").format(known=", ".join(KIT_KEYS)))
    name = raw.get("name", path.stem)
    if not isinstance(name, str) or not name.strip():
        raise _err(path, "name", _("expected text"))
    description = raw.get("description", "")
    if not isinstance(description, str):
        raise _err(path, "description", _("expected text"))
    thresholds = {**DEFAULT_THRESHOLDS, **_thresholds(raw.get("thresholds", {}), path, "thresholds")}
    retries = raw.get("retries", 2)
    if isinstance(retries, bool) or not isinstance(retries, int) or not 0 <= retries <= 10:
        raise _err(path, "retries", _("expected a whole number 0-10"))
    devices_raw = raw.get("devices", {})
    if not isinstance(devices_raw, dict) or not devices_raw:
        raise _err(path, "devices", _("expected at least one [devices.NAME] table"))
    entries = []
    for dname, table in devices_raw.items():
        entries.append(_entry(path, base, name, dname, table, thresholds, retries))
    simulator = {}
    sim_raw = raw.get("simulator", {})
    if not isinstance(sim_raw, dict):
        raise _err(path, "simulator", _("expected a table"))
    for key, value in sim_raw.items():
        if key not in SIMULATOR_KEYS:
            raise _err(path, f"simulator.{key}", _("unknown field; known: {known}").format(
                known=", ".join(SIMULATOR_KEYS)))
        simulator[key] = _check_value(SIMULATOR_KEYS[key], value, path, f"simulator.{key}", base)
    if "env" in simulator and simulator["env"] not in SBI_ENVS:
        raise _err(path, "simulator.env", _("expected one of: {known}").format(known=", ".join(SBI_ENVS)))
    return KitProfile(name=name.strip(), path=path, devices=tuple(entries), thresholds=thresholds,
                      retries=retries, simulator=simulator, description=description)


def _entry(path: Path, base: Path, kit: str, dname: str, table: Any, thresholds: dict[str, int],
           retries: int) -> DeviceEntry:
    prefix = f"devices.{dname}"
    if not isinstance(table, dict):
        raise _err(path, prefix, _("expected a table"))
    driver = table.get("driver")
    if driver not in DRIVER_NAMES:
        raise _err(path, f"{prefix}.driver", _("expected one of: {known}").format(known=", ".join(DRIVER_NAMES)))
    settings: dict[str, Any] = {}
    for key, value in table.items():
        if key not in ENTRY_KEYS:
            raise _err(path, f"{prefix}.{key}", _("unknown field; known: {known}").format(
                known=", ".join(ENTRY_KEYS)))
        settings[key] = _check_value(ENTRY_KEYS[key], value, path, f"{prefix}.{key}", base)
    if "port" in settings and "ports" in settings:
        raise _err(path, f"{prefix}.port", _("give either port or ports, not both"))
    if "port" in settings:
        settings["ports"] = [settings.pop("port")]
    if "camera" in settings and "source" in settings:
        raise _err(path, f"{prefix}.camera", _("give either camera or source, not both"))
    settings["thresholds"] = {**thresholds, **settings.get("thresholds", {})}
    settings.setdefault("retries", retries)
    if settings["retries"] > 10:
        raise _err(path, f"{prefix}.retries", _("expected a whole number 0-10"))
    settings.setdefault("enabled", True)
    settings.setdefault("options", {})
    if driver == "sbi":
        for key, default in DEFAULT_SBI.items():
            settings.setdefault(key, default)
        try:
            loopback = settings["host"] == "localhost" or ipaddress.ip_address(settings["host"]).is_loopback
        except ValueError:
            loopback = False
        if not loopback:
            raise _err(path, f"{prefix}.host", _("SBI device services are only used on this laptop "
                                                 "(127.0.0.1)"))
        if settings["env"] not in SBI_ENVS:
            raise _err(path, f"{prefix}.env", _("expected one of: {known}").format(known=", ".join(SBI_ENVS)))
        if settings["spec_version"] not in SBI_SPEC_VERSIONS:
            raise _err(path, f"{prefix}.spec_version", _("expected one of: {known}").format(
                known=", ".join(SBI_SPEC_VERSIONS)))
        if settings["recompress"] not in ("wsq", "none"):
            raise _err(path, f"{prefix}.recompress", _("expected one of: {known}").format(known="wsq, none"))
        if not settings.get("trust_store"):
            raise _err(path, f"{prefix}.trust_store", _("an SBI entry needs the folder of trusted device "
                                                        "certificates"))
        if settings["timeout_ms"] == 0 or settings["scan_timeout_ms"] == 0:
            raise _err(path, f"{prefix}.timeout_ms", _("timeouts must be more than 0"))
    return DeviceEntry(name=dname, driver=driver, settings=settings, profile_path=path, kit=kit)


# ------------------------------------------------------------------------------ where profiles live

def devices_dir() -> Path:
    """The ``devices/`` folder: ``SWEET17_DEVICES_DIR``, else ./devices, else the checkout's."""
    env = os.environ.get("SWEET17_DEVICES_DIR")
    if env:
        return Path(env).expanduser().resolve()
    cwd = Path.cwd() / "devices"
    if cwd.is_dir():
        return cwd.resolve()
    return Path(__file__).resolve().parents[3] / "devices"


def find_kit(name_or_path: str | Path | None = None) -> Path:
    """A profile path from ``--profile`` (a path, or a name in ``devices/``), ``SWEET17_DEVICE_PROFILE``,
    or ``devices/kit.toml`` if it exists, else ``devices/sim-kit.toml``."""
    chosen = name_or_path or os.environ.get("SWEET17_DEVICE_PROFILE")
    if chosen:
        p = Path(chosen).expanduser()
        if p.suffix != ".toml" and not p.exists():
            p = devices_dir() / f"{p.name}.toml"
        return p.resolve()
    d = devices_dir()
    return (d / "kit.toml") if (d / "kit.toml").exists() else (d / "sim-kit.toml")
