"""The desk's registrations pages over plain HTTP: filters, ward scope, decisions, corrections."""

from __future__ import annotations

import json
import re

import aiohttp

from storage.registrations import EntryKind, RegistrationRepository, Status
from tests.handlers.test_exit_registration_helpers import submit
from tests.harness import Chat
from tests.web.conftest import WebApp

TODAY = "21/11/2026"  # the fake clock's day in Vietnam
BASE = "/can-bo/dang-ky"


def csrf_of(page: str) -> str:
    """The CSRF token in a page's forms."""
    found = re.search(r'name="csrf" value="([^"]+)"', page)
    assert found is not None, "no CSRF field in the page"
    return found[1]


def field_of(page: str, name: str) -> str:
    """The value of a hidden field of a page."""
    found = re.search(rf'name="{name}" value="([^"]*)"', page)
    assert found is not None, f"no field {name!r} in the page"
    return found[1]


async def signed_in(web_app: WebApp, http: aiohttp.ClientSession, **who: str) -> None:
    """Sign a new officer in on `http` through a real `/web` link."""
    link = await web_app.sign_in_link(await web_app.officer(**who))
    async with http.get(link) as shown:
        token = csrf_of(await shown.text())
    async with http.post(link, data={"csrf": token}, allow_redirects=False) as started:
        assert started.status == 303


async def page(http: aiohttp.ClientSession, web_app: WebApp, path: str) -> tuple[int, str]:
    """GET a page: its status and text."""
    async with http.get(web_app.url(path)) as response:
        return response.status, await response.text()


async def post(
    http: aiohttp.ClientSession, web_app: WebApp, path: str, data: dict[str, str]
) -> tuple[int, str, str]:
    """POST a form (no redirect followed): status, text and Location."""
    async with http.post(web_app.url(path), data=data, allow_redirects=False) as response:
        return response.status, await response.text(), response.headers.get("Location", "")


async def status_change(
    http: aiohttp.ClientSession, web_app: WebApp, rid: int, to: str, note: str = ""
) -> tuple[int, str, str]:
    """Open the detail and send its status form with `to` and `note`."""
    _, shown = await page(http, web_app, f"{BASE}/{rid}")
    form = {
        "csrf": csrf_of(shown),
        "khoa": field_of(shown, "khoa"),
        "truoc": field_of(shown, "truoc"),
        "den": to,
        "ghi-chu": note,
    }
    return await post(http, web_app, f"{BASE}/{rid}/trang-thai", form)


async def resident_texts(web_app: WebApp) -> list[str]:
    """What was queued for the resident."""
    rows = await web_app.app.db.fetchall(
        "SELECT body FROM outbox WHERE chat_id = 'resident-1' ORDER BY id"
    )
    return [json.loads(r["body"])["text"] for r in rows]


async def test_the_list_filters_searches_and_pages(web_app: WebApp) -> None:
    """Status, cause, support and code narrow the table; 25 registrations make two pages."""
    for index in range(25):
        await submit(Chat(web_app.app, f"resident-{index}"))
    async with web_app.client() as http:
        await signed_in(web_app, http)
        status, shown = await page(http, web_app, BASE)
        assert status == 200
        assert "Tìm thấy 25 hồ sơ." in shown and "Trang 1/2" in shown
        assert shown.count('href="/can-bo/dang-ky/') == 20
        _, second = await page(http, web_app, f"{BASE}?trang=2")
        assert second.count('href="/can-bo/dang-ky/') == 5 and "TN-2026-000025" in second
        _, found = await page(http, web_app, f"{BASE}?ma=TN-2026-000007")
        assert "Tìm thấy 1 hồ sơ." in found and "TN-2026-000007" in found
        _, by_cause = await page(http, web_app, f"{BASE}?nguyen-nhan=capital&ho-tro=loan")
        assert "Tìm thấy 25 hồ sơ." in by_cause
        _, none = await page(http, web_app, f"{BASE}?nguyen-nhan=illness")
        assert "Tìm thấy 0 hồ sơ." in none
        _, by_status = await page(http, web_app, f"{BASE}?trang-thai=in_review")
        assert "Tìm thấy 0 hồ sơ." in by_status
        _, forged = await page(http, web_app, f"{BASE}?trang-thai=hacked&ma=<script>")
        assert "bộ lọc không hợp lệ" in forged.lower() and "<script>" not in forged


async def test_another_wards_registration_is_a_404(web_app: WebApp) -> None:
    """An officer of another ward gets 404 on the detail and every form; no data shown."""
    await submit(Chat(web_app.app, "resident-1"))
    other = await web_app.add_ward()
    async with web_app.client() as http:
        await signed_in(web_app, http, ward_id=other.id)
        _, listing = await page(http, web_app, BASE)
        assert "TN-2026-000001" not in listing
        for path in (f"{BASE}/1", f"{BASE}/1/quyet-dinh?ket-qua=recognised_exited", f"{BASE}/99"):
            status, shown = await page(http, web_app, path)
            assert status == 404 and "Nguyễn Văn An" not in shown
        token = csrf_of(listing)
        for path in (f"{BASE}/1/trang-thai", f"{BASE}/1/quyet-dinh/xac-nhan"):
            status, _, _ = await post(
                http, web_app, path, {"csrf": token, "den": "in_review", "truoc": "submitted"}
            )
            assert status == 404
    stored = await RegistrationRepository(web_app.app.db).get(1)
    assert stored is not None and stored.status is Status.SUBMITTED


