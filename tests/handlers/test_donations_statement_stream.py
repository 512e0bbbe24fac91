"""The statement's streamed read: one snapshot, private rows, a stable checksum, all formats."""

from __future__ import annotations

import io
import json
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook
from pypdf import PdfReader

from bot.core.i18n import Translator
from handlers.donations._statement import make_statement, render, verify_bytes
from handlers.donations._statement_data import Line, State, Statement, checksum_of
from storage.db import Database, SqliteDatabase
from storage.ledger import (
    Ledger,
    NewDisbursement,
    NewEntry,
    PeriodFigures,
    StatementGift,
    StatementOut,
)
from storage.users import UserRepository

ROOT = Path(__file__).resolve().parents[2]
WARD = "20257"
NOW = datetime(2026, 11, 21, 3, 0, tzinfo=UTC)  # 10:00 in Vietnam
HIDDEN = ("Trần Thị Kín Tên", "Hộ bà Lê Thị Hoa")  # no consent to be named


async def made_ledger(path: Path | str, *, extra: int = 0) -> Database:
    """A campaign with named, anonymous, in-kind and reversed gifts and disbursements."""
    db = SqliteDatabase(path)
    await db.open()
    await db.migrate()
    await db.execute("INSERT INTO wards (id, name) VALUES (?, ?)", (WARD, "Phường Hòa Cường"))
    ledger = Ledger(db)
    campaign = await ledger.create_campaign(
        ward_id=WARD,
        name="Tết vì người nghèo 2027",
        target=500_000_000,
        starts_on=date(2026, 1, 1),
        ends_on=date(2026, 12, 31),
        created_by=None,
        now=NOW,
    )
    donors = [
        ("person", 'Nguyễn "Bé" \\ An', True, "cash", "", ""),
        ("business", "Công ty TNHH Hòa Cường", True, "transfer", "", ""),
        ("person", HIDDEN[0], False, "cash", "", ""),
        ("organisation", "Hợp tác xã Hòa Cường", True, "in_kind", "Gạo tẻ", "20 bao 10 kg"),
        ("salary", "", False, "transfer", "", ""),
    ]
    gifts = []
    for n in range(40):
        kind, name, public, method, goods, quantity = donors[n % len(donors)]
        gift = NewEntry(
            campaign_id=campaign.id,
            ward_id=WARD,
            donor_type=kind,
            donor_name=name,
            public=public,
            amount=1_000_000 + n * 10_000,
            method=method,
            donated_on=date(2026, 1 + n % 12, 1 + n % 27),
            recorded_by=None,
            goods=goods,
            quantity=quantity,
        )
        gifts.append(await ledger.append(gift, now=NOW))
    await ledger.reverse(gifts[7].id, reason="ghi nhầm", recorded_by=None, now=NOW)
    outs = []
    for n, (name, public) in enumerate([(HIDDEN[1], False), ("Hộ ông Trần Văn Bình", True)] * 3):
        out = NewDisbursement(
            ward_id=WARD,
            fund="vnn",
            campaign_id=campaign.id,
            purpose=("housing", "schooling", "hospital")[n % 3],
            amount=2_000_000,
            method="transfer",
            paid_on=date(2026, 12, 1),
            decision_number="15/QĐ-MTTQ",
            decision_date=date(2026, 11, 30),
            recorded_by=None,
            beneficiary_name=name,
            name_public=public,
        )
        outs.append(await ledger.disburse(out, now=NOW))
    await ledger.reverse_disbursement(outs[1].id, reason="trả lại", recorded_by=None, now=NOW)
    if extra:
        await db.executemany(
            "INSERT INTO donation_entries (campaign_id, ward_id, year, seq, receipt, donor_type,"
            " amount, method, donated_on, recorded_at) VALUES (?, ?, 2026, ?, ?, 'person', ?,"
            " 'cash', ?, ?)",
            [
                (
                    campaign.id,
                    WARD,
                    1000 + n,
                    f"VNN-HC-2026-{1000 + n:06d}",
                    50_000 + n,
                    date(2026, 1 + n % 11, 1 + n % 28).isoformat(),
                    NOW.isoformat(),
                )
                for n in range(extra)
            ],
        )
    return db


