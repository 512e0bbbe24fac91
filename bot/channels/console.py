"""The console channel: the same flows over stdin/stdout, choices as numbered lines.

Works with piped input, so a scripted conversation can run in tests: each input line is one
message; the program ends at end of input.
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
from bot.core.types import Inbound, Reply
from bot.http_server import HttpServer
from storage.files import UnsafeTarget, private_folder, write_private

CHANNEL = "console"


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
            inbound = Inbound(
                channel=CHANNEL,
                user_id=self.user_id,
                chat_id=self.user_id,
                message_id=f"c{time.time_ns()}",
                received_at=datetime.now(UTC),
                text=text,
                display_name=self.display_name,
            )
            replies = await self.dispatcher.handle(inbound)
            await deliver_or_queue(
                self.send_one,
                channel=CHANNEL,
                chat_id=self.user_id,
                replies=replies,
                services=self.dispatcher.services,
            )
