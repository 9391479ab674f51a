"""A throw-away PostgreSQL server for tests: initdb + pg_ctl into a temporary folder.

It listens only on a unix socket in that folder, so servers of parallel test workers
(pytest-xdist) never meet. As root the server runs as the ``postgres`` user (PostgreSQL
refuses to run as root). Durability is off (fsync, synchronous_commit): a test server
needs speed, not crash safety. Each test gets a database of its own (``fresh_database``).
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path

import psycopg

SERVER_OPTIONS = (
    "-c listen_addresses='' -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
    " -c max_connections=300 -c shared_buffers=32MB"
)


def binaries() -> Path | None:
    """The folder holding initdb and pg_ctl: on PATH, else Debian's newest version."""
    on_path = shutil.which("pg_ctl")
    if on_path and shutil.which("initdb"):
        return Path(on_path).resolve().parent
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"), key=_version)
    return found[-1].parent if found else None


def _version(pg_ctl: Path) -> float:
    try:
        return float(pg_ctl.parent.parent.name)
    except ValueError:
        return 0.0


@dataclass
class Server:
    bin_dir: Path
    folder: Path

    @property
    def socket_dir(self) -> Path:
        return self.folder

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://postgres@/{database}?host={self.socket_dir}"

    def start(self) -> None:
        data = self.folder / "data"
        self._run("initdb", "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8",
                  "--no-sync", "--locale=C")  # fmt: skip
        options = f"-k {self.socket_dir} {SERVER_OPTIONS}"
        log = str(self.folder / "server.log")
        self._run("pg_ctl", "-D", str(data), "-l", log, "-o", options, "-w", "start")

    def stop(self) -> None:
        data = self.folder / "data"
        if (data / "postmaster.pid").exists():
            self._run("pg_ctl", "-D", str(data), "-m", "immediate", "-w", "stop")
        shutil.rmtree(self.folder, ignore_errors=True)

    def fresh_database(self) -> str:
        """A new, empty database's URL (migrations run when a store opens it)."""
        name = f"t_{uuid.uuid4().hex[:16]}"
        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f"create database {name}")
        return self.url(name)

    def drop_database(self, url: str) -> None:
        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f"drop database if exists {database_name(url)} with (force)")

    def _run(self, program: str, *args: str) -> None:
        command = [str(self.bin_dir / program), *args]
        if os.geteuid() == 0:  # PostgreSQL will not run as root
            command = ["runuser", "-u", "postgres", "--", *command]
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        if done.returncode:
            log = self.folder / "server.log"
            tail = log.read_text()[-2000:] if log.exists() else ""
            raise RuntimeError(f"{program} failed: {done.stderr or done.stdout}\n{tail}")


def start_server() -> Server:
    bin_dir = binaries()
    if bin_dir is None:
        raise FileNotFoundError("initdb/pg_ctl")
    folder = Path(tempfile.mkdtemp(prefix="emailstatus-pg-"))
    if os.geteuid() == 0:
        postgres = pwd.getpwnam("postgres")
        os.chown(folder, postgres.pw_uid, postgres.pw_gid)
    server = Server(bin_dir, folder)
    try:
        server.start()
    except BaseException:
        server.stop()
        raise
    return server


def database_name(url: str) -> str:
    """The database of one of ``Server.url``'s URLs."""
    return url.split("@/", 1)[1].split("?", 1)[0]
