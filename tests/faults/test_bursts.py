"""`kill -9` during a 400-update burst on each inbound path; after restart nothing lost or doubled.

Each run: 40 users × 10 messages (commands and a question whose replies are single and told
apart), the bot at `-vv` on a database in a folder it creates; the process is killed 0.3–1.5 s
(seeded: `FAULT_SEED`, default 15) after the burst starts, or earlier once a seeded share of the
replies is in, and restarted on the same file. Then: every update got its reply; none was
handled twice (a duplicate is allowed only for the reply in flight at the kill, at most one per
user: its first copy reached the fake before the kill, and neither Bot API has an idempotent
send, so a bot that delivers at least once sends it again); each user's replies in the order of
the messages; the log holds no token or name; the database files are 0600 in a 0700 folder.
`FAULT_ROOT` runs the bot from another checkout (an older commit's worktree).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from bench.fault_drivers import ROTATION, classify, polling_burst, webhook_burst, zalo_burst

pytestmark = [pytest.mark.slow, pytest.mark.faults]

SEED = int(os.environ.get("FAULT_SEED", "15"))


async def test_each_probe_gets_one_known_reply_on_a_quiet_run(tmp_path: Path) -> None:
    """Without faults, each chosen message, sent once to a fresh user, gets exactly its reply."""
    outcome = await polling_burst(tmp_path, users=len(ROTATION), per_user=1, kills=0)
    for number, texts in enumerate(outcome.replies.values()):  # users in plan order
        assert len(texts) == 1, (ROTATION[number].text, texts)
        assert classify(texts[0]) == number, (ROTATION[number].text, texts[0][:80])


async def test_polling_burst_without_kill_loses_nothing(tmp_path: Path) -> None:
    """Without faults, the checks find every update answered once (the checks are sound)."""
    outcome = await polling_burst(tmp_path, seed=SEED, kills=0)
    assert outcome.tally.handled == 400
    assert outcome.problems(order=False, kills=False) == []
    assert outcome.problems(kills=False) == []  # replies in order too


async def test_polling_kill9_mid_burst_loses_nothing(tmp_path: Path) -> None:
    """Long polling killed mid-burst: every update handled once, in order, after the restart."""
    outcome = await polling_burst(tmp_path, seed=SEED)
    assert outcome.tally.faults == 1
    assert outcome.problems() == []


async def test_webhook_kill9_mid_burst_loses_nothing(tmp_path: Path) -> None:
    """Telegram webhook killed mid-burst, retried until 200: every update handled once, in order."""
    outcome = await webhook_burst(tmp_path, seed=SEED)
    assert outcome.tally.faults == 1
    assert outcome.problems() == []


async def test_zalo_oa_kill9_mid_burst_loses_nothing(tmp_path: Path) -> None:
    """Zalo OA webhook killed mid-burst, retried until 200: every event handled once, in order."""
    outcome = await zalo_burst(tmp_path, seed=SEED)
    assert outcome.tally.faults == 1
    assert outcome.problems() == []
