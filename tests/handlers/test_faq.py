"""Q&A in the chat: graded answers, did-you-mean, feedback, handover to officers, CLI."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

from bot.app import App
from bot.core.i18n import Translator
from knowledge.admin_units import Unit, unit
from knowledge.faq import KnowledgeBase, parse_entry_file
from knowledge.text import normalize
from storage.questions import LoggedQuestion, QuestionRepository
from storage.users import ward_from_unit
from tests.fakes.telegram_api import FakeBotApi
from tests.harness import Chat, FakeClock, make_officer, new_app, telegram_running, text_of


def unit_or_fail(code: str) -> Unit:
    """An official commune by code."""
    found = unit(code)
    assert found is not None
    return found


ROOT = Path(__file__).resolve().parents[2]
VI = Translator("vi")


async def test_confident_answer_has_legal_basis_and_feedback(resident: Chat) -> None:
    """A clear question gets the answer with its legal basis and 👍/👎 buttons."""
    [reply] = await resident.send("ho can ngheo dc ho tro bhyt bao nhieu phan tram")
    assert "70%" in reply.text
    assert "Căn cứ:" in reply.text and "(hiệu lực từ " in reply.text
    resident.expect("faq.was_helpful")
    payloads = [c.payload for c in reply.choices]
    assert "faq:up:bhyt-ho-can-ngheo" in payloads


async def test_provisional_answer_is_marked(resident: Chat) -> None:
    """An entry built on unverified facts says it must be confirmed with the commune/ward."""
    [reply] = await resident.send("lai suat vay von ho can ngheo bao nhieu")
    assert "cần xác nhận với cán bộ xã/phường" in reply.text


async def test_basis_line_comes_from_the_registry(resident: Chat) -> None:
    """The answer cites each registry document by number with its in-force date."""
    [reply] = await resident.send("mẫu 04 cần ghi những gì")
    assert "faq:up:mau-so-04" in [c.payload for c in reply.choices]
    assert (
        "📖 Căn cứ: Quyết định 24/2021/QĐ-TTg (hiệu lực từ 01/09/2021); "
        "Luật Căn cước 2023 (hiệu lực từ 01/07/2024)"
    ) in reply.text
    assert "hết hiệu lực" not in reply.text and "thay thế bởi" not in reply.text
    assert "CMND" in reply.text and "căn cước" in reply.text


async def test_did_you_mean_then_pick(resident: Chat) -> None:
    """A bare "chuẩn nghèo" (which period?) offers up to 3 questions; "1" answers the first."""
    [reply] = await resident.send("chuẩn nghèo")
    resident.expect("faq.did_you_mean")
    resident.expect("faq.none_of_these")
    entry_ids = [
        c.payload.removeprefix("faq:e:") for c in reply.choices if c.payload[:6] == "faq:e:"
    ]
    assert 2 <= len(entry_ids) <= 3
    assert all(entry_id.startswith("chuan-ngheo-") for entry_id in entry_ids)
    [answer] = await resident.send("1")
    first = parse_entry_file(ROOT / "knowledge" / "faq" / f"{entry_ids[0]}.md")
    assert first.answer.strip().splitlines()[0] in answer.text
    assert f"faq:up:{first.id}" in [c.payload for c in answer.choices]
    resident.expect("faq.was_helpful")


async def live_in(app: App, chat: Chat, ward_id: str = "20257") -> None:
    """The chat's user has said which commune they live in (as the registration form does)."""
    await chat.send("/start")
    user = await app.services.users.find(chat.channel, chat.user_id)
    assert user is not None
    await app.services.users.set_ward(user.id, ward_id)


async def test_out_of_scope_offers_officer_and_is_logged(
    app: App, resident: Chat, officer: Chat
) -> None:
    """An unrelated question is not answered, is logged, and its commune's officers see it."""
    await live_in(app, resident)
    [reply] = await resident.send("giá vàng hôm nay bao nhiêu")
    resident.expect("faq.not_found")
    resident.expect("faq.ask_officer")
    assert "faq:ask" in [c.payload for c in reply.choices]
    await resident.send("gia vang hom nay bao nhieu?")
    [listing] = await officer.send("/cauhoichuatraloi")
    assert "2× giá vàng hôm nay bao nhiêu" in listing.text
    await resident.send("/cauhoichuatraloi")
    resident.expect("error.permission")


