"""The desk's questions over plain HTTP: the handover inbox and the unanswered list."""

from __future__ import annotations

import json
import re

import aiohttp

from bot.core.i18n import Translator
from tests.harness import Chat
from tests.web.conftest import DEMO_WARD_ID, OTHER_WARD_CODE, WebApp

T = Translator("vi")
CSRF = re.compile(r'name="csrf" value="([^"]+)"')
UNANSWERED = "o que bac nha ngheo benh ma ko co tien di vien thi sao"
"""A question the content files do not answer; the poor households' health insurance does."""


def csrf_of(page: str) -> str:
    """The CSRF token of a page's forms."""
    found = CSRF.search(page)
    assert found is not None, "no CSRF field in the page"
    return found[1]


async def signed_in(
    web_app: WebApp,
    http: aiohttp.ClientSession,
    *,
    ward_id: str = DEMO_WARD_ID,
    role: str = "officer",
    user_id: str | None = None,
) -> str:
    """Sign a new staff member in through a real `/web` link; the desk home's CSRF token.

    The desk's HTTP tests (questions, audit, pre-screening, fund) all sign in this way.
    """
    officer = await web_app.officer(ward_id=ward_id, role=role, user_id=user_id)
    link = await web_app.sign_in_link(officer)
    async with http.get(link) as shown:
        token = csrf_of(await shown.text())
    async with http.post(link, data={"csrf": token}) as desk:
        assert desk.status == 200 and str(desk.url).endswith("/can-bo")
        return csrf_of(await desk.text())


async def hand_over(web_app: WebApp, user_id: str, question: str, ward_id: str) -> int:
    """A resident sends `question` to the officers of `ward_id` with `/hoicanbo`; its number."""
    resident = Chat(web_app.app, user_id)
    await resident.send("/start")
    await resident.send("/hoicanbo")
    await resident.send(question)
    pick = f"faqh:w:{ward_id}"
    if any(choice.payload == pick for choice in resident.last.choices):
        await resident.press(pick)
    await resident.press("faqh:send")
    row = await web_app.app.db.fetchone(
        "SELECT id, ward_id FROM handover_questions ORDER BY id DESC LIMIT 1"
    )
    assert row is not None and row["ward_id"] == ward_id
    return int(row["id"])


async def outbox_to(web_app: WebApp, chat_id: str) -> list[dict[str, object]]:
    """The messages queued for a chat, oldest first."""
    rows = await web_app.app.db.fetchall(
        "SELECT body FROM outbox WHERE chat_id = ? ORDER BY id", (chat_id,)
    )
    return [json.loads(row["body"]) for row in rows]


async def test_an_answer_from_the_page_reaches_the_resident_once(web_app: WebApp) -> None:
    """The inbox lists the question; the answer is queued for the resident and audited once."""
    number = await hand_over(web_app, "res-1", "Hồ sơ vay vốn cần những giấy tờ gì?", DEMO_WARD_ID)
    async with web_app.client() as http:
        await signed_in(web_app, http)
        async with http.get(web_app.url("/can-bo/cau-hoi")) as inbox:
            page = await inbox.text()
            assert inbox.status == 200
            assert "Hồ sơ vay vốn cần những giấy tờ gì?" in page
            assert f'href="/can-bo/cau-hoi/{number}"' in page
        async with http.get(web_app.url(f"/can-bo/cau-hoi/{number}")) as detail:
            token = csrf_of(await detail.text())
        answer = "Anh/chị mang căn cước và sổ hộ nghèo tới Ngân hàng Chính sách xã hội."
        for _ in range(2):  # a double submit
            async with http.post(
                web_app.url(f"/can-bo/cau-hoi/{number}"), data={"csrf": token, "answer": answer}
            ) as sent:
                assert sent.status == 200
                assert T("web_desk.questions.answered_now") in await sent.text()
        async with http.get(web_app.url("/can-bo/cau-hoi?trang-thai=open")) as still_open:
            assert f'href="/can-bo/cau-hoi/{number}"' not in await still_open.text()
        async with http.get(web_app.url("/can-bo/cau-hoi?trang-thai=answered")) as answered:
            assert f'href="/can-bo/cau-hoi/{number}"' in await answered.text()
    [message] = await outbox_to(web_app, "res-1")
    assert message["text"] == T(
        "faq.answer_delivered",
        number=number,
        question="Hồ sơ vay vốn cần những giấy tờ gì?",
        answer=answer,
    )
    audit = await web_app.app.db.fetchall(
        "SELECT target FROM audit_log WHERE action = 'faq.answer'"
    )
    assert [row["target"] for row in audit] == [f"question:{number}"]


