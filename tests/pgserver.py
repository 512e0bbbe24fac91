"""A throwaway PostgreSQL server for the tests: its own folder, its own port, gone afterwards.

The server programs are found like scripts/ensure_postgres.sh finds them (``PG_BINDIR``, else
the newest ``/usr/lib/postgresql/*/bin``). When this process is root, initdb and the server run
as the ``postgres`` system user (``runuser``), because PostgreSQL refuses to run as root. The
server listens on 127.0.0.1 only, on a free port, with its Unix socket inside its own folder,
and trusts every local connection (it holds test data only). Databases are created and
dropped through ``psql`` from the same folder, found as the project finds its PostgreSQL
programs (`storage.pg.debian_bindirs`).

``python -m tests.pgserver`` starts one, prints its URL and waits until Ctrl-C.
"""

from __future__ import annotations

import atexit
import contextlib
import getpass
import glob
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import TracebackType

from storage.pg import debian_bindirs

SUPERUSER = "postgres"
"""The database superuser every throwaway server has (``initdb -U``)."""

SYSTEM_USER = "postgres"
"""The system user the server runs as when this process is root."""

FOLDER_PREFIX = "giamngheo-pg-"
"""Each server's temporary folder starts with this (in the system's temporary folder)."""

OWNER_FILE = "owner.pid"
"""In a server's folder: the pid of the process that started it (to reap orphans)."""

SETTINGS: tuple[tuple[str, str], ...] = (
    ("listen_addresses", "127.0.0.1"),
    ("max_connections", "200"),
    ("shared_buffers", "128MB"),
    ("fsync", "on"),
)
"""Server settings for the tests; durability stays PostgreSQL's default."""

_IDENTIFIER = re.compile(r"[a-z_][a-z0-9_]{0,62}")
_INSTALL_HINT = (
    "run scripts/ensure_postgres.sh (as root it installs Debian's postgresql package), "
    "or point PG_BINDIR to the folder holding initdb and pg_ctl"
)


def _has_server_programs(folder: Path) -> bool:
    """Whether a folder holds executable initdb and pg_ctl."""
    return all(os.access(folder / name, os.X_OK) for name in ("initdb", "pg_ctl"))


def find_bindir() -> Path:
    """The folder with PostgreSQL's server programs, found like scripts/ensure_postgres.sh.

    Returns:
        ``PG_BINDIR`` when set, else the newest ``/usr/lib/postgresql/*/bin`` holding initdb
        and pg_ctl.

    Raises:
        RuntimeError: The programs are not there; the message says what to run.
    """
    override = os.environ.get("PG_BINDIR")
    if override:
        folder = Path(override)
        if _has_server_programs(folder):
            return folder
        raise RuntimeError(
            f"PG_BINDIR={override} has no executable initdb and pg_ctl: " + _INSTALL_HINT
        )
    for candidate in debian_bindirs():
        if _has_server_programs(candidate):
            return candidate
    raise RuntimeError(
        "PostgreSQL's server programs (initdb, pg_ctl) are not in /usr/lib/postgresql/*/bin: "
        + _INSTALL_HINT
    )


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def process_alive(pid: int) -> bool:
    """Whether a process exists and is not a zombie (an exited child nobody has reaped)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="ascii", errors="replace")
    except FileNotFoundError:
        return False
    except OSError:
        stat = ""
    if stat:
        # "pid (comm) state ...": comm may hold spaces and ")", the state follows the last ")".
        return stat[stat.rindex(")") + 2 :].split(" ", 1)[0] != "Z"
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _check_identifier(name: str) -> str:
    """A database name, checked to be a plain lower-case identifier, double-quoted."""
    if not _IDENTIFIER.fullmatch(name):
        raise ValueError(f"not a plain database name (a-z, 0-9, _): {name!r}")
    return f'"{name}"'


def _clean_environment() -> dict[str, str]:
    """This process's environment without PG* variables (PGPASSWORD, PGDATABASE, ...)."""
    return {key: value for key, value in os.environ.items() if not key.startswith("PG")}


