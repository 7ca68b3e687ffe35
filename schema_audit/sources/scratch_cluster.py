"""A throwaway PostgreSQL cluster started from the local server binaries.

This is the engine behind ``--replay`` and the behavioural probes, and the
database the test-suite audits. It needs no server set up by the user: it runs
``initdb`` into a temporary directory, starts ``postgres`` on a free loopback
port with its socket in that directory, and removes everything on ``stop()``
(also from an ``atexit`` hook, so an interrupted run leaves nothing behind).

PostgreSQL refuses to run as root, so when the tool itself runs as root the
cluster is owned by and run as an unprivileged account (``postgres`` when it
exists, else ``nobody``).
"""

from __future__ import annotations

import atexit
import glob
import importlib.util
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from schema_audit.errors import SchemaAuditError

INSTALL_HINT = (
    "install the PostgreSQL server binaries (Debian/Ubuntu: apt-get install postgresql; "
    "macOS: brew install postgresql) or point SCHEMA_AUDIT_TEST_DSN / --scratch-dsn "
    "at a server you run"
)

_REQUIRED = ("initdb", "pg_ctl", "postgres")


class PgServerError(SchemaAuditError):
    """The throwaway cluster could not be found, initialised or started."""


def _has_binaries(directory: str | Path) -> bool:
    return all(os.access(Path(directory) / name, os.X_OK) for name in _REQUIRED)


def find_bindir() -> Path:
    """Locate a directory holding initdb, pg_ctl and postgres: the system's first, then embedded.

    Order: ``SCHEMA_AUDIT_PG_BINDIR``, the PATH, ``pg_config --bindir``, the newest
    ``/usr/lib/postgresql/*/bin`` (Debian's layout keeps the server binaries off the PATH),
    then the binaries the ``embedded`` extra installs (the ``pgserver`` wheel: PostgreSQL 16
    in ``pgserver/pginstall/bin``). System binaries win because they are the ones the user
    keeps patched; the embedded ones make ``--replay`` work where there are none.
    """
    explicit = os.environ.get("SCHEMA_AUDIT_PG_BINDIR")
    if explicit:
        if _has_binaries(explicit):
            return Path(explicit)
        raise PgServerError(f"SCHEMA_AUDIT_PG_BINDIR={explicit} lacks initdb/pg_ctl/postgres")
    for candidate in _system_bindirs():
        if _has_binaries(candidate):
            return Path(candidate)
    embedded = embedded_bindir()
    if embedded is not None:
        return embedded
    raise PgServerError(
        f"no PostgreSQL server binaries (initdb, pg_ctl, postgres) found: {INSTALL_HINT}"
    )


def _system_bindirs() -> Iterator[str]:
    """Where an installed PostgreSQL keeps its server binaries, most specific first."""
    on_path = shutil.which("initdb")
    if on_path:
        yield str(Path(os.path.realpath(on_path)).parent)
    pg_config = shutil.which("pg_config")
    if pg_config:
        try:
            out = subprocess.run(
                [pg_config, "--bindir"], capture_output=True, text=True, timeout=10, check=True
            ).stdout.strip()
            if out:
                yield out
        except (subprocess.SubprocessError, OSError):
            pass
    yield from sorted(
        glob.glob("/usr/lib/postgresql/*/bin"),
        key=lambda p: [int(x) if x.isdigit() else 0 for x in Path(p).parent.name.split(".")],
        reverse=True,
    )
    yield from ("/usr/local/pgsql/bin", "/opt/homebrew/bin")


def embedded_bindir() -> Path | None:
    """The server binaries of the ``embedded`` extra (``pip install 'schema-audit[embedded]'``).

    Found by the package's location, without importing it: pgserver's own Python API
    (a shared, long-lived server under the user's data directory) is not what a throwaway
    cluster needs, only its binaries are.
    """
    spec = importlib.util.find_spec("pgserver")
    if spec is None or not spec.submodule_search_locations:
        return None
    for location in spec.submodule_search_locations:
        candidate = Path(location) / "pginstall" / "bin"
        if _has_binaries(candidate):
            return candidate
    return None


