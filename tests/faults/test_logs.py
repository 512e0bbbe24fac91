"""Logs at -vv on every channel hold no token, ID number, phone or name that residents sent."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from bench.fault_drivers import file_modes, leaks, personal_data_runs, personal_values

pytestmark = [pytest.mark.slow, pytest.mark.faults]


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, tuple[Path, int]]]:
    """Residents write names, CCCDs and phones over polling, the webhook and Zalo OA, at -vv."""
    work = tmp_path_factory.mktemp("pii")
    return work, asyncio.run(personal_data_runs(work))


def test_vv_logs_hold_no_personal_data(runs: tuple[Path, dict[str, tuple[Path, int]]]) -> None:
    """Each channel answered every resident, logged at DEBUG, and its log holds none of it."""
    _, by_channel = runs
    assert set(by_channel) == {"telegram polling", "telegram webhook", "zalo oa"}
    for channel, (log_path, replies) in by_channel.items():
        log = log_path.read_text(encoding="utf-8", errors="replace")
        assert replies >= 3, channel  # every message was handled: every layer logged its part
        assert " DEBUG " in log, channel  # written at the level asked for: not vacuous
        assert leaks(log, personal_values()) == [], channel


def test_database_files_private(runs: tuple[Path, dict[str, tuple[Path, int]]]) -> None:
    """The databases the runs created are 0600 in a folder the bot created 0700."""
    work, _ = runs
    databases = sorted((work / "data").glob("*.sqlite3"))
    assert len(databases) == 3
    for db in databases:
        modes = file_modes(db)
        assert modes.pop("folder") == "0o700"
        assert set(modes.values()) == {"0o600"}, modes
