"""SBI error codes -> typed device errors with a message for the operator.

Codes from the SBI specification: 0 success, 100 device not registered, 101 no biometric object,
102 extraction error, 103 tamper, 104 no management server, 105 orientation, 106 device not found,
107 device key expired, 108 domain key missing, 109 count not supported, 110 not ready,
111 busy, 112 invalid transaction id, 202 no device connected, 5xx vendor codes.
"""

from __future__ import annotations

from typing import Any

from sweet17.adapters.devices.base import (
    CaptureFailed,
    DeviceBusy,
    DeviceError,
    DeviceNotFound,
    DeviceNotReady,
    DeviceUntrusted,
)
from sweet17.i18n import N_

SBI_ERRORS: dict[int, tuple[type[DeviceError], str]] = {
    100: (DeviceUntrusted, N_("The device is not registered, so its captures cannot be used. Call the supervisor.")),
    101: (CaptureFailed, N_("No finger, eye or face was detected on the device. Position again and retry.")),
    102: (CaptureFailed, N_("The device had a technical error while processing the capture. Retry.")),
    103: (DeviceUntrusted, N_("The device reports tampering. Stop using it and call the supervisor.")),
    104: (DeviceNotReady, N_("The device cannot reach its management server. Call the supervisor.")),
    105: (CaptureFailed, N_("The fingers or the head are turned. Straighten them and retry.")),
    106: (DeviceNotFound, N_("The device service cannot find the device. Check the cable.")),
    107: (DeviceUntrusted, N_("The device's key has expired. Call the supervisor to renew the device.")),
    108: (DeviceUntrusted, N_("The device is missing its domain key. Call the supervisor.")),
    109: (CaptureFailed, N_("The device cannot capture that number of fingers or eyes. Check the exceptions.")),
    110: (DeviceNotReady, N_("The device is not ready. Wait a moment, check the cable and retry.")),
    111: (DeviceBusy, N_("The device is busy with another capture. Wait a moment and try again.")),
    112: (CaptureFailed, N_("The device refused the transaction number. Retry; if it repeats, restart sweet17.")),
    202: (DeviceNotFound, N_("No device is connected to the device service. Check the cable.")),
}
VENDOR_MESSAGE = N_("The device reported vendor error {code}: {info}. Retry; if it repeats, restart the device.")
UNKNOWN_MESSAGE = N_("The device reported error {code}: {info}. Retry; if it repeats, restart the device.")


def error_code(raw: Any) -> int | None:
    """The integer error code of an SBI ``error`` object (codes come as numbers or strings)."""
    if not isinstance(raw, dict):
        return None
    code = raw.get("errorCode")
    try:
        return int(str(code).strip())
    except (TypeError, ValueError):
        return None


def error_for(code: int, info: str = "", device: str = "") -> DeviceError:
    """The typed error for a non-zero SBI code (the detail keeps the device's own text)."""
    info = (info or "").strip()[:200]
    detail = f"SBI error {code}: {info}" if info else f"SBI error {code}"
    if code in SBI_ERRORS:
        cls, msg = SBI_ERRORS[code]
        return cls(detail, code=code, device=device, message_id=msg)
    msg = VENDOR_MESSAGE if 500 <= code <= 599 else UNKNOWN_MESSAGE
    return CaptureFailed(detail, code=code, device=device, message_id=msg,
                         message_args={"code": code, "info": info or "-"})
