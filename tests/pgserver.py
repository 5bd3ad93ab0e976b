"""A real PostgreSQL server for the tests: initdb and pg_ctl from Debian's `postgresql` in a temp folder.

PostgreSQL refuses to run as root, so under root (CI) the cluster belongs to the `postgres` system
user (or `nobody`). It listens on 127.0.0.1 on a free port with password authentication, so the
tests can also present wrong credentials. Each test gets its own database, copied from a template
that already has every migration applied.
"""

from __future__ import annotations

import glob
import itertools
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

USER = "tk"
PASSWORD = "tk-test-secret"
TEMPLATE = "tk_template"


def find_bin() -> Path | None:
    """Return the newest PostgreSQL server bin folder installed, if any."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parent.parent.name))
    return Path(found[-1]).parent if found else None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _run_as() -> pwd.struct_passwd | None:
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        try:
            return pwd.getpwnam(name)
        except KeyError:
            continue
    raise RuntimeError("running as root without a `postgres` or `nobody` user to run PostgreSQL as")


@dataclass
class PgServer:
    """One running cluster; `url(db)` addresses a database in it."""

    bin_dir: Path
    root: Path
    port: int
    owner: pwd.struct_passwd | None
    _names: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    template_ready: bool = False

    @property
    def data(self) -> Path:
        return self.root / "data"

    def url(self, database: str = "postgres", *, user: str = USER, password: str = PASSWORD) -> str:
        return f"postgresql://{user}:{password}@127.0.0.1:{self.port}/{database}"

    def next_name(self) -> str:
        return f"tk_test_{next(self._names)}"

    def _cmd(self, *args: str) -> subprocess.CompletedProcess[str]:
        kwargs: dict[str, object] = {}
        if self.owner is not None:
            kwargs = {"user": self.owner.pw_uid, "group": self.owner.pw_gid, "extra_groups": []}
        return subprocess.run(
            [str(self.bin_dir / args[0]), *args[1:]],
            capture_output=True,
            text=True,
            timeout=120,
            cwd=self.root,
            **kwargs,  # type: ignore[call-overload]
        )

    @classmethod
    def start(cls) -> PgServer:
        bin_dir = find_bin()
        if bin_dir is None:
            raise FileNotFoundError("no /usr/lib/postgresql/*/bin/initdb")
        owner = _run_as()
        root = Path(tempfile.mkdtemp(prefix="tk-pg-"))
        if owner is not None:
            os.chown(root, owner.pw_uid, owner.pw_gid)
        server = cls(bin_dir, root, free_port(), owner)
        pwfile = root / "pw"
        pwfile.write_text(PASSWORD + "\n", encoding="utf-8")
        if owner is not None:
            os.chown(pwfile, owner.pw_uid, owner.pw_gid)
        server._check(
            server._cmd(
                "initdb",
                "-D",
                str(server.data),
                "-U",
                USER,
                f"--pwfile={pwfile}",
                "--auth=scram-sha-256",
                "-E",
                "UTF8",
                "--locale=C.UTF-8",
                "--no-sync",
            )
        )
        options = (
            f"-c listen_addresses=127.0.0.1 -p {server.port} -c unix_socket_directories={root} "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300"
        )
        server._check(
            server._cmd("pg_ctl", "-D", str(server.data), "-o", options, "-l", str(root / "log"), "-w", "start")
        )
        return server

    def _check(self, done: subprocess.CompletedProcess[str]) -> None:
        if done.returncode != 0:
            log = (self.root / "log").read_text(errors="replace") if (self.root / "log").exists() else ""
            raise RuntimeError(f"{done.args[0]} failed: {done.stdout}\n{done.stderr}\n{log[-2000:]}")

    def stop(self) -> None:
        self._cmd("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
        shutil.rmtree(self.root, ignore_errors=True)


async def fresh_database(server: PgServer) -> str:
    """Create an empty, migrated database of its own and return its URL."""
    import asyncpg

    from bot.db.postgres import PostgresDatabase

    if not server.template_ready:
        admin = await asyncpg.connect(server.url())
        try:
            await admin.execute(f"DROP DATABASE IF EXISTS {TEMPLATE}")
            await admin.execute(f"CREATE DATABASE {TEMPLATE}")
        finally:
            await admin.close()
        db = await PostgresDatabase.open(server.url(TEMPLATE))
        await db.close()
        server.template_ready = True
    return await empty_database(server, template=TEMPLATE)


async def empty_database(server: PgServer, *, template: str = "template0") -> str:
    """Create a database (a copy of `template`) and return its URL."""
    import asyncpg

    name = server.next_name()
    admin = await asyncpg.connect(server.url())
    try:
        await admin.execute(f"CREATE DATABASE {name} TEMPLATE {template}")
    finally:
        await admin.close()
    return server.url(name)