async def test_unhelpful_answer_is_logged(app: App, resident: Chat, officer: Chat) -> None:
    """👎 logs the question for content growth."""
    await live_in(app, resident)
    [reply] = await resident.send("ho ngheo dc vay von ko")
    down = next(c.payload for c in reply.choices if c.payload.startswith("faq:dn:"))
    await resident.press(down)
    resident.expect("faq.sorry_unhelpful")
    [listing] = await officer.send("/cauhoichuatraloi")
    assert "ho ngheo dc vay von ko" in listing.text


async def test_unanswered_log_masks_personal_data_and_stays_in_its_commune(
    app: App, resident: Chat, officer: Chat
) -> None:
    """ID number, phone and name are masked; another commune's officer sees nothing; erasable."""
    await app.services.users.add_ward(ward_from_unit(unit_or_fail("20320")))
    other = Chat(app, "officer-2")
    await make_officer(app, other, ward_id="20320")
    await live_in(app, resident)
    question = (
        "tôi tên Nguyễn Văn An, căn cước 079123456789, sđt 0905 123 456, xin hỏi giá vàng hôm nay"
    )
    await resident.send(question)
    resident.expect("faq.not_found")
    stored = await app.db.fetchall("SELECT text, normalized FROM question_log")
    assert [row["text"] for row in stored] == [
        "tôi tên [họ tên], căn cước [số giấy tờ], sđt [số điện thoại], xin hỏi giá vàng hôm nay"
    ]
    for secret in ("079123456789", "0905", "Nguyễn", "nguyen van an"):
        assert all(secret not in row["text"] and secret not in row["normalized"] for row in stored)
    [mine] = await officer.send("/cauhoichuatraloi")
    assert "[số giấy tờ]" in mine.text and "079123456789" not in mine.text
    [theirs] = await other.send("/cauhoichuatraloi")
    assert "giá vàng" not in theirs.text
    await resident.send("/xoadulieu")
    await resident.press("privacy:yes")
    assert await app.db.fetchall("SELECT id FROM question_log") == []


async def test_handover_on_telegram_answer_delivered(app: App, fake_telegram: FakeBotApi) -> None:
    """A resident's question reaches the ward officer; the officer's answer reaches the resident."""
    officer_chat = Chat(app, "900", channel="telegram")
    await make_officer(app, officer_chat)
    async with telegram_running(app, fake_telegram):
        fake_telegram.push_message(800, "lich hop to dan pho thang nay la ngay nao")
        [first] = await fake_telegram.wait_for_messages(800, 1)
        ask = next(data for label, data in first.buttons() if data in ("faq:ask",))
        mark = fake_telegram.mark(800)
        fake_telegram.push_callback(800, ask)
        [ward_question] = await fake_telegram.wait_for_next(800, after=mark)
        assert "xã, phường hay đặc khu nào" in (ward_question.text or "")
        mark = fake_telegram.mark(800)
        fake_telegram.push_message(800, "1")
        [confirm] = await fake_telegram.wait_for_next(800, after=mark)
        assert "lich hop to dan pho" in (confirm.text or "")
        mark = fake_telegram.mark(800)
        fake_telegram.push_callback(800, "faqh:send")
        [sent] = await fake_telegram.wait_for_next(800, after=mark)
        assert VI("faq.handover_sent", number=1) in (sent.text or "")
        [notice] = await fake_telegram.wait_for_messages(900, 1)
        assert "Câu hỏi mới số 1" in (notice.text or "")
        mark_o = fake_telegram.mark(900)
        fake_telegram.push_message(900, "/hopthu")
        [inbox] = await fake_telegram.wait_for_next(900, after=mark_o)
        assert ("✍️ Trả lời câu số 1", "faqo:a:1") in inbox.buttons()
        mark_o = fake_telegram.mark(900)
        fake_telegram.push_callback(900, "faqo:a:1")
        await fake_telegram.wait_for_next(900, after=mark_o)
        mark_o = fake_telegram.mark(900)
        mark = fake_telegram.mark(800)
        fake_telegram.push_message(900, "Anh chị liên hệ UBND phường sáng thứ Hai nhé.")
        [done] = await fake_telegram.wait_for_next(900, after=mark_o)
        assert VI("faq.answer_sent", number=1) in (done.text or "")
        [delivered] = await fake_telegram.wait_for_next(800, after=mark)
        assert "UBND phường sáng thứ Hai" in (delivered.text or "")
    question = await app.services.db.fetchone("SELECT answer, answered_at FROM handover_questions")
    assert question is not None and question["answered_at"] is not None


