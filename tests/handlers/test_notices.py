"""The 2027-standard notice: the daily job, the outbox, opt-out, erasure and the officers' table."""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

from bot.app import App
from bot.core.delivery import OutboxWorker
from bot.core.i18n import Translator
from bot.core.types import Reply
from bot.demo import DEMO_WARD
from knowledge.transition import AreaChoice, SavedAnswers, project
from storage.self_check import SelfCheckRepository
from tests.harness import Chat, FakeClock, make_officer, new_app, text_of

ROOT = Path(__file__).resolve().parents[2]
VI = Translator("vi")
EN = Translator("en")

DAY_BEFORE = datetime(2026, 12, 14, 16, 59, tzinfo=UTC)  # 14/12/2026 23:59 in Hà Nội
ON_THE_DAY = datetime(2026, 12, 15, 1, 0, tzinfo=UTC)  # 15/12/2026 08:00 in Hà Nội
JOB = "notices.standard_2027"
PAIR = ("not_poor", "near_poor")  # what the UNCLEAR answers can give under the 2027 standard


def answers(
    *, area: AreaChoice = "urban", monthly_income: int = 2_000_000, members: int = 1
) -> SavedAnswers:
    """Answers saved on 21/11/2026 under the 2022–2025 standard, no indicator deprived."""
    return SavedAnswers(
        checked_on=date(2026, 11, 21),
        standard_id="vn-2022-2025",
        area=area,
        locality=None,
        members=members,
        monthly_income=monthly_income,
        yearly_income=None,
        deprived=frozenset(),
        unknown=frozenset(),
        facts=frozenset({"has_member_working_age", "has_member_6_plus"}),
    )


# Near-poor today, near-poor from 2027 (urban, 2.000.000 for one person: ≤ 2.800.000).
SAME = answers()
# Average living today (above the 2022–2025 urban line), near-poor from 2027.
CHANGES = answers(monthly_income=2_500_000)
# Area unknown: not poor if rural (> 2.200.000), near-poor if urban (≤ 2.800.000).
UNCLEAR = answers(area="unknown", monthly_income=2_500_000)


@dataclass
class Inbox:
    """The network edge of a channel: what it was asked to deliver, per chat."""

    name: str = "test"
    sent: list[tuple[str, Reply]] = field(default_factory=list)

    async def send(self, chat_id: str, replies: Sequence[Reply]) -> None:
        """Record delivered replies."""
        self.sent.extend((chat_id, reply) for reply in replies)

    def to(self, chat_id: str) -> list[Reply]:
        """Replies delivered to one chat."""
        return [reply for chat, reply in self.sent if chat == chat_id]


async def keep_result(
    app: App,
    chat: Chat,
    saved: SavedAnswers = SAME,
    *,
    category: str = "near_poor",
    ward_id: str | None = None,
) -> None:
    """The chat's user has written once and kept a self-check result with its answers."""
    await chat.send("/start")
    user = await app.services.users.find(chat.channel, chat.user_id)
    assert user is not None
    await SelfCheckRepository(app.db).save(
        user_id=user.id,
        checked_on=saved.checked_on,
        standard_id=saved.standard_id,
        category=category,
        income_per_person=saved.monthly_income // saved.members,
        deprived=(),
        now=app.services.clock(),
        answers=saved,
        ward_id=ward_id,
    )


async def run_job(app: App) -> None:
    """Run the registered daily job once, as the scheduler does."""
    [job] = [job for job in app.daily_jobs if job.name == JOB]
    await job.callback(app.services, app.services.clock())


async def queued_to(app: App, chat_id: str) -> int:
    """Outbox rows (sent or not) addressed to a chat."""
    row = await app.db.fetchone("SELECT COUNT(*) AS n FROM outbox WHERE chat_id = ?", (chat_id,))
    assert row is not None
    return int(row["n"])


