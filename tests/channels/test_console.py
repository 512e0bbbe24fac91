"""Console end to end: `giamngheo chat` as a subprocess with piped input, and kill -9 restart."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def chat(db: Path, lines: list[str], *, officer: bool = False) -> str:
    """Run the console chat with piped input and return what it printed."""
    args = [sys.executable, "-m", "bot", "--db", str(db), "chat"]
    if officer:
        args.append("--as-officer")
    done = subprocess.run(
        args,
        input="\n".join(lines) + "\n",
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
        check=True,
    )
    return done.stdout


def test_scripted_conversation(tmp_path: Path) -> None:
    """A piped conversation: menu, a question, numbered choices, cancel."""
    out = chat(tmp_path / "c.sqlite3", ["/start", "1", "ho ngheo dc vay von ko", "/help"])
    assert "Xin chào" in out
    assert "   1. ❓ Hỏi đáp chính sách" in out
    assert "Ngân hàng Chính sách xã hội" in out
    assert "/xoadulieu" in out


def test_officer_sees_officer_menu(tmp_path: Path) -> None:
    """--as-officer acts as the demo officer with the officer items."""
    out = chat(tmp_path / "o.sqlite3", ["/start"], officer=True)
    assert "cán bộ" in out
    assert "Hộp thư câu hỏi" in out


async def _read_until(stream: asyncio.StreamReader, needle: str) -> str:
    seen = ""
    while needle not in seen:
        chunk = await asyncio.wait_for(stream.read(4096), 30)
        if not chunk:
            break
        seen += chunk.decode()
    assert needle in seen, seen
    return seen


async def test_sigkill_mid_flow_then_continue(tmp_path: Path) -> None:
    """A process killed with SIGKILL mid-flow: a new one continues at the same step."""
    db = tmp_path / "k.sqlite3"
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    first = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "--db",
        str(db),
        "chat",
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        cwd=ROOT,
        env=env,
    )
    assert first.stdin is not None and first.stdout is not None
    first.stdin.write(b"/hoicanbo\n")
    await first.stdin.drain()
    await _read_until(first.stdout, "gõ câu hỏi muốn gửi")
    first.send_signal(signal.SIGKILL)
    await first.wait()
    assert first.returncode == -signal.SIGKILL
    out = chat(db, ["Hộ tôi muốn vay vốn làm ăn thì hỏi ai?"])
    assert "xã, phường hay đặc khu nào" in out