async def test_the_page_answers_as_the_chat_does(web_app: WebApp) -> None:
    """The resident's message from the page is the one the chat inbox queues, buttons too."""
    by_chat = await hand_over(web_app, "res-a", "Câu hỏi thứ nhất về hộ nghèo", DEMO_WARD_ID)
    by_web = await hand_over(web_app, "res-b", "Câu hỏi thứ nhất về hộ nghèo", DEMO_WARD_ID)
    officer = await web_app.officer()
    await officer.send("/hopthu")
    await officer.press(f"faqo:a:{by_chat}")
    await officer.send("Xin trả lời như sau.")
    async with web_app.client() as http:
        await signed_in(web_app, http)
        async with http.get(web_app.url(f"/can-bo/cau-hoi/{by_web}")) as detail:
            token = csrf_of(await detail.text())
        async with http.post(
            web_app.url(f"/can-bo/cau-hoi/{by_web}"),
            data={"csrf": token, "answer": "Xin trả lời như sau."},
        ) as sent:
            assert sent.status == 200
    [from_chat] = await outbox_to(web_app, "res-a")
    [from_web] = await outbox_to(web_app, "res-b")
    assert from_web == {
        **from_chat,
        "text": str(from_chat["text"]).replace(f"số {by_chat}", f"số {by_web}"),
    }


async def test_a_short_answer_is_refused_and_kept(web_app: WebApp) -> None:
    """A one-letter answer is refused in Vietnamese, the typed text kept, nothing queued."""
    number = await hand_over(web_app, "res-2", "Khi nào có kết quả rà soát?", DEMO_WARD_ID)
    async with web_app.client() as http:
        await signed_in(web_app, http)
        async with http.get(web_app.url(f"/can-bo/cau-hoi/{number}")) as detail:
            token = csrf_of(await detail.text())
        async with http.post(
            web_app.url(f"/can-bo/cau-hoi/{number}"), data={"csrf": token, "answer": "ạ"}
        ) as refused:
            assert refused.status == 400
            page = await refused.text()
            assert T("web_desk.questions.answer_too_short") in page
            assert ">ạ</textarea>" in page
    assert await outbox_to(web_app, "res-2") == []
    question = await web_app.app.db.fetchone(
        "SELECT answered_at FROM handover_questions WHERE id = ?", (number,)
    )
    assert question is not None and question["answered_at"] is None


async def test_another_wards_question_is_not_found(web_app: WebApp) -> None:
    """Another ward's question is a 404 to read and to answer, and stays unanswered."""
    other = await web_app.add_ward(OTHER_WARD_CODE)
    number = await hand_over(web_app, "res-3", "Câu hỏi của phường khác", other.id)
    async with web_app.client() as http:
        token = await signed_in(web_app, http)
        async with http.get(web_app.url("/can-bo/cau-hoi?trang-thai=all")) as inbox:
            assert "Câu hỏi của phường khác" not in await inbox.text()
        async with http.get(web_app.url(f"/can-bo/cau-hoi/{number}")) as detail:
            assert detail.status == 404
            assert "Câu hỏi của phường khác" not in await detail.text()
        async with http.post(
            web_app.url(f"/can-bo/cau-hoi/{number}"), data={"csrf": token, "answer": "Trả lời"}
        ) as answer:
            assert answer.status == 404
        for path in ("/can-bo/cau-hoi/999999", "/can-bo/cau-hoi/abc", "/can-bo/cau-hoi/١٢"):
            async with http.get(web_app.url(path)) as missing:
                assert missing.status == 404
    assert await outbox_to(web_app, "res-3") == []


async def test_an_answer_without_the_csrf_token_is_refused(web_app: WebApp) -> None:
    """A POST without (or with a forged) token is 403 and answers nothing."""
    number = await hand_over(web_app, "res-4", "Hỏi về trợ cấp", DEMO_WARD_ID)
    async with web_app.client() as http:
        await signed_in(web_app, http)
        for data in ({"answer": "Trả lời"}, {"answer": "Trả lời", "csrf": "forged"}):
            async with http.post(web_app.url(f"/can-bo/cau-hoi/{number}"), data=data) as r:
                assert r.status == 403
    assert await outbox_to(web_app, "res-4") == []


async def test_signed_out_the_inbox_sends_to_sign_in(web_app: WebApp) -> None:
    """Without a session the inbox redirects to the sign-in help page."""
    async with (
        web_app.client() as http,
        http.get(web_app.url("/can-bo/cau-hoi"), allow_redirects=False) as r,
    ):
        assert r.status == 303 and r.headers["Location"] == "/dang-nhap"


async def live_in_and_ask(web_app: WebApp, user_id: str, ward_id: str, text: str) -> Chat:
    """A resident of `ward_id` asks something the Q&A cannot answer (it is logged)."""
    resident = Chat(web_app.app, user_id)
    await resident.send("/start")
    user = await web_app.app.services.users.find(resident.channel, resident.user_id)
    assert user is not None
    await web_app.app.services.users.set_ward(user.id, ward_id)
    await resident.send(text)
    resident.expect("faq.not_found")
    return resident


