"""`giamngheo -v run` and `-vv run` on the fake Bot API: no secret, no personal data logged."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

import pytest

from tests.fakes.telegram_api import FakeBotApi

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "7012345678:AAHk3vQ9xZ_Lm-2pR8sT4uV6wX0yB1cD5eF"  # shaped like a real token
CCCD = "079123456789"
PHONE = "0905 123 456"
NAME = "Nguyễn Văn An"
TEXT = f"tôi tên {NAME}, căn cước {CCCD}, sđt {PHONE}, cho hỏi chuẩn hộ nghèo là bao nhiêu"


async def _run_bot_and_chat(tmp_path: Path, verbosity: str) -> tuple[str, int]:
    """Start the bot, have a resident write, stop it; the whole log and the exit code."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("ZALO_", "TELEGRAM_", "WEBHOOK_"))
    }
    log_path = tmp_path / "bot.log"
    async with FakeBotApi(token=TOKEN) as fake:
        env.update(
            PYTHONPATH=str(ROOT),
            DEMO_DATA="1",
            TELEGRAM_BOT_TOKEN=TOKEN,
            TELEGRAM_BASE_URL=fake.base_url,
            PYTHONASYNCIODEBUG="1",  # asyncio's own DEBUG lines too, at -vv
        )
        db = tmp_path / "bot.sqlite3"
        command = [sys.executable, "-m", "bot", verbosity, "--db", str(db), "run"]
        with log_path.open("wb") as log:
            process = await asyncio.create_subprocess_exec(
                *command, cwd=tmp_path, env=env, stdout=log, stderr=asyncio.subprocess.STDOUT
            )
            try:
                fake.push_message(8801, TEXT, first_name=NAME)
                replies = await asyncio.wait_for(fake.wait_for_messages(8801, 1), 60)
                assert replies  # the message was handled, so every layer logged its part
            finally:
                if process.returncode is None:
                    process.send_signal(signal.SIGINT)
                code = await asyncio.wait_for(process.wait(), 30)
    return log_path.read_text(encoding="utf-8", errors="replace"), code


@pytest.mark.parametrize(("verbosity", "level"), [("-v", "INFO"), ("-vv", "DEBUG")])
async def test_run_log_holds_no_token_id_phone_or_name(
    tmp_path: Path, verbosity: str, level: str
) -> None:
    """The whole log of a run where a resident sent personal data has none of it, nor the token."""
    log, code = await _run_bot_and_chat(tmp_path, verbosity)
    assert code in (0, 130), log[-2000:]
    assert f" {level} " in log  # the log was written at the level asked for: not vacuous
    assert "telegram polling started" in log
    assert len(log.splitlines()) >= 2
    secret_part = TOKEN.split(":", 1)[1]
    for leaked in (TOKEN, secret_part, CCCD, PHONE, PHONE.replace(" ", ""), NAME, "Nguyễn"):
        assert leaked not in log, f"{leaked!r} in the {verbosity} log"
