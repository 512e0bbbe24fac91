"""Forged and malformed input on the real webhooks: refused politely, never a crash or a leak."""

from __future__ import annotations

import asyncio

import pytest

from bench.fault_drivers import MALFORMED_MARKER, Outcome, Probed, forged_inputs, leaks

pytestmark = [pytest.mark.slow, pytest.mark.faults]


@pytest.fixture(scope="module")
def outcome(tmp_path_factory: pytest.TempPathFactory) -> Outcome:
    """One Telegram webhook process and one Zalo OA process, fed every forged input in turn."""
    return asyncio.run(forged_inputs(tmp_path_factory.mktemp("forged")))


def test_malformed_webhook_body_gets_400_and_is_not_logged(outcome: Outcome) -> None:
    """An update Telegram could never send, with the right secret: 400 (not 500), body unlogged."""
    assert outcome.notes["malformed"] == 400
    log = outcome.logs[0].read_text(encoding="utf-8", errors="replace")
    assert log  # the process wrote its log
    assert MALFORMED_MARKER not in log
    assert not outcome.notes["malformed_logged"]


def test_zalo_event_400_days_old_is_refused(outcome: Outcome) -> None:
    """A correctly signed Zalo OA event 400 days old is not answered; a fresh one is."""
    status, replies = outcome.notes["zalo_old"]
    assert status != 500
    assert replies == [], f"answered (HTTP {status}): {replies[0][:60]!r}"
    assert outcome.notes["zalo_fresh"]  # the same user, now: answered (the check can fail)


@pytest.mark.parametrize("kind", ["forged", "typed"])
def test_forged_payloads_and_odd_digits_get_a_vietnamese_answer(
    outcome: Outcome, kind: str
) -> None:
    """Forged callback data and "²" "①" "١" typed at a menu: a Vietnamese message each."""
    probed: list[Probed] = outcome.notes[kind]
    assert probed
    silent = [(p.what[:20], p.status) for p in probed if p.status != 200 or not p.vietnamese]
    assert silent == []


def test_officer_cannot_open_another_wards_question(outcome: Outcome) -> None:
    """An officer of Hòa Cường pressing Hải Châu's question: refused, its text not shown."""
    assert outcome.notes["handover"] is True  # the question exists in the other ward
    cross: Probed = outcome.notes["cross_ward"]
    assert cross.vietnamese
    assert not outcome.notes["cross_ward_leak"]


def test_process_keeps_serving_after_forged_input(outcome: Outcome) -> None:
    """After every forged input the process still runs and answers /help."""
    assert outcome.notes["alive"] is True
    assert outcome.notes["served"] is True


def test_forged_run_logs_hold_no_secret(outcome: Outcome) -> None:
    """Neither process's -vv log holds the token, the webhook secret or a 12-digit number."""
    for log in outcome.logs:
        assert leaks(log.read_text(encoding="utf-8", errors="replace")) == [], log.name