async def deliver(app: App, inbox: Inbox) -> int:
    """Drain the real outbox worker once through `inbox`."""
    worker = OutboxWorker(
        app.services.outbox, {"test": inbox}, app.services.users, app.services.clock
    )
    return await worker.drain_once()


def test_cases_project_as_described() -> None:
    """The three saved answers used below give what their comments say under 2027."""
    assert project(SAME).categories == ("near_poor",)
    assert project(CHANGES).categories == ("near_poor",)
    assert set(project(UNCLEAR).categories) == {"near_poor", "not_poor"}


async def test_sent_on_the_day_once_and_never_again_after_a_restart(
    tmp_path: Path, clock: FakeClock
) -> None:
    """Nothing before 15/12/2026; on the day one notice; later runs and a restart add none."""
    path = tmp_path / "n.sqlite3"
    app = await new_app(path, clock)
    resident = Chat(app, "resident-1")
    await keep_result(app, resident)
    clock.now = DAY_BEFORE
    await run_job(app)
    assert await queued_to(app, "resident-1") == 0
    clock.now = ON_THE_DAY
    await run_job(app)
    inbox = Inbox()
    assert await deliver(app, inbox) == 1
    [notice] = inbox.to("resident-1")
    near_poor = VI("notices.category.near_poor")
    assert VI("notices.standard_2027.result_one", category=near_poor) in notice.text
    assert VI("notices.standard_2027.same") in notice.text
    assert "tạm tính, cần xác nhận với cán bộ xã/phường" in notice.text
    assert VI("notices.official") in notice.text
    assert "/tatthongbao" in notice.text
    assert [choice.payload for choice in notice.choices] == ["notices:stop"]
    await run_job(app)
    clock.advance(days=1)
    await run_job(app)
    assert await deliver(app, inbox) == 0
    await app.close()

    restarted = await new_app(path, clock)
    try:
        await run_job(restarted)
        assert await deliver(restarted, inbox) == 0
        assert await queued_to(restarted, "resident-1") == 1
        assert len(inbox.sent) == 1
    finally:
        await restarted.close()


async def test_unsettled_answers_say_either(app: App, clock: FakeClock) -> None:
    """Answers that allow two categories name both ("“A” hoặc “B”") and why, provisionally."""
    resident = Chat(app, "resident-1")
    await keep_result(app, resident, UNCLEAR, category="average_living")
    clock.now = ON_THE_DAY
    await run_job(app)
    inbox = Inbox()
    await deliver(app, inbox)
    [notice] = inbox.to("resident-1")
    not_poor, near_poor = (VI("notices.quoted", label=VI(f"notices.category.{c}")) for c in PAIR)
    either = VI("notices.either", first=not_poor, last=near_poor)
    assert VI("notices.standard_2027.result_many", categories=either) in notice.text
    assert VI("notices.standard_2027.why_unsettled.area") in notice.text
    assert VI("notices.standard_2027.average_unknown") in notice.text
    assert "tạm tính, cần xác nhận với cán bộ xã/phường" in notice.text


async def test_english_resident_gets_it_in_english(app: App, clock: FakeClock) -> None:
    """A resident who chose English gets the notice and its button in English."""
    resident = Chat(app, "resident-en")
    await resident.send("/lang en")
    await keep_result(app, resident, CHANGES, category="average_living")
    clock.now = ON_THE_DAY
    await run_job(app)
    inbox = Inbox()
    await deliver(app, inbox)
    [notice] = inbox.to("resident-en")
    assert EN("notices.standard_2027.changes") in notice.text
    assert [choice.label for choice in notice.choices] == [EN("notices.stop_button")]


