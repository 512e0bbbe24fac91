"""storage.bank: receiving accounts and imported statements, append-only and idempotent."""

from __future__ import annotations

import sqlite3
from datetime import date

import pytest

from storage.bank import BankStore, ImportOutcome, LineIn
from storage.ledger import Campaign, NewEntry
from tests.storage.conftest import NOW, WARD, Backend


async def campaign(backend: Backend) -> Campaign:
    """A campaign of the demo ward."""
    return await backend.ledger.create_campaign(
        ward_id=WARD.id,
        name="Đợt thử",
        target=10_000_000,
        starts_on=date(2026, 1, 1),
        ends_on=date(2026, 12, 31),
        created_by=None,
        now=NOW,
    )


def lines(count: int, start: int = 0) -> list[LineIn]:
    """Credit lines FT<n> of 1.000 ₫ and more."""
    return [
        LineIn(f"FT{n}", date(2026, 11, 20), 1_000 + n, f"GN1 NGUOI {n}")
        for n in range(start, start + count)
    ]


async def test_account_reference_and_key(backend: Backend) -> None:
    """The first account gives the reference GN<id>; a reused key adds no row and no audit."""
    bank = BankStore(backend.db)
    made = await campaign(backend)
    first = await bank.set_account(
        made.id, bin_code="970436", number="001", name="A", actor=None, now=NOW, key="k1"
    )
    again = await bank.set_account(
        made.id, bin_code="970436", number="001", name="A", actor=None, now=NOW, key="k1"
    )
    newer = await bank.set_account(
        made.id, bin_code="970415", number="002", name="B", actor=None, now=NOW, key="k2"
    )
    assert first.reference == again.reference == newer.reference == f"GN{made.id}"
    assert (await bank.account(made.id)) == newer
    assert await bank.references() == {f"GN{made.id}": made.id}
    rows = await backend.db.fetchall("SELECT COUNT(*) FROM donation_bank_accounts")
    assert rows[0][0] == 2
    audit = await backend.audit.recent(action_prefix="donations.bank.account_set")
    assert len(audit) == 2


async def test_same_statement_twice_adds_nothing(backend: Backend) -> None:
    """A file hash and bank references already stored are skipped: the second import is empty."""
    bank = BankStore(backend.db)
    made = await campaign(backend)
    seen: list[tuple[int, int]] = []

    def progress(done: int, total: int) -> None:
        seen.append((done, total))

    async def imported(name: str, batch: list[LineIn]) -> ImportOutcome:
        return await bank.import_lines(
            file_hash=name, campaign_id=made.id, ward_id=WARD.id, filename=f"{name}.csv",
            lines=batch, actor=None, now=NOW, progress=progress,
        )  # fmt: skip

    first = await imported("h1", lines(1_200))
    second = await imported("h1", lines(1_200))
    overlap = await imported("h2", lines(10, start=1_195))
    assert (first.new_statement, first.new_lines) == (True, 1_200)
    assert (second.statement_id, second.new_statement, second.new_lines) == (
        first.statement_id,
        False,
        0,
    )
    assert overlap.new_lines == 5
    assert seen[:3] == [(500, 1_200), (1_000, 1_200), (1_200, 1_200)]
    stored = await bank.lines_by_refs(["FT1199", "FT1204", "FT9"])
    assert [(line.bank_ref, line.statement_id) for line in stored] == [
        ("FT1199", first.statement_id),
        ("FT1204", overlap.statement_id),
        ("FT9", first.statement_id),
    ]
    audit = await backend.audit.recent(action_prefix="donations.bank.statement_imported")
    assert len(audit) == 2


async def test_recorded_finds_gifts_by_reference_any_case(backend: Backend) -> None:
    """A gift typed with "ft7 " as its reference is found for the bank reference FT7."""
    bank = BankStore(backend.db)
    made = await campaign(backend)
    await backend.ledger.append(
        NewEntry(
            campaign_id=made.id,
            ward_id=WARD.id,
            donor_type="person",
            donor_name="",
            public=False,
            amount=5_000,
            method="transfer",
            donated_on=date(2026, 11, 20),
            recorded_by=None,
            reference="ft7 ",
        ),
        now=NOW,
    )
    found = await bank.recorded(["FT7", "FT8"])
    assert list(found) == ["FT7"]
    assert found["FT7"].idempotency_key is None


async def test_tables_are_append_only(backend: Backend) -> None:
    """UPDATE and DELETE on the accounts and statement lines are refused by triggers."""
    bank = BankStore(backend.db)
    made = await campaign(backend)
    await bank.set_account(made.id, bin_code="970436", number="1", name="A", actor=None, now=NOW)
    await bank.import_lines(
        file_hash="h", campaign_id=made.id, ward_id=WARD.id, filename="", lines=lines(2),
        actor=None, now=NOW,
    )  # fmt: skip
    for sql in (
        "UPDATE donation_bank_accounts SET number = '2'",
        "DELETE FROM donation_bank_accounts",
        "UPDATE donation_transfer_refs SET reference = 'GN99'",
        "UPDATE donation_statement_lines SET amount = 1",
        "DELETE FROM donation_statement_lines",
        "DELETE FROM donation_statements",
    ):
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            await backend.db.execute(sql)
