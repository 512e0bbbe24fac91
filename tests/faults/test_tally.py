"""The fault suite's checks themselves: the tally sees every loss, duplicate and reordering."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.fault_drivers import (
    ROTATION,
    Outcome,
    burst_plan,
    classify,
    resent_across_kills,
    tally,
)

pytestmark = [pytest.mark.slow, pytest.mark.faults]

TEXTS = [f"{probe.markers[0]} …" for probe in ROTATION]


def test_every_marker_classifies_as_its_probe() -> None:
    """A reply carrying probe i's marker is probe i's (and `/start` is not taken for `/menu`)."""
    assert [classify(text) for text in TEXTS] == list(range(len(ROTATION)))
    assert classify("Xin chào Lan! Tôi là Trợ lý Giảm nghèo. Bạn cần gì?") == 1
    assert classify("Xin lỗi, có lỗi xảy ra") is None


def test_plan_gives_each_user_distinct_probes_in_rotation() -> None:
    """User u sends the rotation from u on, never the same probe twice."""
    plan = burst_plan(3, 10, first_user=1)
    assert plan["2"][:3] == [1, 2, 3]
    assert all(sorted(probes) == list(range(10)) for probes in plan.values())
    with pytest.raises(ValueError, match="at most"):
        burst_plan(1, len(ROTATION) + 1, first_user=1)


def test_tally_counts_lost_duplicated_reordered_and_unexpected() -> None:
    """One user loses a reply, one gets one twice, one out of order, one a stray message."""
    expected = {"a": [0, 1, 2], "b": [0, 1, 2], "c": [0, 1, 2], "d": [0, 1]}
    observed = {
        "a": [TEXTS[0], TEXTS[2]],
        "b": [TEXTS[0], TEXTS[1], TEXTS[1], TEXTS[2]],
        "c": [TEXTS[1], TEXTS[0], TEXTS[2]],
        "d": [TEXTS[0], "Xin lỗi, có lỗi xảy ra", TEXTS[1]],
    }
    result = tally(expected, observed)
    assert (result.inputs, result.handled, result.lost) == (11, 10, 1)
    assert result.lost_users == [("a", 1)]
    assert (result.duplicates, result.duplicated) == (1, [("b", 1, 2)])
    assert result.order_violations == 1
    assert result.disordered == [("c", [0, 1, 2], [1, 0, 2])]
    assert result.unexpected == 1


def test_tally_of_a_clean_run_is_clean() -> None:
    """Every update answered once and in order: nothing lost, doubled or reordered."""
    plan = burst_plan(4, 10, first_user=1)
    observed = {user: [TEXTS[i] for i in probes] for user, probes in plan.items()}
    result = tally(plan, observed)
    assert (result.handled, result.lost, result.duplicates) == (40, 0, 0)
    assert (result.order_violations, result.unexpected) == (0, 0)


def test_a_copy_is_resent_across_a_kill_only_when_a_kill_separates_the_copies() -> None:
    """Copies on both sides of a kill are a re-send; two copies after it are not."""
    records = [("a", TEXTS[0]), ("b", TEXTS[0]), ("a", TEXTS[0]), ("b", TEXTS[0]), ("b", TEXTS[0])]
    assert resent_across_kills(records, [2], ["a", "b"]) == {"a": 1, "b": 1}
    assert resent_across_kills(records, [], ["a", "b"]) == {}
    assert resent_across_kills(records, [2], ["a"]) == {"a": 1}


def test_problems_tolerate_only_the_reply_in_flight_at_a_kill(tmp_path: Path) -> None:
    """One copy re-sent per user per kill passes; a second, or one with no kill, is reported."""
    plan = {"a": [0, 1]}
    observed = {"a": [TEXTS[0], TEXTS[0], TEXTS[1]]}
    result = tally(plan, observed)
    result.faults = result.survived = 1
    resent = Outcome("x", result, [], tmp_path, 1, {"resent_after_kill": {"a": 1}})
    assert resent.problems() == []
    assert resent.problems(kills=False) == []
    doubled = Outcome("x", result, [], tmp_path, 1, {"resent_after_kill": {}})
    assert "no kill between the copies" in " ".join(doubled.problems())
    result.faults = result.survived = 0
    over = Outcome("x", result, [], tmp_path, 1, {"resent_after_kill": {"a": 1}})
    assert "more copies re-sent after a kill than kills" in " ".join(over.problems())
