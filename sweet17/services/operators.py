"""Operator and supervisor accounts on the laptop: passwords, operator cards with a PIN, lockout.

* Passwords and PINs are stored as ``hashlib.scrypt`` hashes (``scrypt$N$r$p$salt$hash``, base64),
  compared in constant time; a wrong username costs the same time as a wrong password.
* After ``operators.max_failures`` wrong tries in a row (default 5) the account is locked for
  ``operators.lock_minutes`` (default 15), or until a supervisor unlocks it
  (``sweet17 operator unlock USER``). A correct sign-in resets the count.
* An operator card is a smartcard whose UID is registered on the account; signing in with it
  needs the card on the reader and the account's PIN (``authenticate_card``). The PC/SC reader
  is reached through ``sign_in_with_card(ws, reader, pin)``, where ``reader`` is anything with
  ``read_uid()`` (the PC/SC driver, or a fake in tests), and optionally ``verify_pin(pin)``
  when the card itself holds the PIN.
* Every sign-in, failure, lock and unlock goes to the audit trail (never the secret).

API used by other parts (sync approval, card hand-over)::

    create_operator(ws, username, password, *, role="operator"|"supervisor", full_name="")
    authenticate(ws, username, secret, *, role=None) -> OperatorAccount   # or UserError
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from sqlalchemy import text

from sweet17.errors import UserError
from sweet17.i18n import N_, _

ROLES = ("operator", "supervisor")
ROLE_LABELS = {"operator": N_("operator"), "supervisor": N_("supervisor")}
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2 ** 14, 8, 1
MIN_PASSWORD = 8
_USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,31}$")
_PIN = re.compile(r"^\d{4,8}$")


class AuthError(UserError):
    """Wrong credentials, locked or inactive account, or the wrong role."""


@dataclass(frozen=True)
class OperatorAccount:
    id: int
    username: str
    full_name: str
    role: str
    card_uid: str | None
    active: bool
    failed_attempts: int
    locked_until: str | None
    created_at: str
    last_signin_at: str | None

    @property
    def is_supervisor(self) -> bool:
        return self.role == "supervisor"

    def to_dict(self) -> dict[str, Any]:
        return {"username": self.username, "full_name": self.full_name, "role": self.role,
                "has_card": self.card_uid is not None, "active": self.active,
                "failed_attempts": self.failed_attempts, "locked_until": self.locked_until,
                "created_at": self.created_at, "last_signin_at": self.last_signin_at}


# ------------------------------------------------------------------------------ hashing

def hash_secret(secret: str, *, n: int = SCRYPT_N, r: int = SCRYPT_R, p: int = SCRYPT_P) -> str:
    salt = os.urandom(16)
    dk = hashlib.scrypt(secret.encode("utf-8"), salt=salt, n=n, r=r, p=p, maxmem=128 * 1024 * 1024, dklen=32)
    return "$".join(["scrypt", str(n), str(r), str(p), base64.b64encode(salt).decode(), base64.b64encode(dk).decode()])


def check_secret(secret: str, stored: str) -> bool:
    try:
        alg, n, r, p, salt, want = stored.split("$")
        if alg != "scrypt":
            return False
        dk = hashlib.scrypt(secret.encode("utf-8"), salt=base64.b64decode(salt), n=int(n), r=int(r), p=int(p),
                            maxmem=128 * 1024 * 1024, dklen=32)
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(dk, base64.b64decode(want))


_DUMMY_HASH: str | None = None


def _burn(secret: str) -> None:
    """Spend the time of a real check, so that unknown usernames cannot be told apart by timing."""
    global _DUMMY_HASH
    if _DUMMY_HASH is None:
        _DUMMY_HASH = hash_secret("not a real password")
    check_secret(secret, _DUMMY_HASH)


# ------------------------------------------------------------------------------ helpers

def _now(now: datetime | None) -> datetime:
    return now or datetime.now(UTC)


def _iso(d: datetime) -> str:
    return d.astimezone(UTC).isoformat(timespec="seconds")


def _max_failures(ws) -> int:  # type: ignore[no-untyped-def]
    return int(ws.setting("operators.max_failures", 5))


def _lock_minutes(ws) -> float:  # type: ignore[no-untyped-def]
    return float(ws.setting("operators.lock_minutes", 15))


_COLS = ("id, username, full_name, role, card_uid, active, failed_attempts, locked_until, created_at, "
         "last_signin_at, password_hash, pin_hash")


def _account(row: Any) -> OperatorAccount:
    return OperatorAccount(id=row[0], username=row[1], full_name=row[2], role=row[3], card_uid=row[4],
                           active=bool(row[5]), failed_attempts=row[6], locked_until=row[7], created_at=row[8],
                           last_signin_at=row[9])


def _fetch(conn: Any, where: str, params: dict[str, Any]) -> Any:
    return conn.execute(text(f"SELECT {_COLS} FROM operator_account WHERE {where}"), params).first()


def normalise_username(username: str) -> str:
    return str(username).strip().lower()


def normalise_uid(uid: str) -> str:
    return re.sub(r"[^0-9A-F]", "", str(uid).upper())


# ------------------------------------------------------------------------------ accounts

def create_operator(ws, username: str, password: str, *, role: str = "operator", full_name: str = "",  # type: ignore[no-untyped-def]
                    card_uid: str | None = None, pin: str | None = None, by: str = "system") -> OperatorAccount:
    """Create an account. Raises ``UserError`` for a bad username, short password, unknown role or duplicate."""
    from sweet17.services.workspace import now_utc

    user = normalise_username(username)
    if not _USERNAME.match(user):
        raise UserError(_("Username '{user}': use 2-32 lower-case letters, digits, '.', '_' or '-'.").format(
            user=username), field="username")
    if role not in ROLES:
        raise UserError(_("Role '{role}' is unknown: use operator or supervisor.").format(role=role), field="role")
    if len(password) < MIN_PASSWORD:
        raise UserError(_("The password must have at least {n} characters.").format(n=MIN_PASSWORD),
                        field="password")
    uid = normalise_uid(card_uid) if card_uid else None
    if card_uid is not None and not uid:
        raise UserError(_("Card UID '{uid}' is not hexadecimal.").format(uid=card_uid), field="card_uid")
    if uid and (pin is None or not _PIN.match(pin)):
        raise UserError(_("An operator card needs a PIN of 4 to 8 digits."), field="pin")
    if pin is not None and not _PIN.match(pin):
        raise UserError(_("The PIN must have 4 to 8 digits."), field="pin")
    with ws.engine.begin() as conn:
        if _fetch(conn, "username = :u", {"u": user}) is not None:
            raise UserError(_("The account {user} already exists.").format(user=user), field="username")
        if uid and _fetch(conn, "card_uid = :c", {"c": uid}) is not None:
            raise UserError(_("This card is already registered to another account."), field="card_uid")
        conn.execute(text(
            "INSERT INTO operator_account (username, full_name, role, password_hash, card_uid, pin_hash, "
            "created_at) VALUES (:u, :f, :r, :ph, :c, :pin, :at)"),
            {"u": user, "f": full_name.strip(), "r": role, "ph": hash_secret(password), "c": uid,
             "pin": hash_secret(pin) if pin else "", "at": now_utc()})
        ws.audit(by, "operator.create", user, {"role": role, "card": bool(uid)}, conn=conn)
        return _account(_fetch(conn, "username = :u", {"u": user}))


def get_operator(ws, username: str) -> OperatorAccount | None:  # type: ignore[no-untyped-def]
    with ws.engine.connect() as conn:
        row = _fetch(conn, "username = :u", {"u": normalise_username(username)})
    return _account(row) if row else None


def list_operators(ws) -> list[OperatorAccount]:  # type: ignore[no-untyped-def]
    with ws.engine.connect() as conn:
        rows = conn.execute(text(f"SELECT {_COLS} FROM operator_account ORDER BY role DESC, username")).all()
    return [_account(r) for r in rows]


def count_operators(ws) -> int:  # type: ignore[no-untyped-def]
    with ws.engine.connect() as conn:
        return int(conn.execute(text("SELECT COUNT(*) FROM operator_account")).scalar() or 0)


def unlock(ws, username: str, *, by: str) -> OperatorAccount:  # type: ignore[no-untyped-def]
    """Clear a lock and the failure count (a supervisor's action; ``by`` is who did it)."""
    user = normalise_username(username)
    with ws.engine.begin() as conn:
        if _fetch(conn, "username = :u", {"u": user}) is None:
            raise UserError(_("There is no account {user}.").format(user=user), field="username")
        conn.execute(text("UPDATE operator_account SET failed_attempts = 0, locked_until = NULL WHERE username = :u"),
                     {"u": user})
        ws.audit(by, "operator.unlock", user, conn=conn)
        return _account(_fetch(conn, "username = :u", {"u": user}))


def set_password(ws, username: str, password: str, *, by: str) -> None:  # type: ignore[no-untyped-def]
    user = normalise_username(username)
    if len(password) < MIN_PASSWORD:
        raise UserError(_("The password must have at least {n} characters.").format(n=MIN_PASSWORD),
                        field="password")
    with ws.engine.begin() as conn:
        n = conn.execute(text("UPDATE operator_account SET password_hash = :h WHERE username = :u"),
                         {"h": hash_secret(password), "u": user}).rowcount
        if not n:
            raise UserError(_("There is no account {user}.").format(user=user), field="username")
        ws.audit(by, "operator.password", user, conn=conn)


# ------------------------------------------------------------------------------ sign-in

def _locked(row: Any, now: datetime) -> datetime | None:
    if row[7]:
        until = datetime.fromisoformat(row[7])
        if until > now:
            return until
    return None


def _fail(ws, row: Any, how: str, now: datetime) -> AuthError:  # type: ignore[no-untyped-def]
    """Count a wrong secret (own transaction, so it sticks) and build the error to raise."""
    limit = _max_failures(ws)
    with ws.engine.begin() as conn:
        failures = int(conn.execute(text("SELECT failed_attempts FROM operator_account WHERE id = :i"),
                                    {"i": row[0]}).scalar() or 0) + 1
        until = None
        if failures >= limit:
            until = _iso(now + timedelta(minutes=_lock_minutes(ws)))
        conn.execute(text("UPDATE operator_account SET failed_attempts = :f, locked_until = COALESCE(:l, "
                          "locked_until) WHERE id = :i"), {"f": failures, "l": until, "i": row[0]})
        ws.audit(row[1], "operator.signin_failed", row[1], {"how": how, "failures": failures}, conn=conn)
        if until:
            ws.audit("system", "operator.locked", row[1], {"until": until}, conn=conn)
    if until:
        return AuthError(_("Too many wrong tries: the account {user} is locked until {time}. A supervisor can "
                           "unlock it with: sweet17 operator unlock {user}").format(
            user=row[1], time=_local_time(until)), field="username")
    left = limit - failures
    if how == "pin":
        return AuthError(_("Wrong PIN ({left} tries left before the card is locked).").format(left=left),
                         field="pin")
    return AuthError(_("Wrong username or password ({left} tries left before the account is locked).").format(
        left=left), field="password")


def _local_time(iso: str) -> str:
    return datetime.fromisoformat(iso).astimezone().strftime("%H:%M")


def _accept(ws, row: Any, how: str, role: str | None, now: datetime) -> OperatorAccount:  # type: ignore[no-untyped-def]
    if role and row[3] != role and not (role == "operator" and row[3] == "supervisor"):
        raise AuthError(_("The account {user} is not a {role} account.").format(user=row[1], role=_(ROLE_LABELS[role])),
                        field="username")
    with ws.engine.begin() as conn:
        conn.execute(text("UPDATE operator_account SET failed_attempts = 0, locked_until = NULL, "
                          "last_signin_at = :t WHERE id = :i"), {"t": _iso(now), "i": row[0]})
        ws.audit(row[1], "operator.signin", row[1], {"how": how, "role": row[3]}, conn=conn)
        return _account(_fetch(conn, "id = :i", {"i": row[0]}))


def _check_usable(row: Any, now: datetime) -> None:
    if not row[5]:
        raise AuthError(_("The account {user} is disabled.").format(user=row[1]), field="username")
    until = _locked(row, now)
    if until:
        raise AuthError(_("The account {user} is locked until {time}. A supervisor can unlock it with: "
                          "sweet17 operator unlock {user}").format(user=row[1], time=_local_time(_iso(until))),
                        field="username")


def authenticate(ws, username: str, secret: str, *, role: str | None = None,  # type: ignore[no-untyped-def]
                 now: datetime | None = None) -> OperatorAccount:
    """Check a password; the account, or ``AuthError`` (a ``UserError``). ``role="supervisor"`` requires one."""
    t = _now(now)
    user = normalise_username(username)
    with ws.engine.connect() as conn:
        row = _fetch(conn, "username = :u", {"u": user})
    if row is None:
        _burn(secret)
        ws.audit(user or "-", "operator.signin_failed", user, {"how": "password", "unknown": True})
        raise AuthError(_("Wrong username or password."), field="username")
    _check_usable(row, t)
    if not row[10] or not check_secret(secret, row[10]):
        raise _fail(ws, row, "password", t)
    return _accept(ws, row, "password", role, t)


def authenticate_card(ws, card_uid: str, pin: str, *, role: str | None = None,  # type: ignore[no-untyped-def]
                      now: datetime | None = None) -> OperatorAccount:
    """Check an operator card (its UID) and the account's PIN."""
    t = _now(now)
    uid = normalise_uid(card_uid)
    with ws.engine.connect() as conn:
        row = _fetch(conn, "card_uid = :c", {"c": uid}) if uid else None
    if row is None:
        _burn(pin)
        ws.audit("-", "operator.signin_failed", "", {"how": "card", "unknown_card": True})
        raise AuthError(_("This card is not registered to any account on this laptop."), field="card")
    _check_usable(row, t)
    if not row[11] or not check_secret(pin, row[11]):
        raise _fail(ws, row, "pin", t)
    return _accept(ws, row, "card", role, t)


class CardReader(Protocol):
    """What sign-in needs from a smartcard reader (the PC/SC driver, or a fake in tests)."""

    def read_uid(self) -> str: ...


def sign_in_with_card(ws, reader: Any, pin: str, *, role: str | None = None,  # type: ignore[no-untyped-def]
                      now: datetime | None = None, timeout_ms: int | None = None) -> OperatorAccount:
    """Read the card on ``reader`` and check the PIN. Card-side PIN verification is used when offered.

    Reader failures (no card, reader unplugged) arrive as device errors and are turned into a
    ``UserError`` carrying the operator message.
    """
    from sweet17.adapters.devices.base import DeviceError

    try:
        uid = reader.read_uid() if timeout_ms is None else reader.read_uid(timeout_ms=timeout_ms)
    except DeviceError as e:
        raise AuthError(e.operator_message, field="card") from None
    if not uid:
        raise AuthError(_("No card on the reader. Place the operator card on the reader."), field="card")
    verify = getattr(reader, "verify_pin", None)
    if callable(verify):
        try:
            card_ok = bool(verify(pin))
        except DeviceError as e:
            raise AuthError(e.operator_message, field="card") from None
        if not card_ok:
            t = _now(now)
            with ws.engine.connect() as conn:
                row = _fetch(conn, "card_uid = :c", {"c": normalise_uid(uid)})
            if row is None:
                raise AuthError(_("This card is not registered to any account on this laptop."), field="card")
            _check_usable(row, t)
            raise _fail(ws, row, "pin", t)
    return authenticate_card(ws, uid, pin, role=role, now=now)
