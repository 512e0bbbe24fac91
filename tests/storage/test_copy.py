"""`db copy`: every row moves SQLite ⇄ PostgreSQL with its id; `db backup` dumps PostgreSQL."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest

from handlers.donations._checksums import statement_checksums
from storage import copy
from storage.db import Database, connect
from storage.ledger import Entry
from storage.pg import server_tool
from storage.questions import NewHandover
from storage.web_chat import StoredFile, add_reply_in, file_in, record_sent_in
from tests.pgserver import ThrowawayPostgres
from tests.storage.conftest import NOW, WARD, Backend, sqlite_backend
from tests.storage.test_contract_ledger import campaign, gift
from tests.storage.test_contract_registrations import form
from tests.storage.test_disbursements import payment

ROOT = Path(__file__).resolve().parents[2]
CHART = b"\x89PNG\r\n\x1a\n\x00\xff\x00binary chart"  # NUL and high bytes: BLOB/BYTEA intact
CHAT = "w-browser-1"


@dataclass(frozen=True)
class Made:
    """What `fill` stored, by id."""

    resident: int
    campaign: int
    gifts: tuple[Entry, ...]
    reversal: Entry
    payment: int
    registration: int
    question: int
    reply: int


@asynccontextmanager
async def opened(target: str | Path) -> AsyncIterator[Backend]:
    """A migrated database with the repositories on it, closed at the end."""
    db = connect(target)
    await db.open()
    try:
        await db.migrate()
        yield sqlite_backend(str(target), db)
    finally:
        await db.close()


async def fill(stores: Backend) -> Made:
    """A ward's data through the real repositories: ledger, users, registration, questions, chat."""
    await stores.users.add_ward(WARD)
    resident = await stores.resident("an")
    await stores.resident("binh")
    cid = await campaign(stores)
    gifts = tuple([await stores.ledger.append(gift(cid, 100_000 * n), now=NOW) for n in (1, 2, 3)])
    reversal = await stores.ledger.reverse(
        gifts[1].id, reason="ghi nhầm", recorded_by=None, now=NOW
    )
    paid = await stores.ledger.disburse(payment(cid, 150_000), now=NOW)
    registration, _ = await stores.registrations.create(
        form(resident), token="tok-1", now=NOW, year=2026
    )
    question, _ = await stores.questions.create_handover(
        NewHandover(
            user_id=resident, ward_id=WARD.id, channel="test", chat_id="c", text="Hộ cận nghèo?"
        ),
        now=NOW,
    )
    await stores.questions.log(
        "Thoát nghèo là gì", "unanswered", user_id=resident, ward_id=WARD.id, now=NOW
    )
    await stores.db.write(
        lambda conn: record_sent_in(conn, CHAT, "f1", "Xin chào", "Xin chào", NOW)
    )
    reply = await stores.db.write(
        lambda conn: add_reply_in(
            conn, CHAT, "Biểu đồ", (("Tiếp", "menu"),), NOW, StoredFile("c.png", "image", CHART)
        )
    )
    return Made(resident, cid, gifts, reversal, paid.id, registration.id, question, reply)


async def assert_same_data(source: Database, target: Database) -> None:
    """Every table holds as many rows on both sides, and the data tables we filled are not empty."""
    assert await copy.compare_counts(source, target) == {}
    counts = await copy.row_counts(target)
    for name in (
        "users",
        "donation_entries",
        "donation_disbursements",
        "exit_registrations",
        "handover_questions",
        "question_log",
        "web_chat_messages",
        "audit_log",
    ):
        assert counts[name] > 0, name


async def assert_ids_kept_and_fresh(stores: Backend, made: Made) -> None:
    """Rows read back by their old ids; a new row gets an id past every copied one."""
    assert await stores.ledger.entry(made.gifts[0].id) == made.gifts[0]
    assert await stores.ledger.reversal_of(made.gifts[1].id) == made.reversal
    assert (await stores.ledger.disbursement(made.payment)) is not None
    found = await stores.registrations.get(made.registration)
    assert found is not None and found.full_name == "Nguyễn Văn An"
    question = await stores.questions.get(made.question)
    assert question is not None and question.text == "Hộ cận nghèo?"
    stored = await stores.db.run(lambda conn: file_in(conn, CHAT, made.reply, NOW))
    assert stored == StoredFile("c.png", "image", CHART)
    user = await stores.users.get(made.resident)
    assert user is not None and user.external_id == "an"
    later = await stores.ledger.append(gift(made.campaign, 70_000), now=NOW)
    assert later.id == made.reversal.id + 1
    assert later.receipt == "VNN-HC-2026-000005"
    newcomer = await stores.resident("chi")
    assert newcomer == made.resident + 2
    assert await stores.registrations.count() == 1