async def test_opted_out_residents_get_nothing(app: App, clock: FakeClock) -> None:
    """/tatthongbao and the notice's button both stop it; the others still get theirs."""
    by_command, by_button, other = (Chat(app, f"r-{n}") for n in range(3))
    for chat in (by_command, by_button, other):
        await keep_result(app, chat)
    assert text_of(await by_command.send("/tatthongbao")) == VI("notices.stopped")
    assert text_of(await by_command.send("/tatthongbao")) == VI("notices.already_stopped")
    assert text_of(await by_button.press("notices:stop")) == VI("notices.stopped")
    clock.now = ON_THE_DAY
    await run_job(app)
    inbox = Inbox()
    assert await deliver(app, inbox) == 1
    assert [chat for chat, _ in inbox.sent] == ["r-2"]


async def test_deleted_data_means_no_notice(app: App, clock: FakeClock) -> None:
    """A resident who ran /xoadulieu before the day gets nothing; another resident does."""
    erased, other = Chat(app, "erased"), Chat(app, "other")
    await keep_result(app, erased)
    await keep_result(app, other)
    await erased.send("/xoadulieu")
    await erased.press("privacy:yes")
    clock.now = ON_THE_DAY
    await run_job(app)
    assert await queued_to(app, "erased") == 0
    assert await queued_to(app, "other") == 1


async def test_erasing_deletes_a_queued_notice(app: App, clock: FakeClock) -> None:
    """/xoadulieu while the notice waits in the outbox deletes it and its record."""
    resident = Chat(app, "resident-1")
    await keep_result(app, resident)
    clock.now = ON_THE_DAY
    await run_job(app)
    assert await queued_to(app, "resident-1") == 1
    await resident.send("/xoadulieu")
    await resident.press("privacy:yes")
    assert await queued_to(app, "resident-1") == 0
    row = await app.db.fetchone("SELECT COUNT(*) AS n FROM notices_sent")
    assert row is not None and row["n"] == 0
    inbox = Inbox()
    assert await deliver(app, inbox) == 0
    await run_job(app)
    assert await queued_to(app, "resident-1") == 0


async def test_officer_sees_the_wards_impact(app: App) -> None:
    """/tacdong2027 counts the ward's newest saved results by today's → 2027 category."""
    ward = DEMO_WARD.id
    await keep_result(app, Chat(app, "same"), SAME, ward_id=ward)
    await keep_result(app, Chat(app, "changes"), CHANGES, category="average_living", ward_id=ward)
    await keep_result(app, Chat(app, "unclear"), UNCLEAR, category="average_living", ward_id=ward)
    await keep_result(app, Chat(app, "elsewhere"), CHANGES, ward_id="another-ward")
    await keep_result(app, Chat(app, "no-ward"), CHANGES)
    officer = Chat(app, "officer-1")
    await make_officer(app, officer, ward_id=ward)
    table = text_of(await officer.send("/tacdong2027"))
    assert VI("notices.impact.summary", total=3, changed=1, same=1, unclear=1) in table
    near_poor = VI("notices.category.near_poor")
    average = VI("notices.category.average_living")
    assert VI("notices.impact.row", before=near_poor, after=near_poor, count=1) in table
    assert VI("notices.impact.row", before=average, after=near_poor, count=1) in table
    unclear = VI("notices.impact.unclear")
    assert VI("notices.impact.row", before=average, after=unclear, count=1) in table
    assert text_of(await officer.send("/tacdong2027 another-ward")) == VI("error.permission")


async def test_impact_is_staff_only_and_admins_see_all(app: App) -> None:
    """A resident is refused; an admin without a ward sees every ward's results."""
    await keep_result(app, Chat(app, "a"), SAME, ward_id=DEMO_WARD.id)
    await keep_result(app, Chat(app, "b"), CHANGES, category="average_living", ward_id="w2")
    resident = Chat(app, "resident-1")
    assert text_of(await resident.send("/tacdong2027")) == VI("error.permission")
    admin = Chat(app, "admin-1")
    await app.services.users.set_role("test", "admin-1", "admin", None, now=app.services.clock())
    table = text_of(await admin.send("/tacdong2027"))
    assert VI("notices.impact.all_wards") in table
    assert VI("notices.impact.summary", total=2, changed=1, same=1, unclear=0) in table
    empty = text_of(await admin.send(f"/tacdong2027 {DEMO_WARD.id}x"))
    assert empty == VI("notices.impact.no_ward", ward=f"{DEMO_WARD.id}x")


