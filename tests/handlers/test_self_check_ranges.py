"""Counts and amounts typed into the self-check: ASCII-digit sizes, amounts within a range."""

from __future__ import annotations

import pytest

from bot.app import App
from bot.core.i18n import Translator, format_vnd
from handlers.self_check import Prefilled
from handlers.self_check._payloads import MAX_INCOME
from handlers.self_check._steps import (
    INCOME_MODES,
    MAX_MEMBERS,
    MIN_MEMBERS,
    SelfCheckData,
    in_income_range,
    income_range,
    parse_size,
)
from knowledge.money import MAX_MONTHLY_INCOME
from storage.sessions import Session
from tests.handlers.test_self_check import answer_facts, choose_area
from tests.harness import Chat

VI = Translator("vi")
BAD_SIZE = VI("self_check.bad_size", low=MIN_MEMBERS, high=MAX_MEMBERS)


async def session_of(app: App, chat: Chat) -> Session:
    """The chat's stored session."""
    return await app.services.sessions.load(chat.channel, chat.user_id, now=app.services.clock())


@pytest.mark.parametrize(
    "typed", ["²", "①", "٤", "４", "4²", "0", "31", "9" * 5000, "1" + "0" * 5000 + " người"]
)
def test_sizes_that_are_not_ascii_digits_1_to_30_are_none(typed: str) -> None:
    """Superscript, circled, Arabic-Indic or full-width digits, 0, 31 and huge runs give None."""
    assert parse_size(typed) is None


def test_sizes_in_ascii_digits_are_read() -> None:
    """Sizes such as 1, "30 người" and "4 nguoi" are read; the range is the shared 1–30."""
    assert [parse_size(t) for t in ("1", "30 người", "4 nguoi")] == [1, 30, 4]
    assert (MIN_MEMBERS, MAX_MEMBERS) == (1, 30)


def test_income_ranges_per_mode() -> None:
    """A month takes 0–10 tỷ đồng (household or person), a year twelve times as much."""
    assert income_range("hm") == (0, MAX_MONTHLY_INCOME)
    assert income_range("pm") == (0, MAX_MONTHLY_INCOME)
    assert income_range("hy") == (0, 12 * MAX_MONTHLY_INCOME)
    assert max(income_range(mode)[1] for mode in INCOME_MODES) == MAX_INCOME
    assert in_income_range("hm", MAX_MONTHLY_INCOME)
    assert not in_income_range("hm", MAX_MONTHLY_INCOME + 1)
    assert in_income_range("hy", 12 * MAX_MONTHLY_INCOME)
    assert not in_income_range("hy", 10**23)


async def test_superscript_and_circled_sizes_keep_the_size_question(
    app: App, resident: Chat
) -> None:
    """Superscript, circled, Arabic-Indic or 1,500 digits as size: range named, nothing lost."""
    await resident.press("menu:self_check")
    await choose_area(resident, "rural")
    for bad in ("²", "①", "٤", "9" * 1500):
        replies = await resident.send(bad)
        assert replies[0].text == BAD_SIZE
        assert (await session_of(app, resident)).step == "size"
    assert SelfCheckData.load((await session_of(app, resident)).data).area == "rural"
    await resident.send("30")
    assert SelfCheckData.load((await session_of(app, resident)).data).size == 30


async def test_huge_income_is_refused_at_the_income_step(app: App, resident: Chat) -> None:
    """10²³ đồng is refused at the income step; full-width digits are still read."""
    await resident.press("menu:self_check")
    await choose_area(resident, "rural")
    await resident.send("4")
    await answer_facts(resident)
    await resident.press("sc:mode:hm")
    replies = await resident.send("100000000000000000000000")
    assert replies[0].text == VI(
        "self_check.money.out_of_range", low="0 ₫", high="10.000.000.000 ₫"
    )
    assert (await session_of(app, resident)).step == "income"
    await resident.send("６ triệu")
    assert "6.000.000 ₫ mỗi tháng (cả hộ) — đúng không?" in resident.last.text
    assert (await session_of(app, resident)).step == "income_confirm"


def test_prefilled_payload_over_the_ceiling_unpacks_to_none() -> None:
    """A prefilled self-check carrying more than the largest income, or 31 people, is refused."""
    assert Prefilled.unpack(f"scp:4:{MAX_INCOME}:hy") == Prefilled(4, MAX_INCOME, "hy")
    assert Prefilled.unpack(f"scp:4:{MAX_INCOME + 1}:hy") is None
    assert Prefilled.unpack("scp:31:6000000:hm") is None
    assert Prefilled.unpack("scp:４:6000000:hm") is None


@pytest.mark.parametrize("language", ["vi", "en"])
def test_the_range_message_names_both_bounds(language: str) -> None:
    """The out-of-range message (for the income step) names the lowest and highest amount."""
    t = Translator(language)
    low, high = (format_vnd(bound) for bound in income_range("hm"))
    text = t("self_check.money.out_of_range", low=low, high=high)
    assert t.has("self_check.money.out_of_range")
    assert "0 ₫" in text and "10.000.000.000 ₫" in text