@pytest.mark.slow
async def test_sqlite_to_postgresql_keeps_rows_ids_and_moves_the_sequences(
    tmp_path: Path, pg_migrated_url: str
) -> None:
    """Every row lands with its id; the next gift and user on PostgreSQL get fresh ids."""
    async with opened(tmp_path / "ward.sqlite3") as source, opened(pg_migrated_url) as target:
        made = await fill(source)
        done = await copy.copy_data(source.db, target.db, chunk=2)  # many chunks per table
        assert dict(done.tables)["donation_entries"] == 4
        assert ("donation_entries", made.reversal.id) in done.sequences
        await assert_same_data(source.db, target.db)
        await assert_ids_kept_and_fresh(target, made)


@pytest.mark.slow
async def test_postgresql_to_sqlite_keeps_rows_and_ids(
    tmp_path: Path, pg_migrated_url: str
) -> None:
    """The way back: PostgreSQL's rows land in a new SQLite file with their ids."""
    async with opened(pg_migrated_url) as source, opened(tmp_path / "back.sqlite3") as target:
        made = await fill(source)
        done = await copy.copy_data(source.db, target.db)
        assert done.sequences == ()
        await assert_same_data(source.db, target.db)
        await assert_ids_kept_and_fresh(target, made)


async def test_sqlite_copy_gives_the_same_statement_checksums(tmp_path: Path) -> None:
    """The ledger's statement checksum of the campaign is the same in the copy."""
    async with opened(tmp_path / "a.sqlite3") as source, opened(tmp_path / "b.sqlite3") as target:
        made = await fill(source)
        await copy.copy_data(source.db, target.db)
        before = await statement_checksums(source.db, now=NOW)
        assert list(before) == [made.campaign]
        assert await statement_checksums(target.db, now=NOW) == before


@pytest.mark.slow
async def test_postgresql_copy_gives_the_same_statement_checksums(
    tmp_path: Path, pg_migrated_url: str
) -> None:
    """SQLite → PostgreSQL: the statement checksum of the campaign is the same on both sides."""
    async with opened(tmp_path / "a.sqlite3") as source, opened(pg_migrated_url) as target:
        await fill(source)
        await copy.copy_data(source.db, target.db)
        before = await statement_checksums(source.db, now=NOW)
        assert await statement_checksums(target.db, now=NOW) == before


@pytest.mark.slow
async def test_a_target_with_data_is_refused_and_left_alone(
    tmp_path: Path, pg_migrated_url: str
) -> None:
    """A target holding any row is refused before anything is written."""
    async with opened(tmp_path / "ward.sqlite3") as source, opened(pg_migrated_url) as target:
        await fill(source)
        await target.users.add_ward(WARD)
        with pytest.raises(copy.TargetNotEmpty) as refused:
            await copy.copy_data(source.db, target.db)
        assert refused.value.tables == {"wards": 1}
        assert sum((await copy.row_counts(target.db)).values()) == 1


@pytest.mark.slow
async def test_a_failed_copy_leaves_the_target_empty(tmp_path: Path, pg_migrated_url: str) -> None:
    """A row PostgreSQL cannot take fails the copy, and nothing of it is committed."""
    async with opened(tmp_path / "ward.sqlite3") as source, opened(pg_migrated_url) as target:
        await fill(source)
        await source.db.execute(
            "INSERT INTO workers (id, host, pid, started_at, seen_at) VALUES (?, ?, ?, ?, ?)",
            ("w1", "host", "not a number", "2026-12-01", "2026-12-01"),  # SQLite keeps the text
        )
        with pytest.raises(copy.CopyError, match="workers"):
            await copy.copy_data(source.db, target.db)
        assert set((await copy.row_counts(target.db)).values()) == {0}


def test_foreign_key_order_puts_parents_first_and_refuses_a_cycle() -> None:
    """Parents before children, a self-reference allowed; a cycle between tables is an error."""

    def table(name: str, *parents: str) -> copy.Table:
        return copy.Table(name, ("id",), ("id",), frozenset(parents), integer_key=True)

    ordered = copy.foreign_key_order(
        [table("entries", "entries", "campaigns"), table("campaigns", "wards"), table("wards")]
    )
    assert [t.name for t in ordered] == ["wards", "campaigns", "entries"]
    with pytest.raises(copy.SchemaMismatch, match="cycle"):
        copy.foreign_key_order([table("a", "b"), table("b", "a")])


