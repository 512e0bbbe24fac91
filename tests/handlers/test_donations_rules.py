"""The fund's field rules shared by the chat's steps and the web desk's forms."""

from __future__ import annotations

from datetime import date

from bot.app import App
from bot.core.i18n import Translator
from handlers.donations.rules import (
    Beneficiary,
    Problem,
    check_amount,
    check_decision,
    check_decision_day,
    check_gift_day,
    check_paid_day,
    resolve_code,
)
from storage.ledger import Ledger
from storage.registrations import RegistrationRepository
from tests.handlers.test_donations_disburse import registration

TODAY = date(2026, 12, 1)


def test_an_amount_is_read_or_refused_with_the_range() -> None:
    """A typed amount is read in đồng; out of range says the range in the reader's language."""
    assert check_amount("5 triệu") == (5_000_000, None)
    amount, problem = check_amount("500 đồng")
    assert amount == 0 and problem is not None
    assert problem.text(Translator("vi")) == Translator("vi")(
        "donations.amount_range", low="1.000 ₫", high="100.000.000.000 ₫"
    )
    assert check_amount("abc")[1] == Problem("donations.amount_bad")


async def test_a_gift_date_is_within_the_campaign(app: App) -> None:
    """A gift may not be dated in the future nor before its campaign began."""
    campaign = (await Ledger(app.db).campaigns(ward_id="20257"))[0]
    assert check_gift_day(TODAY, TODAY, campaign) is None
    assert check_gift_day(date(2026, 12, 2), TODAY, campaign) == Problem("donations.date_future")
    early = check_gift_day(date(2000, 1, 1), TODAY, campaign)
    assert early is not None and early.key == "donations.date_before_start"
    assert campaign.starts_on.strftime("%d/%m/%Y") in early.text(Translator("vi"))


def test_a_payment_and_its_decision_are_dated_in_order() -> None:
    """A payment is not in the future; its decision comes on or before it, and has a digit."""
    assert check_paid_day(TODAY, TODAY) is None
    assert check_paid_day(date(2026, 12, 2), TODAY) == Problem("donations.date_future")
    after = check_decision_day(TODAY, date(2026, 11, 30))
    assert after is not None and "30/11/2026" in after.text(Translator("vi"))
    assert check_decision_day(date(2026, 11, 30), TODAY) is None
    assert check_decision("15/QĐ-BVĐ") is None
    assert check_decision("không số") == Problem("donations.disburse.decision_bad")


async def test_a_code_names_a_registration_of_the_ward_or_a_household(app: App) -> None:
    """A TN code is the ward's registration (not another's); a household code is linked to it."""
    repo = RegistrationRepository(app.db)
    code = await registration(app, "20257", household="HN-048-0099")
    found = await resolve_code(repo, "20257", code)
    assert isinstance(found, Beneficiary) and found.registration_code == code
    missing = await resolve_code(repo, "00004", code)
    assert missing == Problem("donations.disburse.registration_missing")
    linked = await resolve_code(repo, "20257", "hn-048-0099")
    assert linked == Beneficiary(found.registration_id, code, "HN-048-0099")
    assert await resolve_code(repo, "20257", "HN-1") == Beneficiary(household="HN-1")
    bad = await resolve_code(repo, "20257", "không có mã")
    assert bad == Problem("donations.disburse.beneficiary_bad")
