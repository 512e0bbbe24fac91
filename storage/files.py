"""Private files: the database, its WAL and SHM, backups and exports.

They hold names, ID-card and phone numbers, so each is created readable by its owner only
(0600), in a folder only the owner can enter (0700) when this code creates that folder. An
existing folder keeps its mode (it may be shared, `/tmp` say); an existing file is tightened.
Modes are set with explicit `os.open` / `chmod`, never `os.umask`, which is process-wide.
A target that is a symbolic link (even a dangling one) is refused, so a planted link cannot
send a copy of the data elsewhere.
"""

from __future__ import annotations

import contextlib
import os
import stat
from pathlib import Path

__all__ = [
    "FILE_MODE",
    "FOLDER_MODE",
    "UnsafeTarget",
    "create_private",
    "ensure_private",
    "exports_folder",
    "private_folder",
    "refuse_link",
    "tighten",
    "write_private",
]

FILE_MODE = 0o600
FOLDER_MODE = 0o700


class UnsafeTarget(ValueError):
    """A private file was to be written through a symbolic link."""

    def __init__(self, path: Path) -> None:
        super().__init__(
            f"Từ chối ghi vào {path}: đó là liên kết tượng trưng (symlink)."
            f" / Refusing to write to {path}: it is a symbolic link."
        )
        self.path = path


def private_folder(folder: Path) -> Path:
    """Create `folder` and any missing parents with mode 0700; an existing one is left as is."""
    missing: list[Path] = []
    current = folder
    while not current.exists() and current != current.parent:
        missing.append(current)
        current = current.parent
    for path in reversed(missing):
        try:
            path.mkdir(mode=FOLDER_MODE)
        except FileExistsError:
            continue  # made meanwhile by another process: its mode is that process's
        os.chmod(path, FOLDER_MODE)  # `mkdir`'s mode is cut by the umask
    return folder


def refuse_link(path: Path) -> None:
    """Raise `UnsafeTarget` if `path` is a symbolic link (dangling or not)."""
    if path.is_symlink():
        raise UnsafeTarget(path)


def _open_private(path: Path, flags: int) -> int:
    """Open `path` for writing, created 0600 (an existing file tightened); never through a link."""
    private_folder(path.parent)
    refuse_link(path)
    try:
        fd = os.open(
            path, flags | os.O_WRONLY | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0), FILE_MODE
        )
    except OSError as exc:
        if path.is_symlink():  # replaced by a link between the check and the open
            raise UnsafeTarget(path) from exc
        raise
    try:
        os.fchmod(fd, FILE_MODE)
    except OSError:
        os.close(fd)
        raise
    return fd


def create_private(path: Path, *, truncate: bool = False) -> None:
    """Make sure `path` exists with mode 0600 (created so, or tightened); never through a link."""
    os.close(_open_private(path, os.O_TRUNC if truncate else 0))


def ensure_private(path: Path) -> None:
    """Create `path` empty as 0600 if missing, else tighten it to 0600 (for the database).

    Unlike the other writers this follows a link: a deployment may keep the database elsewhere
    and link it in, and then the file linked to is the one tightened.
    """
    private_folder(path.parent)
    with contextlib.suppress(FileExistsError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE))
    if stat.S_IMODE(os.stat(path).st_mode) != FILE_MODE:  # wider, or cut by the umask
        os.chmod(path, FILE_MODE)


def write_private(path: Path, data: bytes) -> None:
    """Write `data` to `path` (replacing its content) as a 0600 file; never through a link."""
    fd = _open_private(path, os.O_TRUNC)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
    finally:
        os.close(fd)


def tighten(path: Path) -> None:
    """Set an existing regular file (not a link) to 0600; a missing one is fine."""
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return
    if stat.S_ISREG(info.st_mode) and stat.S_IMODE(info.st_mode) != FILE_MODE:
        os.chmod(path, FILE_MODE)


def exports_folder(database_path: Path) -> Path:
    """Where an export without `-o` goes: `exports/` beside the database (created 0700)."""
    return private_folder(database_path.resolve().parent / "exports")
