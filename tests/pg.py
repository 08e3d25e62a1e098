"""A throw-away PostgreSQL cluster for tests and benchmarks, started from the installed server binaries.

``PgCluster.start()`` runs ``initdb`` into a fresh temporary folder and ``pg_ctl start`` on a free
loopback port; ``create_database()`` gives each test its own empty database; ``stop()`` shuts the
server down and deletes the folder. ``initdb`` refuses to run as root, so as root the cluster
runs as the ``postgres`` system user (``runuser``). Binaries come from ``SWEET17_PG_BIN``, else the
newest ``/usr/lib/postgresql/*/bin``, else ``pg_ctl`` on the PATH.

The fixtures *fail* (never skip) when PostgreSQL is missing: the project's setup installs it and
the hub must be tested against it.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import uuid
from pathlib import Path

import pytest


class PgUnavailable(RuntimeError):
    pass


def find_bin() -> Path:
    env = os.environ.get("SWEET17_PG_BIN")
    candidates = [Path(env)] if env else []
    candidates += [Path(p) for p in sorted(glob.glob("/usr/lib/postgresql/*/bin"),
                                           key=lambda p: int(Path(p).parent.name) if Path(p).parent.name.isdigit()
                                           else 0, reverse=True)]
    which = shutil.which("pg_ctl")
    if which:
        candidates.append(Path(which).parent)
    for c in candidates:
        if (c / "initdb").is_file() and (c / "pg_ctl").is_file():
            return c
    raise PgUnavailable("PostgreSQL server binaries (initdb, pg_ctl) not found: install postgresql "
                        "(scripts/system-deps.sh) or set SWEET17_PG_BIN")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class PgCluster:
    def __init__(self, fsync: bool = False) -> None:
        self.bin = find_bin()
        self.fsync = fsync
        self.port = 0
        self.dir: Path | None = None
        self.user = "sweet17"
        self._as: list[str] = []

    def _run(self, *args: str) -> subprocess.CompletedProcess:
        return subprocess.run([*self._as, *args], capture_output=True, text=True, timeout=120)

    def start(self) -> PgCluster:
        self.dir = Path(tempfile.mkdtemp(prefix="sweet17-pg-"))
        os.chmod(self.dir, 0o755)
        if os.geteuid() == 0:
            try:
                pw = pwd.getpwnam("postgres")
            except KeyError:
                raise PgUnavailable("running as root and there is no 'postgres' user to run the server") from None
            os.chown(self.dir, pw.pw_uid, pw.pw_gid)
            self._as = ["runuser", "-u", "postgres", "--"]
        data = self.dir / "data"
        r = self._run(str(self.bin / "initdb"), "-D", str(data), "-A", "trust", "-U", self.user, "-E", "UTF8",
                      "--locale=C", "--no-sync")
        if r.returncode != 0:
            raise PgUnavailable(f"initdb failed: {r.stderr.strip()[-500:]}")
        opts = (f"-p {{port}} -k {self.dir} -c listen_addresses=127.0.0.1 -c max_connections=60 "
                f"-c shared_buffers=32MB" + ("" if self.fsync else " -c fsync=off -c synchronous_commit=off "
                                                                  "-c full_page_writes=off"))
        for _attempt in range(5):
            self.port = _free_port()
            r = self._run(str(self.bin / "pg_ctl"), "-D", str(data), "-o", opts.format(port=self.port),
                          "-l", str(self.dir / "server.log"), "-w", "-t", "60", "start")
            if r.returncode == 0:
                return self
        log = (self.dir / "server.log").read_text(errors="replace")[-800:] if (self.dir / "server.log").exists() else ""
        raise PgUnavailable(f"pg_ctl start failed: {r.stderr.strip()[-300:]} {log}")

    def url(self, db: str = "postgres") -> str:
        return f"postgresql://{self.user}@127.0.0.1:{self.port}/{db}"

    def create_database(self, name: str | None = None) -> str:
        import psycopg

        name = name or "t_" + uuid.uuid4().hex[:12]
        with psycopg.connect(f"host=127.0.0.1 port={self.port} user={self.user} dbname=postgres",
                             autocommit=True) as c:
            c.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def stop(self) -> None:
        if self.dir is None:
            return
        data = self.dir / "data"
        if data.exists():
            self._run(str(self.bin / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop")
        shutil.rmtree(self.dir, ignore_errors=True)
        self.dir = None


_CLUSTER: PgCluster | None = None


def shared_cluster() -> PgCluster:
    """One server per test process, however many modules import the fixture; stopped at exit."""
    global _CLUSTER
    if _CLUSTER is None:
        import atexit

        _CLUSTER = PgCluster().start()
        atexit.register(_CLUSTER.stop)
    return _CLUSTER


@pytest.fixture(scope="session")
def pg_cluster():
    """The PostgreSQL server; fails (never skips) the tests that need it when it cannot start."""
    try:
        return shared_cluster()
    except PgUnavailable as e:
        pytest.fail(f"PostgreSQL is required for the hub tests: {e}", pytrace=False)


@pytest.fixture
def pg_url(pg_cluster) -> str:
    """A fresh, empty database on the session's PostgreSQL server."""
    return pg_cluster.create_database()