def describe_bindir(bindir: Path) -> str:
    """Which server binaries run the scratch cluster, in a few words for the audit's evidence:
    ``PostgreSQL 16.2, embedded`` or ``PostgreSQL 15.18, /usr/lib/postgresql/15/bin``."""
    try:
        printed = subprocess.run(
            [str(bindir / "postgres"), "--version"], capture_output=True, text=True, timeout=10
        ).stdout.split()
        version = next((word for word in printed if word[:1].isdigit()), "?")
    except (subprocess.SubprocessError, OSError):
        version = "?"
    embedded = embedded_bindir()
    origin = "embedded" if embedded is not None and bindir == embedded else str(bindir)
    return f"PostgreSQL {version}, {origin}"


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _unprivileged_account() -> pwd.struct_passwd | None:
    """The account to run postgres as, or None when we are not root."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        try:
            return pwd.getpwnam(name)
        except KeyError:
            continue
    raise PgServerError("running as root and no unprivileged account (postgres, nobody) exists")


class PgCluster:
    """One throwaway cluster: ``with PgCluster() as pg: pg.create_database("x")``."""

    superuser = "postgres"

    def __init__(
        self, bindir: Path | None = None, keep: bool = False, password: str | None = None
    ) -> None:
        """``password`` switches TCP connections to scram-sha-256 for the superuser (trust otherwise)."""
        self.bindir = bindir or find_bindir()
        self.keep = keep
        self.password = password
        self.port = 0
        self.root: Path | None = None
        self._account = _unprivileged_account()
        self._started = False

    # -- life cycle -------------------------------------------------------
    def start(self) -> PgCluster:
        self.root = Path(tempfile.mkdtemp(prefix="schema-audit-pg-"))
        os.chmod(self.root, 0o755)
        data = self.root / "data"
        if self._account:
            os.chown(self.root, self._account.pw_uid, self._account.pw_gid)
        atexit.register(self.stop)
        auth = ["--auth=trust"]
        if self.password:
            pwfile = self.root / "pwfile"
            pwfile.write_text(self.password + "\n")
            if self._account:
                os.chown(pwfile, self._account.pw_uid, self._account.pw_gid)
            auth = ["--auth-local=trust", "--auth-host=scram-sha-256", f"--pwfile={pwfile}"]
        self._run(
            [
                str(self.bindir / "initdb"),
                "-D",
                str(data),
                "-U",
                self.superuser,
                *auth,
                "--encoding=UTF8",
                "--locale=C",
                "--no-sync",
            ],
            "initdb",
        )
        self.port = free_port()
        options = " ".join(
            [
                f"-p {self.port}",
                "-c listen_addresses=127.0.0.1",
                f"-c unix_socket_directories={self.root}",
                "-c fsync=off",
                "-c synchronous_commit=off",
                "-c full_page_writes=off",
                "-c max_connections=60",
                "-c shared_buffers=64MB",
                "-c max_locks_per_transaction=1024",
            ]
        )
        self._run(
            [
                str(self.bindir / "pg_ctl"),
                "-D",
                str(data),
                "-o",
                options,
                "-l",
                str(self.root / "server.log"),
                "-w",
                "-t",
                "60",
                "start",
            ],
            "pg_ctl start",
        )
        self._started = True
        return self

    def stop(self) -> None:
        """Stop the server and delete its directory (idempotent)."""
        if self.root is None:
            return
        if self._started:
            subprocess.run(
                [
                    str(self.bindir / "pg_ctl"),
                    "-D",
                    str(self.root / "data"),
                    "-m",
                    "immediate",
                    "-w",
                    "stop",
                ],
                capture_output=True,
                timeout=60,
                preexec_fn=self._demote(),
                check=False,
            )
            self._started = False
        if not self.keep:
            shutil.rmtree(self.root, ignore_errors=True)
        self.root = None

    def __enter__(self) -> PgCluster:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- connections ------------------------------------------------------
    def dsn(
        self, dbname: str = "postgres", user: str | None = None, password: str | None = None
    ) -> str:
        secret = password if password is not None else self.password
        credentials = f"{user or self.superuser}:{secret}" if secret else (user or self.superuser)
        return f"postgresql://{credentials}@127.0.0.1:{self.port}/{dbname}"

    def create_database(self, name: str) -> str:
        """Create an empty database and return its DSN."""
        self.execute(f'CREATE DATABASE "{name}"')
        return self.dsn(name)

    def drop_database(self, name: str) -> None:
        self.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def execute(self, sql: str, dbname: str = "postgres") -> None:
        import psycopg

        with psycopg.connect(self.dsn(dbname), autocommit=True) as conn:
            conn.execute(sql)

    @property
    def log(self) -> str:
        path = self.root / "server.log" if self.root else None
        return path.read_text(errors="replace") if path and path.exists() else ""

    # -- helpers ----------------------------------------------------------
    def _demote(self):
        account = self._account
        if account is None:
            return None

        def demote() -> None:
            os.setgid(account.pw_gid)
            os.setgroups([])
            os.setuid(account.pw_uid)

        return demote

    def _run(self, argv: list[str], what: str) -> None:
        try:
            result = subprocess.run(
                argv,
                capture_output=True,
                text=True,
                timeout=120,
                preexec_fn=self._demote(),
                cwd=self.root,
                env={**os.environ, "LC_ALL": "C"},
                check=False,
            )
        except (OSError, subprocess.SubprocessError) as exc:
            self.stop()
            raise PgServerError(f"{what} failed: {exc}") from exc
        if result.returncode != 0:
            detail = (result.stderr or result.stdout).strip().splitlines()[-3:]
            log = self.log.strip().splitlines()[-3:]
            self.stop()
            raise PgServerError(f"{what} failed: {' | '.join(detail + log)}")


def wait_until_ready(dsn: str, timeout: float = 30.0) -> None:
    """Block until a server accepts connections at ``dsn``."""
    import psycopg

    deadline = time.monotonic() + timeout
    while True:
        try:
            with psycopg.connect(dsn, connect_timeout=3):
                return
        except psycopg.OperationalError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)