async def test_a_form_without_its_csrf_token_is_refused(web_app: WebApp) -> None:
    """A status change posted without the page's token is a 403 and changes nothing."""
    await submit(Chat(web_app.app, "resident-1"))
    async with web_app.client() as http:
        await signed_in(web_app, http)
        status, _, _ = await post(
            http, web_app, f"{BASE}/1/trang-thai", {"den": "in_review", "truoc": "submitted"}
        )
        assert status == 403
    stored = await RegistrationRepository(web_app.app.db).get(1)
    assert stored is not None and stored.status is Status.SUBMITTED


async def test_status_changes_and_a_decision_over_http(web_app: WebApp) -> None:
    """A note, a double submit, a bad date kept on the form, a confirmation sent twice: once."""
    await submit(Chat(web_app.app, "resident-1"))
    repo = RegistrationRepository(web_app.app.db)
    async with web_app.client() as http:
        await signed_in(web_app, http)
        missing = await status_change(http, web_app, 1, "needs_info")
        assert missing[0] == 400 and "Cần gõ câu hỏi cho người dân." in missing[1]
        _, shown = await page(http, web_app, f"{BASE}/1")
        form = {
            "csrf": csrf_of(shown),
            "khoa": field_of(shown, "khoa"),
            "truoc": "submitted",
            "den": "in_review",
            "ghi-chu": "Đã nhận hồ sơ",
        }
        first = await post(http, web_app, f"{BASE}/1/trang-thai", form)
        again = await post(http, web_app, f"{BASE}/1/trang-thai", form)
        assert (first[0], first[2]) == (303, f"{BASE}/1?xong=trang-thai")
        assert (again[0], again[2]) == (303, f"{BASE}/1?xong=da-ghi")
        await status_change(http, web_app, 1, "survey_scheduled", "Khảo sát ngày 25/11")
        status, shown = await page(http, web_app, f"{BASE}/1/quyet-dinh?ket-qua=recognised_exited")
        assert status == 200
        form = {"csrf": csrf_of(shown), "truoc": "survey_scheduled", "ket-qua": "recognised_exited"}
        forged = await post(
            http, web_app, f"{BASE}/1/quyet-dinh", {**form, "ket-qua": "in_review", "so": "1/QĐ"}
        )
        assert forged[0] == 400 and "Bạn hãy chọn một trạng thái" in forged[1]
        bad = await post(
            http,
            web_app,
            f"{BASE}/1/quyet-dinh",
            {**form, "so": "15/QĐ-UBND", "ngay": "30/11/2026"},
        )
        assert bad[0] == 400 and "không thể sau hôm nay" in bad[1] and "15/QĐ-UBND" in bad[1]
        checked = await post(
            http, web_app, f"{BASE}/1/quyet-dinh", {**form, "so": "15/QĐ-UBND", "ngay": TODAY}
        )
        assert checked[0] == 200 and "Xác nhận" in checked[1]
        assert (await repo.get(1)).status is Status.SURVEY_SCHEDULED  # type: ignore[union-attr]
        confirm = {
            **form,
            "khoa": field_of(checked[1], "khoa"),
            "so": "15/QĐ-UBND",
            "ngay": TODAY,
            "lam": "xac-nhan",
        }
        edit = await post(http, web_app, f"{BASE}/1/quyet-dinh/xac-nhan", {**confirm, "lam": "sua"})
        assert edit[0] == 200 and 'value="15/QĐ-UBND"' in edit[1]
        done = await post(http, web_app, f"{BASE}/1/quyet-dinh/xac-nhan", confirm)
        twice = await post(http, web_app, f"{BASE}/1/quyet-dinh/xac-nhan", confirm)
        assert (done[2], twice[2]) == (f"{BASE}/1?xong=quyet-dinh", f"{BASE}/1?xong=da-ghi")
        _, detail = await page(http, web_app, f"{BASE}/1?xong=quyet-dinh")
        assert "Quyết định số 15/QĐ-UBND ngày 21/11/2026" in detail
        assert "Đã ghi nhận quyết định" in detail
        assert "Điều chỉnh quyết định" not in detail  # an officer cannot correct
        status, _ = await page(http, web_app, f"{BASE}/1/dieu-chinh")
        assert status == 404
    stored = await repo.get(1)
    assert stored is not None
    assert (stored.status, stored.decision_number) == (Status.RECOGNISED_EXITED, "15/QĐ-UBND")
    kinds = [entry.kind for entry in await repo.history(1)]
    assert kinds.count(EntryKind.DECISION) == 1 and len(kinds) == 4
    texts = await resident_texts(web_app)
    assert len(texts) == 3 and "15/QĐ-UBND" in texts[-1]


