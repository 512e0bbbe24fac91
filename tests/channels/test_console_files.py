"""Files the console saves (officers' exports) are private: 0600 in a 0700 folder (issue 15)."""

from __future__ import annotations

import io
import os
import stat
from pathlib import Path

from bot.app import App
from bot.channels.console import ConsoleChannel
from bot.core.types import Attachment, Reply


async def test_an_attachment_is_saved_private_and_never_through_a_link(
    app: App, tmp_path: Path
) -> None:
    """Under umask 000 the folder is 0700 and the file 0600; a path part cannot escape."""
    out = io.StringIO()
    folder = tmp_path / "exports"
    channel = ConsoleChannel(app.dispatcher, user_id="u", stdout=out, files_dir=folder)
    previous = os.umask(0)
    try:
        await channel.send_one("u", Reply("xong", attachment=Attachment("../so-thu.csv", b"a,b")))
    finally:
        os.umask(previous)
    saved = folder / "so-thu.csv"
    assert saved.read_bytes() == b"a,b" and str(saved) in out.getvalue()
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert stat.S_IMODE(saved.stat().st_mode) == 0o600
    assert not (tmp_path / "so-thu.csv").exists()
    saved.unlink()
    (folder / "so-thu.csv").symlink_to(tmp_path / "elsewhere.csv")
    await channel.send_one("u", Reply("xong", attachment=Attachment("so-thu.csv", b"x")))
    assert "symlink" in out.getvalue().rsplit("xong", 1)[1]
    assert not (tmp_path / "elsewhere.csv").exists()