async def test_help_lists_the_commands_by_role(app: App) -> None:
    """/help shows /tatthongbao to everyone and /tacdong2027 to officers only."""
    resident = Chat(app, "resident-1")
    shown = text_of(await resident.send("/help"))
    assert "/tatthongbao — " + VI("notices.help_stop") in shown
    assert "/tacdong2027" not in shown
    officer = Chat(app, "officer-1")
    await make_officer(app, officer, ward_id=DEMO_WARD.id)
    assert "/tacdong2027 — " + VI("notices.help_impact") in text_of(await officer.send("/help"))


# --- the admin's command line, as a real process -----------------------------------------------


def giamngheo(path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run `python -m bot --db PATH ARGS…`."""
    return subprocess.run(
        [sys.executable, "-m", "bot", "--db", str(path), *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
        check=False,
    )


async def prepare(path: Path, residents: int) -> None:
    """A database where `residents` residents kept a result with answers."""
    app = await new_app(path, FakeClock())
    try:
        for number in range(residents):
            await keep_result(app, Chat(app, f"r{number}"))
    finally:
        await app.close()


async def test_schedule_status_and_run_cli(tmp_path: Path) -> None:
    """`notices schedule/status/run`: the default day, then a set day that has come sends once."""
    path = tmp_path / "cli.sqlite3"
    await prepare(path, 1)
    status = giamngheo(path, "notices", "status")
    assert status.returncode == 0, status.stderr
    assert "Ngày gửi thông báo chuẩn nghèo 2027: 15/12/2026 (mặc định)" in status.stdout
    assert "Đến hạn (chưa nhận): 1" in status.stdout
    scheduled = giamngheo(path, "notices", "schedule", "--date", "2026-11-30")
    assert scheduled.returncode == 0, scheduled.stderr
    assert "Thông báo chuẩn nghèo 2027 sẽ gửi từ ngày 30/11/2026." in scheduled.stdout
    sent = giamngheo(path, "notices", "run")
    assert sent.returncode == 0, sent.stderr
    assert "Đã xếp hàng 1 thông báo" in sent.stdout
    again = giamngheo(path, "notices", "run")
    assert "Đã xếp hàng 0 thông báo" in again.stdout
    status = giamngheo(path, "notices", "status")
    assert "Ngày gửi thông báo chuẩn nghèo 2027: 30/11/2026\n" in status.stdout
    assert "Đến hạn (chưa nhận): 0" in status.stdout
    assert "Đã xếp hàng: 1 (đã gửi 0, đang chờ 1, không gửi được 0)" in status.stdout
    bad = giamngheo(path, "notices", "schedule", "--date", "15/12/2026")
    assert bad.returncode == 2
    with sqlite3.connect(path) as conn:
        [(detail,)] = conn.execute(
            "SELECT detail FROM audit_log WHERE action = 'notices.schedule'"
            " ORDER BY id DESC LIMIT 1"
        ).fetchall()
    assert "2026-11-30" in detail


async def test_a_run_killed_midway_then_rerun_sends_each_once(tmp_path: Path) -> None:
    """SIGKILL during `notices run`: each recorded notice has its message; a rerun adds the rest."""
    path = tmp_path / "kill.sqlite3"
    residents = 300
    await prepare(path, residents)
    assert giamngheo(path, "notices", "schedule", "--date", "2026-11-30").returncode == 0
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", "-v", "--db", str(path), "notices", "run"],
        cwd=ROOT,
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    stderr = process.stderr
    assert stderr is not None
    logged = 0
    try:
        while logged < 20:
            line = await asyncio.wait_for(asyncio.to_thread(stderr.readline), 60)
            if not line:
                break
            logged += b"transition notice queued" in line
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait()
        stderr.close()
    assert logged == 20

    def counts() -> tuple[int, int, int]:
        with sqlite3.connect(path) as conn:
            notices = conn.execute("SELECT COUNT(*) FROM notices_sent").fetchone()[0]
            messages = conn.execute(
                "SELECT COUNT(*), COUNT(DISTINCT subject_user_id) FROM outbox"
            ).fetchone()
            matched = conn.execute(
                "SELECT COUNT(*) FROM notices_sent n JOIN outbox o ON o.id = n.outbox_id"
                " AND o.subject_user_id = n.user_id"
            ).fetchone()[0]
        assert messages[0] == messages[1] == notices == matched
        return notices, messages[0], matched

    killed, _, _ = counts()
    assert 20 <= killed < residents
    rerun = giamngheo(path, "notices", "run")
    assert rerun.returncode == 0, rerun.stderr
    assert f"Đã xếp hàng {residents - killed} thông báo" in rerun.stdout
    assert counts()[0] == residents


async def test_a_self_check_kept_in_the_chat_gets_its_notice(
    tmp_path: Path, clock: FakeClock
) -> None:
    """End to end: the questionnaire, consent, the job on 15/12 and the notice of what changes."""
    clock.now = datetime(2026, 12, 1, 3, 0, tzinfo=UTC)
    app = await new_app(tmp_path / "e2e.sqlite3", clock)
    try:
        officer = Chat(app, "officer-e2e")
        await make_officer(app, officer, ward_id=DEMO_WARD.id)
        resident = Chat(app, "resident-e2e")
        await resident.press("menu:self_check")
        await resident.send("phuong hoa cuong da nang")
        await resident.send("4")
        while any(":fact:" in c.payload for c in resident.last.choices):
            fact = next(c.payload for c in resident.last.choices if ":fact:" in c.payload)
            name = fact.split(":")[2]
            yes = name in ("has_member_working_age", "has_member_6_plus")
            await resident.press(f"sc:fact:{name}:{'yes' if yes else 'no'}")
        await resident.press("sc:mode:hm")
        await resident.send("10 triệu")  # urban: above 2.000.000 × 4, below 2.800.000 × 4
        await resident.press("sc:inc:ok")
        while any(":ans:" in c.payload for c in resident.last.choices):
            code = next(c.payload for c in resident.last.choices if ":ans:" in c.payload)
            key = code.split(":")[2]
            deprived = key in ("water", "sanitation", "housing_quality")
            await resident.press(f"sc:ans:{key}:{'yes' if deprived else 'no'}")
        await resident.press("sc:sum:result")
        await resident.press("sc:save:yes")
        stored = await app.db.fetchone("SELECT answers, ward_id FROM self_check_results")
        assert stored is not None and stored["ward_id"] == DEMO_WARD.id
        assert SavedAnswers.from_json(stored["answers"]).members == 4
        clock.now = ON_THE_DAY
        await run_job(app)
        inbox = Inbox()
        assert await deliver(app, inbox) == 1
        [notice] = inbox.to("resident-e2e")
        assert VI("notices.category.average_living") in notice.text
        assert VI("notices.category.poor") in notice.text  # 3 deprivations, below 2.8 M × 4
        table = text_of(await officer.send("/tacdong2027"))
        # 3 deprivations shared by both standards and 10 M ≤ 2.8 M × 4: poor whatever the new
        # indicators say, so the household changes category for sure.
        summary = VI("notices.impact.summary", total=1, changed=1, same=0, unclear=0)
        assert summary in table
        before, after = VI("notices.category.average_living"), VI("notices.category.poor")
        assert VI("notices.impact.row", before=before, after=after, count=1) in table
    finally:
        await app.close()