async def test_an_admin_corrects_a_decision_over_http(web_app: WebApp) -> None:
    """The correction needs a reason, shows a confirmation, is kept in the history, told."""
    await submit(Chat(web_app.app, "resident-1"))
    async with web_app.client() as http:
        await signed_in(web_app, http)
        await status_change(http, web_app, 1, "in_review")
        await status_change(http, web_app, 1, "survey_scheduled")
        _, shown = await page(http, web_app, f"{BASE}/1/quyet-dinh?ket-qua=not_recognised")
        form = {"csrf": csrf_of(shown), "truoc": "survey_scheduled", "ket-qua": "not_recognised"}
        checked = await post(
            http, web_app, f"{BASE}/1/quyet-dinh", {**form, "so": "8/QĐ-UBND", "ngay": TODAY}
        )
        await post(
            http,
            web_app,
            f"{BASE}/1/quyet-dinh/xac-nhan",
            {**form, "so": "8/QĐ-UBND", "ngay": TODAY, "khoa": field_of(checked[1], "khoa")},
        )
    async with web_app.client() as http:
        await signed_in(web_app, http, role="admin")
        status, shown = await page(http, web_app, f"{BASE}/1/dieu-chinh")
        assert status == 200
        form = {
            "csrf": csrf_of(shown),
            "truoc": "not_recognised",
            "ket-qua": "recognised_exited",
            "so": "9/QĐ-UBND",
            "ngay": TODAY,
        }
        no_reason = await post(http, web_app, f"{BASE}/1/dieu-chinh", form)
        assert no_reason[0] == 400 and "lý do" in no_reason[1]
        checked = await post(
            http, web_app, f"{BASE}/1/dieu-chinh", {**form, "ly-do": "Nhập nhầm kết quả"}
        )
        assert checked[0] == 200 and "Nhập nhầm kết quả" in checked[1]
        done = await post(
            http,
            web_app,
            f"{BASE}/1/dieu-chinh/xac-nhan",
            {**form, "ly-do": "Nhập nhầm kết quả", "khoa": field_of(checked[1], "khoa")},
        )
        assert done[2] == f"{BASE}/1?xong=dieu-chinh"
        _, detail = await page(http, web_app, f"{BASE}/1")
        assert "Nhập nhầm kết quả" in detail and "Điều chỉnh:" in detail
    repo = RegistrationRepository(web_app.app.db)
    stored = await repo.get(1)
    assert stored is not None
    assert (stored.status, stored.decision_number) == (Status.RECOGNISED_EXITED, "9/QĐ-UBND")
    last = (await repo.history(1))[-1]
    assert (last.kind, last.note) == (EntryKind.CORRECTION, "Nhập nhầm kết quả")
    assert "Nhập nhầm kết quả" in (await resident_texts(web_app))[-1]


async def test_an_admin_picks_the_ward_listed(web_app: WebApp) -> None:
    """An admin sees a ward picker and each ward's registrations; an officer has no picker."""
    await submit(Chat(web_app.app, "resident-1"))
    other = await web_app.add_ward()
    async with web_app.client() as http:
        await signed_in(web_app, http, role="admin")
        _, own = await page(http, web_app, BASE)
        assert 'name="xa"' in own and "TN-2026-000001" in own
        _, elsewhere = await page(http, web_app, f"{BASE}?xa={other.id}")
        assert "Tìm thấy 0 hồ sơ." in elsewhere and other.name in elsewhere
        status, _ = await page(http, web_app, f"{BASE}/1")
        assert status == 200
    async with web_app.client() as http:
        await signed_in(web_app, http, ward_id=other.id)
        _, shown = await page(http, web_app, f"{BASE}?xa=20257")
        assert 'name="xa"' not in shown and "TN-2026-000001" not in shown


async def test_a_residents_reply_shows_as_new_until_an_officer_acts(web_app: WebApp) -> None:
    """After "cần bổ sung" the resident's answer marks the row new; the next change clears it."""
    resident = Chat(web_app.app, "resident-1")
    await submit(resident)
    new_reply = "Mới: người dân đã trả lời"
    async with web_app.client() as http:
        await signed_in(web_app, http)
        await status_change(http, web_app, 1, "in_review", "Đã nhận hồ sơ")
        await status_change(http, web_app, 1, "needs_info", "Hộ có mấy người đang đi làm?")
        _, listed = await page(http, web_app, BASE)
        assert new_reply not in listed  # asked, not answered yet
        await resident.send("/trangthai")
        await resident.tap("Trả lời câu hỏi")
        await resident.send("Hai người đi làm công nhân")
        _, listed = await page(http, web_app, BASE)
        assert listed.count(new_reply) == 1
        await status_change(http, web_app, 1, "survey_scheduled", "Khảo sát ngày 25/11")
        _, listed = await page(http, web_app, BASE)
        assert new_reply not in listed