async def statement_of(
    db: Database, *, start: date | None = None, end: date | None = None, language: str = "vi"
) -> Statement:
    """The made campaign's statement."""
    ledger = Ledger(db)
    campaign = await ledger.campaign(1)
    assert campaign is not None
    return await make_statement(
        ledger,
        UserRepository(db),
        Translator(language),
        campaign=campaign,
        start=start,
        end=end,
        now=NOW,
    )


Rows = tuple[PeriodFigures, list[StatementGift], list[StatementOut]]


def collect(
    figures: PeriodFigures, gifts: Iterator[StatementGift], outs: Iterator[StatementOut]
) -> Rows:
    """Everything `read_period` hands over, as lists."""
    return figures, list(gifts), list(outs)


def test_checksum_of_known_lines_is_pinned() -> None:
    """The checksum of fixed lines is the one the code before the streamed read gave."""
    state = State(
        campaign_id=7,
        start=date(2026, 10, 1),
        end=None,
        language="vi",
        opening=5_000_000,
        closing=3_000_000,
        gifts=2,
        last_gift=41,
        outs=1,
        last_out=9,
    )
    ward = "Phường Hòa Cường"
    lines = [
        Line(
            "VNN-HC-2026-000041",
            date(2026, 10, 2),
            "Ủng hộ",
            'Nguyễn "Bé" \\ An',
            "Cá nhân",
            ward,
            "Hiện vật",
            "Gạo tẻ",
            "20 bao 10 kg",
            6_000_000,
            0,
            "",
        ),
        Line(
            "VNN-HC-2026-000042",
            date(2026, 10, 3),
            "Đảo thu",
            "Nhà hảo tâm",
            "Cá nhân",
            ward,
            "Tiền mặt",
            "",
            "",
            -6_000_000,
            0,
            "Đảo bút toán VNN-HC-2026-000041 — \u2028 tab\t",
        ),
        Line(
            "VNN-HC-2026-C000009",
            date(2026, 10, 4),
            "Chi",
            "Hộ được hỗ trợ (không nêu tên)",
            "Xây, sửa nhà ở",
            ward,
            "Chuyển khoản",
            "",
            "",
            0,
            2_000_000,
            "QĐ số 15/QĐ-MTTQ ngày 30/09/2026 😀",
        ),
    ]
    expected = "04e7b4452b3195b3cf67f07678bcacf697b544d6005d79d3e248af14cc85f338"
    assert checksum_of(state, lines) == expected


@settings(max_examples=200, deadline=None)
@given(
    texts=st.lists(st.text(), min_size=9, max_size=9),
    money=st.tuples(st.integers(-(10**12), 10**12), st.integers(-(10**12), 10**12)),
    day=st.dates(),
)
def test_canonical_line_is_compact_json(
    texts: list[str], money: tuple[int, int], day: date
) -> None:
    """A line's canonical text is exactly the compact JSON array of its twelve cells."""
    number, kind, party, category, ward, method, goods, quantity, note = texts
    line = Line(number, day, kind, party, category, ward, method, goods, quantity, *money, note)
    cells = [number, day.isoformat(), *texts[1:8], *money, note]
    assert line.canonical() == json.dumps(cells, ensure_ascii=False, separators=(",", ":"))


