"""The console channel: the same flows over stdin/stdout, choices as numbered lines.

Works with piped input, so a scripted conversation can run in tests: each input line is one
message; the program ends at end of input. A line `/tep PATH` (or `📎 PATH`) sends that file,
as a document sent on Telegram does (a bank statement for `/doisoat`): a regular file of at
most 10 MB; anything else is refused with a message and nothing is sent.
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

from bot.channels.base import ChannelError
from bot.channels.text_menu import render
from bot.core.delivery import deliver_or_queue
from bot.core.dispatcher import Dispatcher
from bot.core.i18n import Translator
from bot.core.types import MAX_DOCUMENT_BYTES, Inbound, Reply
from bot.http_server import HttpServer
from storage.files import UnsafeTarget, private_folder, write_private

CHANNEL = "console"
FILE_PREFIXES = ("/tep ", "/tep\t", "📎 ")
"""A line starting so sends a file (`/tep bank.csv`)."""


class ConsoleChannel:
    """Reads lines, hands them to the dispatcher and prints the replies."""

    name = CHANNEL

    def __init__(
        self,
        dispatcher: Dispatcher,
        *,
        user_id: str,
        display_name: str = "",
        stdin: TextIO | None = None,
        stdout: TextIO | None = None,
        files_dir: Path = Path("data/exports"),
    ) -> None:
        self.dispatcher = dispatcher
        self.user_id = user_id
        self.display_name = display_name
        self.stdin = stdin or sys.stdin
        self.stdout = stdout or sys.stdout
        self.files_dir = files_dir
        self._reader: asyncio.Task[None] | None = None

    async def start(self, server: HttpServer) -> None:
        """Read stdin in the background (the console needs no HTTP route)."""
        del server
        if self._reader is None:
            self._reader = asyncio.create_task(self.run(), name="console-reader")

    async def stop(self) -> None:
        """Stop reading."""
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reader
            self._reader = None

    async def send_one(self, chat_id: str, reply: Reply) -> None:
        """Print one reply (a file is saved under `files_dir` and its path printed).

        Raises:
            ChannelError: The output is closed or broken.
        """
        del chat_id  # one person at the console
        text = render(reply)
        if reply.attachment is not None:
            # Exports carry personal data: a 0700 folder, a 0600 file, never through a link.
            path = private_folder(self.files_dir) / Path(reply.attachment.filename).name
            try:
                write_private(path, reply.attachment.data)
                text += f"\n   📎 {path}"
            except UnsafeTarget as refused:  # a link planted where the file goes
                text += f"\n   ⚠️ {refused}"
        try:
            self.stdout.write(text + "\n\n")
            self.stdout.flush()
        except (OSError, ValueError) as exc:  # a closed or broken output
            raise ChannelError(type(exc).__name__) from exc

    async def send(self, chat_id: str, replies: Sequence[Reply]) -> None:
        """Print replies in order."""
        for reply in replies:
            await self.send_one(chat_id, reply)

    def _read_file(self, raw: str) -> bytes | None:
        """The bytes of the file a `/tep` line names, or None after saying why not."""
        t = Translator(self.dispatcher.services.config.default_language)
        path = Path(raw.strip().strip('"')).expanduser()
        try:
            if not raw.strip():
                problem = t("console.file_how")
            elif not path.is_file():
                problem = t("console.file_missing", path=raw.strip())
            elif path.stat().st_size > MAX_DOCUMENT_BYTES:
                problem = t("console.file_too_large", limit=MAX_DOCUMENT_BYTES // (1024 * 1024))
            else:
                return path.read_bytes()
        except OSError:
            problem = t("console.file_unreadable", path=raw.strip())
        self.stdout.write(problem + "\n\n")
        self.stdout.flush()
        return None

    async def run(self) -> None:
        """Read until end of input, handling each line as one message."""
        loop = asyncio.get_running_loop()
        while True:
            line = await loop.run_in_executor(None, self.stdin.readline)
            if not line:
                return
            text = line.rstrip("\r\n")
            if not text.strip():
                continue
            document: bytes | None = None
            if text.startswith(FILE_PREFIXES) or text.strip() in {"/tep", "📎"}:
                document = self._read_file(text.split(maxsplit=1)[1] if " " in text else "")
                if document is None:
                    continue
                text = ""
            inbound = Inbound(
                channel=CHANNEL,
                user_id=self.user_id,
                chat_id=self.user_id,
                message_id=f"c{time.time_ns()}",
                received_at=datetime.now(UTC),
                text=text,
                display_name=self.display_name,
                document=document,
            )
            replies = await self.dispatcher.handle(inbound)
            await deliver_or_queue(
                self.send_one,
                channel=CHANNEL,
                chat_id=self.user_id,
                replies=replies,
                services=self.dispatcher.services,
            )