async def test_officer_of_other_ward_cannot_answer(app: App, resident: Chat) -> None:
    """An officer of another ward pressing a forged answer button is refused."""
    from storage.users import Ward

    await app.services.users.add_ward(Ward("khac", "Phường Khác", "", "urban"))
    other = Chat(app, "other-officer")
    await make_officer(app, other, ward_id="khac")
    await resident.send("/hoicanbo")
    await resident.send("Xin hỏi thủ tục vay vốn?")
    await resident.tap("Hòa Cường")
    await resident.press("faqh:send")
    neighbour = Chat(app, "resident-khac")
    await neighbour.send("/hoicanbo")
    await neighbour.send("Câu hỏi của phường khác")
    await neighbour.tap("Phường Khác")
    await neighbour.press("faqh:send")
    inbox = await other.send("/hopthu")
    assert "Câu hỏi của phường khác" in text_of(inbox)
    assert "thủ tục vay vốn" not in text_of(inbox)
    await other.press("faqo:a:1")
    other.expect("error.permission")
    question = await app.services.db.fetchone(
        "SELECT answered_at FROM handover_questions WHERE id = 1"
    )
    assert question is not None and question["answered_at"] is None


async def test_erase_removes_handover_questions(app: App, resident: Chat, officer: Chat) -> None:
    """/xoadulieu deletes the resident's questions and every queued message carrying them."""
    for question in ("Câu hỏi riêng tư", "Câu hỏi thứ hai"):
        await resident.send("/hoicanbo")
        await resident.send(question)
        await resident.tap("Hòa Cường")
        await resident.press("faqh:send")
    await officer.send("/hopthu")
    await officer.press("faqo:a:1")
    await officer.send("Câu trả lời của cán bộ")
    officer.expect("faq.answer_sent", number=1)
    now = app.services.clock()
    await app.services.outbox.enqueue(  # an unrelated message to the officer stays
        channel="test", chat_id="officer-1", body={"text": "Nhắc việc"}, now=now
    )
    queued = await app.services.db.fetchall("SELECT body FROM outbox ORDER BY id")
    bodies = " ".join(r["body"] for r in queued)
    assert "Câu hỏi riêng tư" in bodies and "Câu trả lời của cán bộ" in bodies
    delivered = await app.services.outbox.pending(["test"], limit=1)  # the first, to the officer
    await app.services.outbox.mark_sent(delivered[0].id, now=now)
    kept = await app.services.db.fetchone(
        "SELECT body FROM outbox WHERE id = ?", (delivered[0].id,)
    )
    assert kept is not None and kept["body"] == "{}"  # a delivered message keeps no text
    await resident.send("/xoadulieu")
    await resident.press("privacy:yes")
    row = await app.services.db.fetchone("SELECT COUNT(*) FROM handover_questions")
    assert row is not None and row[0] == 0
    left = [r["body"] for r in await app.services.db.fetchall("SELECT body FROM outbox")]
    assert left == ['{"text": "Nhắc việc"}']


