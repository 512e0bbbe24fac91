"""Money out (phiếu chi): append-only, gapless vouchers, balance checks, on every backend."""

from __future__ import annotations

import asyncio
import sqlite3
from dataclasses import replace
from datetime import date

import pytest

from storage.interfaces import LedgerStore
from storage.ledger import LedgerError, NewDisbursement
from tests.storage.conftest import NOW, OTHER_WARD, WARD, Backend
from tests.storage.test_contract_ledger import campaign, gift


def payment(
    campaign_id: int | None,
    amount: int,
    *,
    key: str | None = None,
    day: date = date(2026, 11, 30),
    ward: str = WARD.id,
) -> NewDisbursement:
    """A cash payment for a house repair, approved by a decision."""
    return NewDisbursement(
        ward_id=ward,
        fund="vnn",
        campaign_id=campaign_id,
        purpose="housing",
        amount=amount,
        method="cash",
        paid_on=day,
        decision_number="12/QĐ-MTTQ",
        decision_date=date(2026, 11, 20),
        recorded_by=None,
        household_code="HN-048-0012",
        idempotency_key=key,
    )


async def funded(backend: Backend, amount: int = 1_000_000) -> int:
    """A campaign of the demo ward with one gift of `amount` on 30/11/2026."""
    cid = await campaign(backend)
    await backend.ledger.append(gift(cid, amount), now=NOW)
    return cid


async def test_vouchers_are_gapless_and_a_refused_one_takes_no_number(backend: Backend) -> None:
    """C000001, C000002, C000003 even with a refused payment between them; audited."""
    ledger = backend.ledger
    assert isinstance(ledger, LedgerStore)
    cid = await funded(backend)
    first = await ledger.disburse(payment(cid, 100_000), now=NOW)
    with pytest.raises(LedgerError) as refused:
        await ledger.disburse(payment(cid, 5_000_000), now=NOW)
    assert refused.value.code == "balance"
    second = await ledger.disburse(payment(cid, 200_000), now=NOW)
    reversal = await ledger.reverse_disbursement(
        first.id, reason="chi nhầm hộ", recorded_by=None, now=NOW
    )
    assert [first.voucher, second.voucher, reversal.voucher] == [
        "VNN-HC-2026-C000001",
        "VNN-HC-2026-C000002",
        "VNN-HC-2026-C000003",
    ]
    assert await ledger.by_voucher("vnn-hc-2026-c000002") == second
    actions = [e.action for e in await backend.audit.recent(action_prefix="donations.dis")]
    assert actions == [
        "donations.disbursement_reversed",
        "donations.disbursed",
        "donations.disbursed",
    ]


async def test_the_table_refuses_update_and_delete(backend: Backend) -> None:
    """Triggers abort any UPDATE or DELETE of a disbursement: corrections are reversals."""
    cid = await funded(backend)
    made = await backend.ledger.disburse(payment(cid, 100_000), now=NOW)
    for sql in (
        "UPDATE donation_disbursements SET amount = 1 WHERE id = ?",
        "DELETE FROM donation_disbursements WHERE id = ?",
    ):
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            await backend.db.execute(sql, (made.id,))
    assert await backend.ledger.disbursement(made.id) == made


async def test_the_balance_is_exact_and_checked_at_every_later_date(backend: Backend) -> None:
    """Gifts − payments to the đồng; a backdated payment may not overdraw a later balance."""
    ledger = backend.ledger
    cid = await funded(backend, 1_000_001)
    await ledger.disburse(payment(cid, 600_000, day=date(2026, 12, 1)), now=NOW)
    balance = await ledger.balance(ward_id=WARD.id, campaign_id=cid)
    assert (balance.gifts, balance.spent, balance.available) == (1_000_001, 600_000, 400_001)
    before = await ledger.balance(ward_id=WARD.id, campaign_id=cid, on=date(2026, 11, 30))
    assert before.available == 1_000_001
    with pytest.raises(LedgerError) as late:
        await ledger.disburse(payment(cid, 500_000, day=date(2026, 11, 30)), now=NOW)
    assert late.value.code == "balance"
    with pytest.raises(LedgerError) as early:
        await ledger.disburse(payment(cid, 1_000, day=date(2026, 11, 29)), now=NOW)
    assert early.value.code == "balance"
    exact = await ledger.disburse(payment(cid, 400_001), now=NOW)
    assert (await ledger.balance(ward_id=WARD.id)).available == 0
    await ledger.reverse_disbursement(exact.id, reason="trả lại", recorded_by=None, now=NOW)
    assert (await ledger.balance(ward_id=WARD.id, fund="vnn")).available == 400_001


async def test_concurrent_payments_never_overdraw(backend: Backend) -> None:
    """Two payments of 700.000 ₫ from 1.000.000 ₫ at once: one lands, one is refused."""
    ledger = backend.ledger
    cid = await funded(backend)
    results = await asyncio.gather(
        ledger.disburse(payment(cid, 700_000), now=NOW),
        ledger.disburse(payment(cid, 700_000), now=NOW),
        return_exceptions=True,
    )
    codes = sorted(r.code if isinstance(r, LedgerError) else "ok" for r in results)
    assert codes == ["balance", "ok"]
    assert (await ledger.balance(ward_id=WARD.id, campaign_id=cid)).available == 300_000


