"""The console channel: the same flows over stdin/stdout, choices as numbered lines.

Works with piped input, so a scripted conversation can run in tests: each input line is one
message; the program ends at end of input.
"""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

from bot.core.dispatcher import Dispatcher
from bot.core.types import Inbound, Reply

CHANNEL = "console"


def render(reply: Reply) -> str:
    """A reply as console text: the message, then choices numbered (or bracketed for input)."""
    lines = [reply.text]
    if reply.choices:
        if reply.expects_text:
            lines.append("   " + "  ".join(f"[{choice.label}]" for choice in reply.choices))
        else:
            lines.extend(
                f"   {index}. {choice.label}" for index, choice in enumerate(reply.choices, 1)
            )
    return "\n".join(lines)


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

    async def send(self, chat_id: str, replies: Sequence[Reply]) -> None:
        """Print replies (files are saved under `files_dir` and their path printed)."""
        del chat_id  # one person at the console
        for reply in replies:
            text = render(reply)
            if reply.attachment is not None:
                self.files_dir.mkdir(parents=True, exist_ok=True)
                path = self.files_dir / reply.attachment.filename
                path.write_bytes(reply.attachment.data)
                text += f"\n   📎 {path}"
            self.stdout.write(text + "\n\n")
        self.stdout.flush()

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
            await self.send(self.user_id, replies)