async def test_an_unanswered_question_is_attached_to_an_entry_found_by_title(
    web_app: WebApp,
) -> None:
    """Found by title and attached from the page, the question leaves the list and is answered."""
    resident = await live_in_and_ask(web_app, "res-5", DEMO_WARD_ID, UNANSWERED)
    async with web_app.client() as http:
        await signed_in(web_app, http)
        async with http.get(web_app.url("/can-bo/cau-hoi/chua-tra-loi")) as listing:
            page = await listing.text()
            assert UNANSWERED in page
            found = re.search(r'href="/can-bo/cau-hoi/chua-tra-loi/(\d+)"', page)
            assert found is not None
        attach = web_app.url(f"/can-bo/cau-hoi/chua-tra-loi/{found[1]}")
        async with http.get(attach, params={"tim": "bảo hiểm y tế miễn phí"}) as search:
            page = await search.text()
            assert "Hộ nghèo có được cấp bảo hiểm y tế miễn phí không?" in page
            assert 'value="bhyt-ho-ngheo"' in page
            token = csrf_of(page)
        async with http.post(attach, data={"csrf": token}) as unpicked:
            assert unpicked.status == 400
            assert T("web_desk.unanswered.pick_entry") in await unpicked.text()
        async with http.post(attach, data={"csrf": token, "entry": "bhyt-ho-ngheo"}) as done:
            assert done.status == 200
            page = await done.text()
            assert T("web_desk.unanswered.attached") in page
            assert UNANSWERED not in page
        async with http.post(attach, data={"csrf": token, "entry": "bhyt-ho-ngheo"}) as again:
            assert T("faq.attach_gone") in await again.text()
    [after] = await resident.send(UNANSWERED)
    assert "📖 Căn cứ:" in after.text and "bảo hiểm y tế" in after.text.lower()
    rows = await web_app.app.db.fetchall("SELECT entry_id FROM learned_phrasings")
    assert [row["entry_id"] for row in rows] == ["bhyt-ho-ngheo"]
    audit = await web_app.app.db.fetchall(
        "SELECT target FROM audit_log WHERE action = 'faq.phrasing_attached'"
    )
    assert [row["target"] for row in audit] == ["faq:bhyt-ho-ngheo"]


async def test_another_wards_unanswered_question_is_not_found(web_app: WebApp) -> None:
    """Another ward's logged question is neither listed nor attachable (404)."""
    other = await web_app.add_ward(OTHER_WARD_CODE)
    await live_in_and_ask(web_app, "res-6", other.id, "giá vàng hôm nay bao nhiêu")
    row = await web_app.app.db.fetchone("SELECT id FROM question_log")
    assert row is not None
    async with web_app.client() as http:
        token = await signed_in(web_app, http)
        async with http.get(web_app.url("/can-bo/cau-hoi/chua-tra-loi")) as listing:
            assert "giá vàng" not in await listing.text()
        attach = web_app.url(f"/can-bo/cau-hoi/chua-tra-loi/{row['id']}")
        async with http.get(attach) as shown:
            assert shown.status == 404
        async with http.post(attach, data={"csrf": token, "entry": "bhyt-ho-ngheo"}) as posted:
            assert posted.status == 404
    assert await web_app.app.db.fetchall("SELECT id FROM learned_phrasings") == []


async def test_an_admin_sees_every_wards_questions_with_their_ward(web_app: WebApp) -> None:
    """An admin's inbox lists each ward's questions with the ward's name, and opens them."""
    other = await web_app.add_ward(OTHER_WARD_CODE)
    ours = await hand_over(web_app, "res-7", "Câu hỏi của phường này", DEMO_WARD_ID)
    theirs = await hand_over(web_app, "res-8", "Câu hỏi của phường kia", other.id)
    async with web_app.client() as http:
        await signed_in(web_app, http, role="admin")
        async with http.get(web_app.url("/can-bo/cau-hoi")) as inbox:
            page = await inbox.text()
        assert T("web_desk.questions.col_ward") in page
        assert other.name in page and "Phường Hòa Cường" in page
        assert page.index(f"/can-bo/cau-hoi/{theirs}") < page.index(f"/can-bo/cau-hoi/{ours}")
        async with http.get(web_app.url(f"/can-bo/cau-hoi/{theirs}")) as detail:
            assert detail.status == 200
    async with web_app.client() as http:
        await signed_in(web_app, http)
        async with http.get(web_app.url("/can-bo/cau-hoi")) as inbox:
            assert T("web_desk.questions.col_ward") not in await inbox.text()
