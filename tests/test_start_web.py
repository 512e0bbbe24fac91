"""`make run`'s `giamngheo start`: the console chat with the web site served beside it."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    """A port nobody listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_start_prints_the_address_and_serves_the_site(tmp_path: Path) -> None:
    """With no token, `start` prints the web address, serves `/` there, stops at end of input."""
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_PATH": str(tmp_path / "s.sqlite3"),
        "HTTP_PORT": str(port),
        "TELEGRAM_BOT_TOKEN": "",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", "start"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        cwd=tmp_path,
        env={**env, "PYTHONPATH": str(ROOT)},
    )
    assert process.stdout is not None and process.stdin is not None
    try:
        for _ in range(10):
            line = process.stdout.readline()
            if line.startswith("Trang web:"):
                break
        assert line.startswith(f"Trang web: http://127.0.0.1:{port}")
        direct = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # loopback only
        with direct.open(f"http://127.0.0.1:{port}/", timeout=10) as page:
            assert page.status == 200
            assert "Trợ lý Giảm nghèo" in page.read().decode("utf-8")
        process.stdin.write("/start\n")
        process.stdin.close()
        assert process.wait(timeout=60) == 0
        assert "Xin chào" in process.stdout.read()
    finally:
        process.kill()