async def test_a_fund_wide_payment_limits_the_campaigns_too(backend: Backend) -> None:
    """Money paid from the fund as a whole is not paid again from a campaign."""
    ledger = backend.ledger
    cid = await funded(backend)
    await ledger.disburse(payment(None, 800_000), now=NOW)
    with pytest.raises(LedgerError) as refused:
        await ledger.disburse(payment(cid, 300_000), now=NOW)
    assert refused.value.code == "balance"
    assert (await ledger.disbursements(ward_id=WARD.id))[0].campaign_id is None
    assert await ledger.disbursements(campaign_id=cid) == []


async def test_a_double_tap_records_one(backend: Backend) -> None:
    """The same idempotency key twice returns the same payment: one row, one voucher."""
    ledger = backend.ledger
    cid = await funded(backend)
    one, two = await asyncio.gather(
        ledger.disburse(payment(cid, 100_000, key="k"), now=NOW),
        ledger.disburse(payment(cid, 100_000, key="k"), now=NOW),
    )
    assert one == two
    assert len(await ledger.disbursements(ward_id=WARD.id)) == 1


async def test_wrong_ward_beneficiary_decision_and_reversals_are_refused(
    backend: Backend,
) -> None:
    """Other ward, no beneficiary, no decision, a reversal reversed or twice: refused."""
    ledger = backend.ledger
    cid = await funded(backend)
    made = await ledger.disburse(payment(cid, 100_000), now=NOW)
    cases = {
        "ward": payment(cid, 1_000, ward=OTHER_WARD.id),
        "beneficiary": replace(payment(cid, 1_000), household_code=""),
        "decision": replace(payment(cid, 1_000), decision_number=" "),
        "kind": replace(payment(cid, 1_000), purpose="party"),
    }
    for code, new in cases.items():
        with pytest.raises(LedgerError) as refused:
            await ledger.disburse(new, now=NOW)
        assert refused.value.code == code
    reversal = await ledger.reverse_disbursement(made.id, reason="x", recorded_by=None, now=NOW)
    for target, code in ((made.id, "already_reversed"), (reversal.id, "not_found")):
        with pytest.raises(LedgerError) as again:
            await ledger.reverse_disbursement(target, reason="y", recorded_by=None, now=NOW)
        assert again.value.code == code
    assert await ledger.disbursement_reversal_of(made.id) == reversal


async def test_the_public_label_shows_a_name_only_with_consent(backend: Backend) -> None:
    """A consenting household's name is its label; without consent the label is empty."""
    ledger = backend.ledger
    cid = await funded(backend)
    named = replace(payment(cid, 1_000), beneficiary_name="Bà Nguyễn Thị Lan", name_public=True)
    hidden = replace(payment(cid, 1_000), beneficiary_name="Ông Trần Văn Bình")
    shown = await ledger.disburse(named, now=NOW)
    kept = await ledger.disburse(hidden, now=NOW)
    assert (shown.beneficiary_label, kept.beneficiary_label) == ("Bà Nguyễn Thị Lan", "")
    listed = await ledger.disbursements(ward_id=WARD.id, start=date(2026, 11, 30))
    assert [d.beneficiary_label for d in listed] == ["Bà Nguyễn Thị Lan", ""]
    assert kept.beneficiary_name == "Ông Trần Văn Bình"


async def test_an_in_kind_gift_keeps_its_goods(backend: Backend) -> None:
    """Goods and quantity of a gift in kind are stored and read back."""
    cid = await campaign(backend)
    entry = await backend.ledger.append(
        replace(gift(cid, 5_000_000), method="in_kind", goods="Gạo ST25", quantity="20 bao"),
        now=NOW,
    )
    stored = await backend.ledger.entry(entry.id)
    assert stored is not None and (stored.goods, stored.quantity) == ("Gạo ST25", "20 bao")


async def test_a_gift_already_paid_out_cannot_be_reversed(backend: Backend) -> None:
    """Reversing a gift whose money was disbursed is refused until the payment is reversed."""
    ledger = backend.ledger
    cid = await campaign(backend)
    entry = await ledger.append(gift(cid, 1_000_000), now=NOW)
    paid = await ledger.disburse(payment(cid, 600_000), now=NOW)
    with pytest.raises(LedgerError) as refused:
        await ledger.reverse(entry.id, reason="ghi nhầm", recorded_by=None, now=NOW)
    assert refused.value.code == "balance"
    await ledger.reverse_disbursement(paid.id, reason="chi nhầm", recorded_by=None, now=NOW)
    await ledger.reverse(entry.id, reason="ghi nhầm", recorded_by=None, now=NOW)
    assert (await ledger.balance(ward_id=WARD.id, campaign_id=cid)).available == 0