def test_cli_ask_json_and_lint() -> None:
    """`giamngheo ask --json` prints the documented object; `kb lint` is clean."""
    out = subprocess.run(
        [sys.executable, "-m", "bot", "ask", "bhyt ho ngheo", "--json", "--date", "2026-11-21"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=True,
        timeout=60,
    ).stdout
    data = json.loads(out)
    assert data["answered"] is True
    assert data["entry_id"] == "bhyt-ho-ngheo"
    assert set(data) == {
        "answered",
        "answer",
        "entry_id",
        "score",
        "cites",
        "citations",
        "provisional",
        "suggestions",
    }
    assert "nd-188-2025" in data["cites"]
    assert any(c.startswith("Nghị định 188/2025/NĐ-CP (hiệu lực từ ") for c in data["citations"])
    oos = json.loads(
        subprocess.run(
            [sys.executable, "-m", "bot", "ask", "ket qua bong da", "--json"],
            capture_output=True,
            text=True,
            cwd=ROOT,
            check=True,
            timeout=60,
        ).stdout
    )
    assert oos["answered"] is False
    lint = subprocess.run(
        [sys.executable, "-m", "bot", "kb", "lint"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
    )
    assert lint.returncode == 0, lint.stdout


async def test_officer_attaches_an_unanswered_question_and_it_answers_at_once(
    app: App, resident: Chat, officer: Chat
) -> None:
    """📎 Gắn: the question becomes a phrasing of the chosen entry and is answered at once."""
    await live_in(app, resident)
    question = "o que bac nha ngheo benh ma ko co tien di vien thi sao"
    await resident.send(question)
    resident.expect("faq.not_found")
    listing = (await officer.send("/cauhoichuatraloi"))[0]
    attach = next(c.payload for c in listing.choices if c.payload.startswith("faqu:q:"))
    [pick] = await officer.press(attach)
    assert question in pick.text
    offered = [c.payload for c in pick.choices if c.payload.startswith("faqu:a:")]
    assert 1 <= len(offered) <= 3
    # The officer knows the answer is the poor households' health-insurance entry; a payload for
    # any entry is accepted (the closest ones are only the suggestions).
    target = "faqu:a:" + attach.removeprefix("faqu:q:") + ":bhyt-ho-ngheo"
    await officer.press(target)
    entry = parse_entry_file(ROOT / "knowledge" / "faq" / "bhyt-ho-ngheo.md")
    officer.expect("faq.attach_done", question=entry.question)
    [after] = await resident.send(question)
    assert "📖 Căn cứ:" in after.text and "bảo hiểm y tế" in after.text.lower()
    assert (await officer.send("/cauhoichuatraloi"))[0].text.startswith("Chưa")
    await officer.press(target)
    officer.expect("faq.attach_gone")
    audit = await app.db.fetchall("SELECT action FROM audit_log WHERE action LIKE 'faq.%'")
    assert [row["action"] for row in audit] == ["faq.phrasing_attached"]


async def test_attach_refuses_another_communes_question_and_forged_entries(
    app: App, resident: Chat, officer: Chat
) -> None:
    """An officer cannot attach another commune's question; a forged entry id is refused."""
    await app.services.users.add_ward(ward_from_unit(unit_or_fail("20320")))
    other = Chat(app, "officer-3")
    await make_officer(app, other, ward_id="20320")
    await live_in(app, resident)
    await resident.send("gia vang hom nay bao nhieu")
    row = await app.db.fetchone("SELECT id FROM question_log")
    assert row is not None
    await other.press(f"faqu:q:{row['id']}")
    other.expect("error.permission")
    forged = await officer.press(f"faqu:a:{row['id']}:no-such-entry")
    assert forged[0].text == (await officer.press("faqu:x"))[0].text
    assert await app.db.fetchall("SELECT id FROM learned_phrasings") == []


async def test_attached_phrasing_survives_a_restart_and_exports_lint_checked(
    tmp_path: Path, clock: FakeClock
) -> None:
    """After a restart the phrasing still answers; `kb learned --export` writes it, lint-checked."""
    path = tmp_path / "kb.sqlite3"
    app = await new_app(path, clock)
    resident, officer = Chat(app, "r-kb"), Chat(app, "o-kb")
    await make_officer(app, officer)
    await live_in(app, resident)
    question = "o que bac nha ngheo benh ma ko co tien di vien thi sao"
    await resident.send(question)
    row = await app.db.fetchone("SELECT id FROM question_log")
    assert row is not None
    await officer.press(f"faqu:a:{row['id']}:bhyt-ho-ngheo")
    await app.close()

    restarted = await new_app(path, clock)
    try:
        [answer] = await Chat(restarted, "r-kb").send(question)
        assert "📖 Căn cứ:" in answer.text
    finally:
        await restarted.close()

    faq_dir = tmp_path / "faq"
    shutil.copytree(ROOT / "knowledge" / "faq", faq_dir)
    listed = run_cli("--db", str(path), "kb", "learned")
    assert listed.returncode == 0 and f"bhyt-ho-ngheo\tchưa xuất\t{question}" in listed.stdout
    exported = run_cli("--db", str(path), "kb", "learned", "--export", "--dir", str(faq_dir))
    assert exported.returncode == 0, exported.stderr
    assert "Đã xuất 1 cách hỏi vào 1 tệp" in exported.stdout
    assert f'"{question}",' in (faq_dir / "bhyt-ho-ngheo.md").read_text(encoding="utf-8")
    again = run_cli("--db", str(path), "kb", "learned")
    assert f"bhyt-ho-ngheo\tđã xuất\t{question}" in again.stdout


async def test_export_that_would_break_the_lint_writes_nothing(
    tmp_path: Path, clock: FakeClock
) -> None:
    """A phrasing that another entry already has is refused: files restored, still pending."""
    path = tmp_path / "bad.sqlite3"
    app = await new_app(path, clock)
    try:
        kb = KnowledgeBase.load()
        taken = kb.get("ho-ngheo-la-gi")
        assert taken is not None
        clash = taken.phrasings[0]
        await QuestionRepository(app.db).attach(
            LoggedQuestion(0, clash, normalize(clash), "20257"),
            "bhyt-ho-ngheo",
            officer_id=None,
            now=clock(),
        )
    finally:
        await app.close()
    faq_dir = tmp_path / "faq"
    shutil.copytree(ROOT / "knowledge" / "faq", faq_dir)
    before = (faq_dir / "bhyt-ho-ngheo.md").read_text(encoding="utf-8")
    refused = run_cli("--db", str(path), "kb", "learned", "--export", "--dir", str(faq_dir))
    assert refused.returncode == 1
    assert "normalises like one in 'bhyt-ho-ngheo'" in refused.stderr
    assert (faq_dir / "bhyt-ho-ngheo.md").read_text(encoding="utf-8") == before
    assert "chưa xuất" in run_cli("--db", str(path), "kb", "learned").stdout


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    """`python -m bot` with these arguments, from the repository root."""
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
        check=False,
    )


async def test_small_talk_gets_a_friendly_reply_and_is_not_logged(
    app: App, resident: Chat, officer: Chat
) -> None:
    """Greetings, thanks and "ok" get a short reply with the menu, never the unanswered list."""
    await live_in(app, resident)
    for text, key in (("alo", "greeting"), ("cảm ơn ad nhiều", "thanks"), ("ok", "ack")):
        [reply] = await resident.send(text)
        assert reply.text == VI(f"faq.smalltalk.{key}")
        assert "menu:self_check" in [c.payload for c in reply.choices]
    assert await app.db.fetchall("SELECT id FROM question_log") == []
    assert (await officer.send("/cauhoichuatraloi"))[0].text == VI("faq.unanswered_empty")


def test_button_labels_are_never_cut_inside_a_word() -> None:
    """A long question is shortened at a space, and every word of the label is whole."""
    from handlers.faq._render import short

    question = "Người dân tộc thiểu số thuộc hộ nghèo, cận nghèo được hỗ trợ những gì khi ốm?"
    label = short(question, 40)
    assert len(label) <= 40 and label.endswith("…")
    assert all(word in question.split() for word in label.removesuffix("…").split())
    assert short("ngắn", 40) == "ngắn"
    for entry in KnowledgeBase.load().entries:
        cut = short(entry.question).removesuffix("…").split()
        assert all(word in entry.question.split() for word in cut), entry.id


async def test_an_answer_is_recorded_only_with_its_delivery(
    app: App, resident: Chat, officer: Chat
) -> None:
    """The answer and the resident's queued copy commit together: no copy, no answer."""
    await resident.send("/hoicanbo")
    await resident.send("Bao giờ có kết quả rà soát?")
    await resident.tap("Hòa Cường")
    await resident.press("faqh:send")
    await officer.send("/hopthu")
    await officer.press("faqo:a:1")
    db = app.services.db
    # The outbox refuses the resident's copy (a full disk, say): a trigger in each dialect.
    if db.dialect == "postgresql":
        await db.execute(
            "CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
            " IF NEW.body LIKE '%Tháng 12%' THEN RAISE EXCEPTION 'refused'; END IF;"
            " RETURN NEW; END $$"
        )
        await db.execute(
            "CREATE TRIGGER refuse AFTER INSERT ON outbox FOR EACH ROW EXECUTE FUNCTION refuse()"
        )
    else:
        await db.execute(
            "CREATE TEMP TRIGGER refuse AFTER INSERT ON outbox WHEN NEW.body LIKE '%Tháng 12%'"
            " BEGIN SELECT RAISE(ABORT, 'refused'); END"
        )
    await officer.send("Tháng 12 có kết quả")
    assert Translator("vi")("faq.answer_sent", number=1) not in officer.last.text
    row = await app.services.db.fetchone("SELECT answered_at FROM handover_questions WHERE id = 1")
    assert row is not None and row["answered_at"] is None  # still open, to answer again
    await db.execute("DROP TRIGGER refuse" + (" ON outbox" if db.dialect == "postgresql" else ""))
    await officer.send("/hopthu")
    await officer.press("faqo:a:1")
    await officer.send("Tháng 12 có kết quả")
    officer.expect("faq.answer_sent", number=1)
    queued = await app.services.db.fetchall(
        "SELECT body FROM outbox WHERE chat_id = ?", ("resident-1",)
    )
    assert sum("Tháng 12 có kết quả" in r["body"] for r in queued) == 1
