"""The desk's audit log over plain HTTP: admins only, paged, filtered, no personal data."""

from __future__ import annotations

import re

from bot.core.i18n import Translator
from tests.harness import Chat
from tests.web.conftest import DEMO_WARD_ID, WebApp
from tests.web.test_desk_questions import signed_in

T = Translator("vi")
ROW = re.compile(r"<code>([a-z0-9_.]+)</code></td>\s*<td><code>")


async def test_an_officer_who_is_not_an_admin_gets_a_404(web_app: WebApp) -> None:
    """The audit log is a 404 for an officer and absent from the officer's desk home."""
    async with web_app.client() as http:
        await signed_in(web_app, http, role="officer")
        async with http.get(web_app.url("/can-bo")) as desk:
            page = await desk.text()
            assert 'href="/can-bo/cau-hoi"' in page and 'href="/can-bo/nhat-ky"' not in page
        async with http.get(web_app.url("/can-bo/nhat-ky")) as log:
            assert log.status == 404
            assert T("web_desk.audit.title") not in await log.text()
    async with (
        web_app.client() as anonymous,
        anonymous.get(web_app.url("/can-bo/nhat-ky"), allow_redirects=False) as r,
    ):
        assert r.status == 303


async def test_the_admin_pages_and_filters_the_log(web_app: WebApp) -> None:
    """Newest first, 50 a page, then a second; filtered by action prefix, `_` taken literally."""
    audit = web_app.app.services.audit
    for number in range(60):
        await audit.record(
            actor_user_id=None, action="test.bulk", target=f"item:{number}", now=web_app.clock()
        )
    user = await web_app.app.db.fetchone("SELECT id FROM users ORDER BY id LIMIT 1")
    assert user is not None
    actor = int(user["id"])
    await audit.record(
        actor_user_id=actor, action="faq.answer", target="question:3", now=web_app.clock()
    )
    async with web_app.client() as http:
        await signed_in(web_app, http, role="admin")
        async with http.get(web_app.url("/can-bo")) as desk:
            assert 'href="/can-bo/nhat-ky"' in await desk.text()
        async with http.get(web_app.url("/can-bo/nhat-ky")) as first:
            assert first.status == 200
            page = await first.text()
        actions = ROW.findall(page)
        assert len(actions) == 50 and actions[0] == "web.sign_in"  # the admin's own, newest
        assert T("web_desk.audit.actor", id=actor) in page
        older = re.search(r'href="(/can-bo/nhat-ky\?hanh-dong=&amp;truoc=\d+)"', page)
        assert older is not None and T("web_desk.audit.newest") not in page
        total = await web_app.app.db.fetchone("SELECT COUNT(*) FROM audit_log")
        assert total is not None and 62 <= total[0] <= 100
        async with http.get(web_app.url(older[1].replace("&amp;", "&"))) as second:
            page = await second.text()
        seen = ROW.findall(page)
        assert len(seen) == total[0] - 50 and "truoc=" not in page
        assert (actions + seen).count("test.bulk") == 60  # each entry on exactly one page
        assert T("web_desk.audit.newest") in page
        async with http.get(web_app.url("/can-bo/nhat-ky?hanh-dong=faq.")) as faq:
            page = await faq.text()
            assert ROW.findall(page) == ["faq.answer"] and "question:3" in page
        async with http.get(web_app.url("/can-bo/nhat-ky?hanh-dong=t_st")) as literal:
            assert ROW.findall(await literal.text()) == []  # "_" is not a wildcard
        async with http.get(web_app.url("/can-bo/nhat-ky?hanh-dong=%25")) as bad:
            assert bad.status == 400
            page = await bad.text()
            assert T("web_desk.audit.bad_prefix") in page
            assert len(ROW.findall(page)) == 50


async def test_the_log_shows_no_personal_data(web_app: WebApp) -> None:
    """A resident's question and name, recorded as actions, show on the log as numbers only."""
    resident = Chat(web_app.app, "res-audit")
    await resident.send("/start")
    await resident.send("/hoicanbo")
    await resident.send("Tôi là Nguyễn Văn Bình, số điện thoại 0905123456, hỏi về vay vốn")
    if any(choice.payload == f"faqh:w:{DEMO_WARD_ID}" for choice in resident.last.choices):
        await resident.press(f"faqh:w:{DEMO_WARD_ID}")
    await resident.press("faqh:send")
    officer = await web_app.officer()
    await officer.send("/hopthu")
    row = await web_app.app.db.fetchone("SELECT id FROM handover_questions")
    assert row is not None
    await officer.press(f"faqo:a:{row['id']}")
    await officer.send("Anh Bình mang căn cước tới Ngân hàng Chính sách xã hội.")
    async with web_app.client() as http:
        await signed_in(web_app, http, role="admin")
        async with http.get(web_app.url("/can-bo/nhat-ky")) as log:
            page = await log.text()
    assert f"question:{row['id']}" in page
    for personal in ("Bình", "0905123456", "Ngân hàng"):
        assert personal not in page
