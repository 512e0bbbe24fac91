"""Two webhook processes on one database, each update delivered to both (a redelivery)."""

from __future__ import annotations

import asyncio

import pytest

from bench.fault_drivers import Outcome, two_processes

pytestmark = [pytest.mark.slow, pytest.mark.faults]


@pytest.fixture(scope="module")
def outcome(tmp_path_factory: pytest.TempPathFactory) -> Outcome:
    """One run: 12 users × 10 updates POSTed to both processes, then a handover to both."""
    return asyncio.run(two_processes(tmp_path_factory.mktemp("two"), users=12))


def test_each_update_is_handled_once_by_two_processes(outcome: Outcome) -> None:
    """Every update POSTed to both processes gets exactly one reply, in order."""
    assert outcome.notes["alive"] == [True, True]
    assert outcome.tally.handled == outcome.tally.inputs == 120
    assert outcome.problems(kills=False) == []


def test_handover_confirmed_in_both_reaches_officers_once(outcome: Outcome) -> None:
    """A question handed over, its confirm pressed in both processes at once: one notice."""
    assert outcome.notes["handover"], outcome.notes["handover_stopped"]
    assert outcome.notes["officer_notices"] == 1, outcome.notes["officer_texts"]