async def test_read_period_streams_lean_private_rows_that_add_up(tmp_path: Path) -> None:
    """Rows come ordered by day, names only with consent, and the figures are their sums."""
    db = await made_ledger(tmp_path / "l.sqlite3")
    try:
        figures, gifts, outs = await Ledger(db).read_period(1, date(2026, 3, 1), None, collect)
        before = await Ledger(db).balance(ward_id=WARD, campaign_id=1, on=date(2026, 2, 28))
    finally:
        await db.close()
    assert figures.opening == before.available
    assert (figures.gifts, figures.money_in) == (len(gifts), sum(row[7] for row in gifts))
    assert figures.last_gift == max(row[0] for row in gifts)
    signed = [-abs(row[7]) if row[3] == "reversal" else abs(row[7]) for row in outs]
    assert (figures.outs, figures.money_out) == (7, 5 * 2_000_000)
    assert sum(signed) == figures.money_out
    assert [(row[9], row[0]) for row in gifts] == sorted((row[9], row[0]) for row in gifts)
    assert min(row[9] for row in gifts) >= "2026-03-01"
    shown = repr((gifts, outs))
    assert not any(name in shown for name in HIDDEN)
    assert "Hộ ông Trần Văn Bình" in shown
    reversal = next(row for row in gifts if row[3] == "reversal")
    assert reversal[4] == "VNN-HC-2026-000008"  # the reversed gift's receipt
    undone = next(row for row in outs if row[3] == "reversal")
    assert undone[4] is not None and undone[4].endswith("C000002")


async def test_read_period_sees_one_snapshot(tmp_path: Path) -> None:
    """A gift committed while the rows stream is not among them; the next read has it."""
    path = tmp_path / "s.sqlite3"
    db = await made_ledger(path)

    def write_midway(
        figures: PeriodFigures, gifts: Iterator[StatementGift], outs: Iterator[StatementOut]
    ) -> Rows:
        first = next(gifts)
        other = sqlite3.connect(path, isolation_level=None)
        try:
            other.execute(
                "INSERT INTO donation_entries (campaign_id, ward_id, year, seq, receipt,"
                " donor_type, amount, method, donated_on, recorded_at) VALUES (1, ?, 2026,"
                " 999, 'VNN-HC-2026-000999', 'person', 7000000, 'cash', '2026-12-31', ?)",
                (WARD, NOW.isoformat()),
            )
        finally:
            other.close()
        return figures, [first, *gifts], list(outs)

    try:
        figures, gifts, _ = await Ledger(db).read_period(1, None, None, write_midway)
        again, later, _ = await Ledger(db).read_period(1, None, None, collect)
    finally:
        await db.close()
    assert len(gifts) == figures.gifts == 41
    assert all(row[1] != "VNN-HC-2026-000999" for row in gifts)
    assert again.gifts == 42
    assert later[-1][1] == "VNN-HC-2026-000999"


async def test_statement_the_same_from_a_file_and_from_memory(tmp_path: Path) -> None:
    """The in-memory database (read in a batch) gives the file's statement and checksum."""
    on_disk = await made_ledger(tmp_path / "f.sqlite3")
    in_memory = await made_ledger(":memory:")
    try:
        first = await statement_of(on_disk, start=date(2026, 4, 1))
        second = await statement_of(in_memory, start=date(2026, 4, 1))
    finally:
        await on_disk.close()
        await in_memory.close()
    assert first.lines == second.lines
    assert first.checksum == second.checksum
    assert first.checksum == checksum_of(first.state, first.lines)  # hashed as built = at once
    assert first.state.opening > 0
    assert not any(name in repr(first.lines) for name in HIDDEN)


async def test_every_format_of_a_many_page_statement_verifies(tmp_path: Path) -> None:
    """PDF (Vietnamese text in titles, heads, lines and footers), CSV and XLSX all verify."""
    db = await made_ledger(tmp_path / "m.sqlite3", extra=600)
    try:
        statement = await statement_of(db)
    finally:
        await db.close()
    t = Translator("vi")
    pdf = render(statement, t, "pdf")
    pages = [page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages]
    assert len(pages) > 5
    for number, text in enumerate(pages, start=1):
        assert f"Trang {number}" in text
        assert "Tết vì người nghèo 2027 · Toàn đợt vận động" in text
        assert "Số chứng từ" in text or number == len(pages)  # the column heads (a form)
        assert f"Mã kiểm tra (SHA-256): {statement.checksum}" in text  # the footer (a form)
    assert "SAO KÊ THU – CHI CÔNG KHAI" in pages[0]
    in_kind = "Hợp tác xã Hòa Cường¦ Tổ chức¦ Phường Hòa Cường¦ Hiện vật¦ Gạo tẻ¦ 20 bao 10 kg¦"
    assert in_kind in "\n".join(pages)
    assert "Số dư cuối kỳ" in pages[-1]
    for fmt, data in (("pdf", pdf), ("csv", render(statement, t, "csv"))):
        verdict = verify_bytes(data)
        assert verdict.intact, fmt
        assert verdict.lines == len(statement.lines) == 41 + 600 + 7
    xlsx = verify_bytes(render(statement, t, "xlsx"))
    assert xlsx.intact
    assert xlsx.printed == statement.checksum


