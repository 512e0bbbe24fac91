"""Contract: campaigns and the append-only ledger, on every backend."""

from __future__ import annotations

import asyncio
from datetime import date

import pytest

from storage.interfaces import LedgerStore
from storage.ledger import LedgerError, NewEntry
from tests.storage.conftest import NOW, OTHER_WARD, WARD, Backend


def gift(campaign_id: int, amount: int, *, key: str | None = None, ward: str = WARD.id) -> NewEntry:
    """A cash gift."""
    return NewEntry(
        campaign_id=campaign_id,
        ward_id=ward,
        donor_type="person",
        donor_name="Bà Lan",
        public=True,
        amount=amount,
        method="cash",
        donated_on=date(2026, 11, 30),
        recorded_by=None,
        idempotency_key=key,
    )


async def campaign(backend: Backend) -> int:
    """A campaign of the demo ward for 2026."""
    made = await backend.ledger.create_campaign(
        ward_id=WARD.id,
        name="Tháng cao điểm 2026",
        target=50_000_000,
        starts_on=date(2026, 10, 17),
        ends_on=date(2026, 12, 31),
        created_by=None,
        now=NOW,
    )
    return made.id


async def test_gifts_get_receipts_in_sequence_and_totals_add_up(backend: Backend) -> None:
    """Receipts VNN-HC-2026-000001…; totals and summary come from the entries; audited."""
    ledger = backend.ledger
    assert isinstance(ledger, LedgerStore)
    cid = await campaign(backend)
    first = await ledger.append(gift(cid, 100_000), now=NOW)
    second = await ledger.append(gift(cid, 250_000), now=NOW)
    assert [first.receipt, second.receipt] == ["VNN-HC-2026-000001", "VNN-HC-2026-000002"]
    assert await ledger.by_receipt("vnn-hc-2026-000002") == second
    assert await ledger.entry(first.id) == first
    assert await ledger.total(cid) == 350_000
    summary = await ledger.summary(cid)
    assert (summary.raised, summary.gifts, summary.by_method) == (350_000, 2, {"cash": 350_000})
    assert await ledger.public_donors(cid) == ["Bà Lan"]
    actions = [e.action for e in await backend.audit.recent(action_prefix="donations.")]
    assert actions == ["donations.recorded", "donations.recorded", "donations.campaign_created"]


async def test_an_idempotency_key_records_once(backend: Backend) -> None:
    """The same key twice (a retried tap) returns the first entry; one row, one total."""
    ledger = backend.ledger
    cid = await campaign(backend)
    one, two = await asyncio.gather(
        ledger.append(gift(cid, 500_000, key="k1"), now=NOW),
        ledger.append(gift(cid, 500_000, key="k1"), now=NOW),
    )
    assert one == two
    assert len(await ledger.entries(campaign_id=cid)) == 1


async def test_a_reversal_subtracts_once_and_hides_the_donor(backend: Backend) -> None:
    """One reversal per gift, naming it; a second is refused; the gift leaves the count."""
    ledger = backend.ledger
    cid = await campaign(backend)
    entry = await ledger.append(gift(cid, 300_000), now=NOW)
    reversal = await ledger.reverse(entry.id, reason="ghi nhầm", recorded_by=None, now=NOW)
    assert (reversal.kind, reversal.amount, reversal.reverses_id) == (
        "reversal",
        -300_000,
        entry.id,
    )
    assert await ledger.reversal_of(entry.id) == reversal
    with pytest.raises(LedgerError) as again:
        await ledger.reverse(entry.id, reason="lần nữa", recorded_by=None, now=NOW)
    assert again.value.code == "already_reversed"
    assert await ledger.total(cid) == 0
    assert (await ledger.summary(cid)).gifts == 0
    assert await ledger.public_donors(cid) == []


async def test_bad_entries_fail_alone(backend: Backend) -> None:
    """Among concurrent appends, a wrong ward or amount is refused and the rest land."""
    ledger = backend.ledger
    cid = await campaign(backend)
    results = await asyncio.gather(
        ledger.append(gift(cid, 10_000), now=NOW),
        ledger.append(gift(cid, 20_000, ward=OTHER_WARD.id), now=NOW),
        ledger.append(gift(cid + 99, 30_000), now=NOW),
        ledger.append(gift(cid, 40_000), now=NOW),
        return_exceptions=True,
    )
    assert [r.code if isinstance(r, LedgerError) else "ok" for r in results] == [
        "ok",
        "ward",
        "not_found",
        "ok",
    ]
    with pytest.raises(LedgerError):
        await ledger.append(gift(cid, 1), now=NOW)
    assert await ledger.total(cid) == 50_000


async def test_campaigns_of_a_ward_include_its_provinces(backend: Backend) -> None:
    """A province-wide campaign counts for the province's wards, not for other provinces."""
    ledger = backend.ledger
    own = await campaign(backend)
    province = await ledger.create_campaign(
        ward_id=None,
        name="Toàn thành phố",
        target=1_000_000_000,
        starts_on=date(2026, 11, 1),
        ends_on=date(2026, 11, 30),
        created_by=None,
        now=NOW,
        province_code=WARD.province_code,
    )
    assert [c.id for c in await ledger.campaigns(ward_id=WARD.id)] == [own, province.id]
    assert await ledger.campaigns(ward_id=OTHER_WARD.id) == []
    assert len(await ledger.campaigns(all_wards=True)) == 2
    assert [c.id for c in await ledger.open_campaigns(ward_id=WARD.id, day=date(2026, 12, 5))] == [
        own
    ]
    assert await ledger.campaign(province.id) == province
    with pytest.raises(LedgerError):
        await ledger.create_campaign(
            ward_id=WARD.id,
            name="x",
            target=10,
            starts_on=date(2026, 1, 1),
            ends_on=date(2026, 1, 2),
            created_by=None,
            now=NOW,
        )