class ThrowawayPostgres:
    """A PostgreSQL server in a temporary folder, for one test run.

    Use it as a context manager, or call ``start()`` and ``stop()``. A started server is also
    stopped when the Python process exits (``atexit``), and ``start()`` first stops servers
    whose starting process died without stopping them (a test run killed with SIGKILL).
    """

    def __init__(self, bindir: Path | None = None) -> None:
        """Prepare a server; nothing starts before ``start()``.

        Args:
            bindir: The folder with initdb, pg_ctl and psql; ``find_bindir()`` when omitted.
        """
        self._bindir = bindir
        self._folder: Path | None = None
        self._port: int | None = None
        self._as_root = os.geteuid() == 0

    # -- what a started server exposes -------------------------------------------------------

    @property
    def bindir(self) -> Path:
        """The folder with the server programs this server uses."""
        if self._bindir is None:
            self._bindir = find_bindir()
        return self._bindir

    @property
    def folder(self) -> Path:
        """The temporary folder holding the data directory, the socket and the log."""
        if self._folder is None:
            raise RuntimeError("the throwaway PostgreSQL is not started")
        return self._folder

    @property
    def data_dir(self) -> Path:
        """The data directory (initdb's ``-D``)."""
        return self.folder / "data"

    @property
    def log_file(self) -> Path:
        """The server's log."""
        return self.folder / "server.log"

    @property
    def port(self) -> int:
        """The TCP port the server listens on (127.0.0.1)."""
        if self._port is None:
            raise RuntimeError("the throwaway PostgreSQL is not started")
        return self._port

    @property
    def url(self) -> str:
        """The URL of the ``postgres`` database."""
        return self.url_for("postgres")

    @property
    def running(self) -> bool:
        """Whether ``start()`` succeeded and ``stop()`` has not run since."""
        return self._folder is not None and self._port is not None

    def url_for(self, database: str) -> str:
        """The URL of one database of this server."""
        _check_identifier(database)
        return f"postgresql://{SUPERUSER}@127.0.0.1:{self.port}/{database}"

    def server_pid(self) -> int:
        """The postmaster's pid, from the first line of ``postmaster.pid``."""
        text = (self.data_dir / "postmaster.pid").read_text(encoding="ascii")
        return int(text.splitlines()[0])

    # -- life cycle ----------------------------------------------------------------------------

    def start(self) -> ThrowawayPostgres:
        """Create the folder, run initdb and start the server on a free port.

        Returns:
            This server, started.

        Raises:
            RuntimeError: The programs are missing, or initdb or the server failed (the
                message carries their output and the server log).
        """
        if self.running:
            return self
        bindir = self.bindir
        reap_orphans()
        self._folder = Path(tempfile.mkdtemp(prefix=FOLDER_PREFIX))
        atexit.register(self.stop)
        try:
            (self.folder / OWNER_FILE).write_text(f"{os.getpid()}\n", encoding="ascii")
            if self._as_root:
                shutil.chown(self.folder, user=SYSTEM_USER, group=SYSTEM_USER)
            self._initdb(bindir)
            self._start_server(bindir)
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        """Stop the server (``pg_ctl stop -m fast``) and remove its folder; safe to call twice."""
        atexit.unregister(self.stop)
        folder, self._folder, self._port = self._folder, None, None
        if folder is None:
            return
        data_dir = folder / "data"
        if (data_dir / "postmaster.pid").exists():
            command = [str(self.bindir / "pg_ctl"), "stop", "-w", "-m", "fast", "-D", str(data_dir)]
            result = self._run_as_owner(command, folder, check=False)
            if result.returncode != 0:
                # A fast shutdown that did not finish in pg_ctl's wait: stop without waiting more.
                immediate = [*command[:4], "immediate", *command[5:]]
                self._run_as_owner(immediate, folder, check=False)
        shutil.rmtree(folder, ignore_errors=True)

    def __enter__(self) -> ThrowawayPostgres:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    # -- databases -------------------------------------------------------------------------------

    def psql(self, sql: str, database: str = "postgres") -> str:
        """Run SQL through ``psql`` (stop at the first error) and return its unaligned output.

        Args:
            sql: One or more statements.
            database: The database to connect to.

        Returns:
            psql's output: tuples only, unaligned, ``|`` between columns.

        Raises:
            RuntimeError: psql failed; the message carries its error.
        """
        _check_identifier(database)
        command = [
            str(self.bindir / "psql"),
            "-X",
            "-q",
            "-A",
            "-t",
            "-v",
            "ON_ERROR_STOP=1",
            "-h",
            "127.0.0.1",
            "-p",
            str(self.port),
            "-U",
            SUPERUSER,
            "-d",
            database,
            "-c",
            sql,
        ]
        result = subprocess.run(
            command, capture_output=True, text=True, env=_clean_environment(), check=False
        )
        if result.returncode != 0:
            raise RuntimeError(f"psql failed on {database}: {result.stderr.strip()}")
        return result.stdout

    def create_database(self, name: str, template: str | None = None) -> str:
        """Create an empty database (or a copy of ``template``) and return its URL."""
        statement = f"CREATE DATABASE {_check_identifier(name)}"
        if template is not None:
            statement += f" TEMPLATE {_check_identifier(template)}"
        self.psql(statement)
        return self.url_for(name)

    def drop_database(self, name: str) -> None:
        """Drop a database if it exists, closing the connections still open to it."""
        self.psql(f"DROP DATABASE IF EXISTS {_check_identifier(name)} WITH (FORCE)")

    # -- the steps of start() ----------------------------------------------------------------------

    def _initdb(self, bindir: Path) -> None:
        """Run initdb into the data directory (C.UTF-8, else no locale; UTF8, trust)."""
        base = [
            str(bindir / "initdb"),
            "-D",
            str(self.data_dir),
            "-A",
            "trust",
            "-U",
            SUPERUSER,
            "--encoding=UTF8",
            # The folder is thrown away with the run: initdb's final fsync buys nothing. The
            # server itself keeps PostgreSQL's durability defaults (fsync=on).
            "--no-sync",
        ]
        result = self._run_as_owner([*base, "--locale=C.UTF-8"], self.folder, check=False)
        if result.returncode != 0:
            shutil.rmtree(self.data_dir, ignore_errors=True)
            result = self._run_as_owner([*base, "--no-locale"], self.folder, check=False)
        if result.returncode != 0:
            raise RuntimeError(f"initdb failed:\n{result.stdout}{result.stderr}")

    def _start_server(self, bindir: Path, attempts: int = 5) -> None:
        """Start the server on a free port, trying another port when one was taken meanwhile."""
        failure = ""
        for _ in range(attempts):
            port = free_port()
            options = [*(f"-c {key}={value}" for key, value in SETTINGS)]
            options += [f"-p {port}", f"-k {shlex.quote(str(self.folder))}"]
            command = [
                str(bindir / "pg_ctl"),
                "start",
                "-w",
                "-t",
                "60",
                "-D",
                str(self.data_dir),
                "-l",
                str(self.log_file),
                "-o",
                " ".join(options),
            ]
            result = self._run_as_owner(command, self.folder, check=False)
            if result.returncode == 0:
                self._port = port
                return
            log = (
                self.log_file.read_text(encoding="utf-8", errors="replace")
                if self.log_file.exists()
                else ""
            )
            failure = f"{result.stdout}{result.stderr}\n--- server log ---\n{log}"
            if "could not bind" not in log and "already in use" not in log:
                break
        raise RuntimeError(f"the throwaway PostgreSQL did not start:\n{failure}")

    def _run_as_owner(
        self, command: list[str], cwd: Path, *, check: bool
    ) -> subprocess.CompletedProcess[str]:
        """Run a server program as the folder's owner (``postgres`` via runuser when root)."""
        if self._as_root:
            command = ["runuser", "-u", SYSTEM_USER, "--", *command]
        return subprocess.run(
            command,
            cwd=cwd,
            capture_output=True,
            text=True,
            env=_clean_environment(),
            check=check,
            stdin=subprocess.DEVNULL,
        )