async def test_xlsx_days_and_made_at_are_real_times_in_vietnam(tmp_path: Path) -> None:
    """XLSX days are dates (DD/MM/YYYY) and "made at" a time in Vietnam (HH:MM DD/MM/YYYY)."""
    db = await made_ledger(tmp_path / "x.sqlite3")
    try:
        statement = await statement_of(db)
    finally:
        await db.close()
    t = Translator("vi")
    sheet = load_workbook(io.BytesIO(render(statement, t, "xlsx"))).active
    assert sheet is not None
    made = next(row for row in sheet.iter_rows() if row[0].value == "Lập lúc (giờ Việt Nam)")
    assert made[1].value == datetime(2026, 11, 21, 10, 0)
    assert made[1].number_format == "HH:MM DD/MM/YYYY"
    line = next(row for row in sheet.iter_rows() if row[0].value == statement.gifts[0].number)
    assert line[1].value == datetime.combine(statement.gifts[0].day, datetime.min.time())
    assert line[1].number_format == "DD/MM/YYYY"
    csv_text = render(statement, t, "csv").decode("utf-8-sig")
    assert "Lập lúc (giờ Việt Nam),10:00 21/11/2026" in csv_text


def giamngheo(db: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run the real command on `db`."""
    return subprocess.run(
        [sys.executable, "-m", "bot", "--db", str(db), *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={"PATH": "/usr/bin:/bin", "HOME": str(db.parent)},
        timeout=120,
        check=False,
    )


@pytest.mark.slow
async def test_cli_verify_xlsx_and_csv_against_the_ledger(tmp_path: Path) -> None:
    """`verify` finds an XLSX and a CSV intact and matching; after a new gift, not matching."""
    path = tmp_path / "cli.sqlite3"
    db = await made_ledger(path)
    await db.close()
    files: dict[str, Path] = {}
    for fmt in ("xlsx", "csv"):
        files[fmt] = tmp_path / f"sao-ke.{fmt}"
        out = str(files[fmt])
        made = giamngheo(
            path, "donations", "statement", "--campaign", "1", "--format", fmt, "-o", out
        )
        assert made.returncode == 0, made.stderr
        checked = giamngheo(path, "donations", "verify", str(files[fmt]), "--db", str(path))
        assert checked.returncode == 0, checked.stdout + checked.stderr
        assert "NGUYÊN VẸN" in checked.stdout
        assert "KHỚP SỔ" in checked.stdout
        assert "in=41:41|out=7:7" in checked.stdout
    other = sqlite3.connect(path, isolation_level=None)
    try:
        other.execute(
            "INSERT INTO donation_entries (campaign_id, ward_id, year, seq, receipt, donor_type,"
            " amount, method, donated_on, recorded_at) VALUES (1, ?, 2026, 999,"
            " 'VNN-HC-2026-000999', 'person', 7000000, 'cash', '2026-11-30', ?)",
            (WARD, NOW.isoformat()),
        )
    finally:
        other.close()
    for fmt in ("xlsx", "csv"):
        changed = giamngheo(path, "donations", "verify", str(files[fmt]), "--db", str(path))
        assert changed.returncode == 3, fmt
        assert "KHÔNG KHỚP SỔ" in changed.stdout