@pytest.mark.slow
async def test_both_schemas_give_the_same_tables_in_a_valid_order(
    tmp_path: Path, pg_migrated_url: str
) -> None:
    """SQLite and PostgreSQL catalogs list the same data tables, each after its parents."""
    async with opened(tmp_path / "s.sqlite3") as lite, opened(pg_migrated_url) as pg:
        for stores in (lite, pg):
            tables = await copy.schema_of(stores.db)
            seen: set[str] = set()
            for each in tables:
                assert each.parents - {each.name} <= seen, each.name
                seen.add(each.name)
            assert "schema_version" not in seen
            assert {"donation_entries", "users", "web_chat_messages"} <= seen
        lite_tables = {t.name: set(t.columns) for t in await copy.schema_of(lite.db)}
        pg_tables = {t.name: set(t.columns) for t in await copy.schema_of(pg.db)}
        assert lite_tables == pg_tables


# ---- the command ---------------------------------------------------------------------------


def giamngheo(home: Path, *args: str, url: str = "") -> subprocess.CompletedProcess[str]:
    """Run the real command (DATABASE_URL set to `url` when given)."""
    env = {"PATH": "/usr/bin:/bin", "HOME": str(home), "DEMO_DATA": "0"}
    if url:
        env["DATABASE_URL"] = url
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=120,
        check=False,
    )


async def residents_only(path: Path) -> None:
    """A ward with users, a question and a web chat file, and no campaign."""
    async with opened(path) as stores:
        await stores.users.add_ward(WARD)
        user = await stores.resident("an")
        await stores.questions.log("Hỏi", "unanswered", user_id=user, ward_id=WARD.id, now=NOW)
        await stores.db.write(
            lambda conn: add_reply_in(
                conn, CHAT, "Tệp", (), NOW - timedelta(days=1), StoredFile("a.pdf", "doc", CHART)
            )
        )


@pytest.mark.slow
async def test_cli_copies_to_postgresql_then_refuses_a_second_time(
    tmp_path: Path, pg_migrated_url: str
) -> None:
    """`giamngheo db copy` says what it copied and verified; run again, it refuses (exit 2)."""
    source = tmp_path / "ward.sqlite3"
    await residents_only(source)
    first = giamngheo(
        tmp_path, "db", "copy", "--from", f"sqlite:///{source}", "--to", pg_migrated_url
    )
    assert first.returncode == 0, first.stderr
    assert "Đã sao chép" in first.stdout
    assert "  users: 1 dòng" in first.stdout
    assert "Đã kiểm tra: số dòng của cả" in first.stdout
    async with opened(pg_migrated_url) as target:
        assert (await copy.row_counts(target.db))["web_chat_messages"] == 1
    again = giamngheo(tmp_path, "db", "copy", "--from", str(source), "--to", pg_migrated_url)
    assert again.returncode == 2
    assert "đã có dữ liệu" in again.stderr
    assert "users (1)" in again.stderr


@pytest.mark.slow
async def test_cli_verifies_the_statement_checksums(tmp_path: Path) -> None:
    """With a campaign, the command compares its statement checksum on both sides."""
    source, target = tmp_path / "a.sqlite3", tmp_path / "b.sqlite3"
    async with opened(source) as stores:
        await fill(stores)
    done = giamngheo(tmp_path, "db", "copy", "--from", str(source), "--to", str(target))
    assert done.returncode == 0, done.stderr
    assert "sao kê của 1 cuộc vận động khớp" in done.stdout
    missing = giamngheo(tmp_path, "db", "copy", "--from", str(tmp_path / "none"), "--to", "x")
    assert missing.returncode == 2
    assert not (tmp_path / "none").exists()


@pytest.mark.slow
async def test_cli_backup_of_postgresql_restores_to_the_same_rows(
    tmp_path: Path, pg_migrated_url: str, pg_server: ThrowawayPostgres
) -> None:
    """`db backup` with DATABASE_URL dumps PostgreSQL; pg_restore reads it into equal tables."""
    async with opened(pg_migrated_url) as stores:
        await fill(stores)
        counts = await copy.row_counts(stores.db)
        version = await stores.db.schema_version()
    dump = tmp_path / "ward.dump"
    made = giamngheo(tmp_path, "db", "backup", str(dump), url=pg_migrated_url)
    assert made.returncode == 0, made.stderr
    assert os.stat(dump).st_mode & 0o777 == 0o600
    listing = subprocess.run(
        [server_tool("pg_restore"), "--list", str(dump)], capture_output=True, text=True, check=True
    )
    assert "TABLE DATA public donation_entries" in listing.stdout
    restored_url = pg_server.create_database("t_restored")
    try:
        subprocess.run(
            [server_tool("pg_restore"), "--no-owner", f"--dbname={restored_url}", str(dump)],
            capture_output=True,
            text=True,
            check=True,
        )
        async with opened(restored_url) as restored:
            assert await copy.row_counts(restored.db) == counts
            assert await restored.db.schema_version() == version
    finally:
        pg_server.drop_database("t_restored")