def reap_orphans() -> list[Path]:
    """Stop and remove throwaway servers whose starting process is gone.

    Only folders this process may remove are touched; servers of live processes (another test
    run on the same machine) are left alone.

    Returns:
        The folders removed.
    """
    removed: list[Path] = []
    pattern = os.path.join(tempfile.gettempdir(), FOLDER_PREFIX + "*")
    for name in glob.glob(pattern):
        folder = Path(name)
        try:
            owner = int((folder / OWNER_FILE).read_text(encoding="ascii").strip())
        except (OSError, ValueError):
            continue
        if process_alive(owner):
            continue
        orphan = ThrowawayPostgres()
        orphan._folder, orphan._port = folder, 0
        try:
            orphan.stop()
        except (OSError, RuntimeError, subprocess.SubprocessError):
            continue
        removed.append(folder)
    return removed


def _superuser_hint() -> str:
    """Who the server runs as, for the message ``python -m tests.pgserver`` prints."""
    return SYSTEM_USER if os.geteuid() == 0 else getpass.getuser()


def main() -> int:
    """Start a server, print its URL, wait until Ctrl-C (or SIGTERM), then stop it."""

    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupt)
    started = time.monotonic()
    with ThrowawayPostgres() as server:
        seconds = time.monotonic() - started
        print(server.url, flush=True)
        print(
            f"# PostgreSQL from {server.bindir}, running as {_superuser_hint()}, "
            f"started in {seconds:.2f} s; folder {server.folder}. Ctrl-C stops it.",
            file=sys.stderr,
            flush=True,
        )
        with contextlib.suppress(KeyboardInterrupt):
            while True:
                time.sleep(3600)
    return 0


if __name__ == "__main__":
    sys.exit(main())
