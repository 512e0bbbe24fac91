"""The fund on the officers' desk over plain HTTP: gifts, money out, reversals, sao kê, import."""

from __future__ import annotations

import asyncio
import re
from datetime import date

import aiohttp

from bot.demo import DEMO_WARD
from handlers.donations._statement import verify_bytes
from storage.bank import BankStore
from storage.ledger import Ledger
from tests.web.conftest import WebApp
from tests.web.test_desk_questions import csrf_of
from tests.web.test_desk_questions import signed_in as desk_signed_in

DEMO_RAISED = 78_300_000
"""The demo campaign's gifts (five, 21/11/2026)."""


def key_of(page: str) -> str:
    """The idempotency key the form was rendered with."""
    found = re.search(r'name="key" value="([0-9a-f]{24})"', page)
    assert found is not None, "no idempotency key in the form"
    return found[1]


async def signed_in(web_app: WebApp, ward_id: str = DEMO_WARD.id) -> aiohttp.ClientSession:
    """A client session of a new officer of `ward_id`, signed in through a real `/web` link."""
    http = web_app.client()
    await desk_signed_in(web_app, http, ward_id=ward_id)
    return http


async def demo_campaign(web_app: WebApp) -> int:
    """The demo ward's campaign id."""
    found = await Ledger(web_app.app.db).campaigns(ward_id=DEMO_WARD.id)
    return found[0].id


async def form(http: aiohttp.ClientSession, url: str) -> tuple[str, str, str]:
    """Open a form page: its text, CSRF token and idempotency key."""
    async with http.get(url) as page:
        assert page.status == 200, url
        text = await page.text()
    return text, csrf_of(text), key_of(text)


async def count(web_app: WebApp, table: str) -> int:
    """Rows in a ledger table."""
    row = await web_app.app.db.fetchone(f"SELECT COUNT(*) FROM {table}")
    assert row is not None
    return int(row[0])


GIFT = {
    "donor_type": "person",
    "named": "yes",
    "donor_name": "Trần Thị Bích",
    "public": "yes",
    "amount": "2 triệu",
    "method": "cash",
    "donated_on": "2026-11-20",
    "note": "",
}

OUT = {
    "source": "campaign",
    "purpose": "housing",
    "beneficiary": "name",
    "name": "Lê Văn Cường",
    "kind": "money",
    "method": "cash",
    "paid_on": "2026-11-21",
    "decision": "15/QĐ-BVĐ",
    "decision_date": "2026-11-20",
}


async def test_the_fund_page_shows_the_wards_campaigns_with_progress(web_app: WebApp) -> None:
    """The list shows the demo campaign, its chart and its exact figures; the desk links it."""
    async with await signed_in(web_app) as http:
        async with http.get(web_app.url("/can-bo")) as desk:
            assert 'href="/can-bo/quy"' in await desk.text()
        async with http.get(web_app.url("/can-bo/quy")) as page:
            assert page.status == 200
            text = await page.text()
    assert "Vận động Quỹ Vì người nghèo năm 2026" in text
    assert '<svg role="img"' in text
    assert "78.300.000" in text and "3.700.000.000" in text


async def test_a_gift_is_recorded_once_and_its_receipt_shown_after_commit(
    web_app: WebApp,
) -> None:
    """A gift posted twice (in sequence and at once) is one entry; its receipt is on the page."""
    cid = await demo_campaign(web_app)
    before = await count(web_app, "donation_entries")
    async with await signed_in(web_app) as http:
        _, token, key = await form(http, web_app.url(f"/can-bo/quy/{cid}/ghi-nhan"))
        data = {**GIFT, "csrf": token, "key": key}
        url = web_app.url(f"/can-bo/quy/{cid}/ghi-nhan")
        first, second = await asyncio.gather(
            http.post(url, data=data, allow_redirects=False),
            http.post(url, data=data, allow_redirects=False),
        )
        assert first.status == second.status == 303
        target = first.headers["Location"]
        assert second.headers["Location"].split("?")[0] == target.split("?")[0]
        first.release()
        second.release()
        async with http.post(url, data=data, allow_redirects=False) as third:
            assert third.headers["Location"].split("?")[0] == target.split("?")[0]
        async with http.get(web_app.url(target)) as page:
            text = await page.text()
    assert await count(web_app, "donation_entries") == before + 1
    entry = (await Ledger(web_app.app.db).entries(campaign_id=cid))[-1]
    assert entry.donor_name == "Trần Thị Bích" and entry.amount == 2_000_000 and entry.public
    assert f"Số biên nhận: {entry.receipt}" in text


async def test_bad_gift_input_keeps_the_form_and_records_nothing(web_app: WebApp) -> None:
    """A bad amount, a digit-only name and a future date: Vietnamese messages, values kept."""
    cid = await demo_campaign(web_app)
    before = await count(web_app, "donation_entries")
    async with await signed_in(web_app) as http:
        _, token, key = await form(http, web_app.url(f"/can-bo/quy/{cid}/ghi-nhan"))
        bad = {
            **GIFT,
            "donor_name": "1",
            "amount": "năm trăm",
            "donated_on": "2026-12-25",
            "note": "ghi chú giữ lại",
        }
        async with http.post(
            web_app.url(f"/can-bo/quy/{cid}/ghi-nhan"), data={**bad, "csrf": token, "key": key}
        ) as page:
            assert page.status == 400
            text = await page.text()
        assert "Chưa ghi gì" in text
        assert "Tên người ủng hộ cần có chữ" in text
        assert "Ngày ủng hộ không thể ở tương lai." in text
        assert 'value="năm trăm"' in text and 'value="ghi chú giữ lại"' in text
        assert key_of(text) == key
        transfer = {**GIFT, "method": "transfer", "amount": "1,5 tỷ"}
        async with http.post(
            web_app.url(f"/can-bo/quy/{cid}/ghi-nhan"),
            data={**transfer, "csrf": token, "key": key},
        ) as page:
            text = await page.text()
        assert "Chuyển khoản cần mã giao dịch" in text
        assert "rất lớn (từ 1 tỷ đồng trở lên)" in text
    assert await count(web_app, "donation_entries") == before


async def test_a_known_bank_reference_is_warned_about_before_it_is_recorded(
    web_app: WebApp,
) -> None:
    """The demo transfer's reference is flagged; ticking "Vẫn ghi" records a second gift."""
    cid = await demo_campaign(web_app)
    before = await count(web_app, "donation_entries")
    transfer = {**GIFT, "method": "transfer", "reference": "FT2026", "amount": "50 triệu"}
    async with await signed_in(web_app) as http:
        _, token, key = await form(http, web_app.url(f"/can-bo/quy/{cid}/ghi-nhan"))
        url = web_app.url(f"/can-bo/quy/{cid}/ghi-nhan")
        async with http.post(url, data={**transfer, "csrf": token, "key": key}) as page:
            assert page.status == 400
            text = await page.text()
        assert "Mã giao dịch FT2026 đã được ghi ở biên nhận" in text
        assert await count(web_app, "donation_entries") == before
        data = {**transfer, "dup_ok": "yes", "csrf": token, "key": key}
        async with http.post(url, data=data, allow_redirects=False) as done:
            assert done.status == 303
    assert await count(web_app, "donation_entries") == before + 1


async def test_a_disbursement_over_the_balance_is_refused_and_one_within_recorded(
    web_app: WebApp,
) -> None:
    """100 triệu (balance 78,3 triệu) is refused with the balance; 5 triệu gets a voucher."""
    cid = await demo_campaign(web_app)
    async with await signed_in(web_app) as http:
        _, token, key = await form(http, web_app.url(f"/can-bo/quy/{cid}/chi"))
        url = web_app.url(f"/can-bo/quy/{cid}/chi")
        over = {**OUT, "amount": "100 triệu", "csrf": token, "key": key}
        async with http.post(url, data=over) as page:
            assert page.status == 400
            text = await page.text()
        assert "vượt số dư có thể chi tại ngày chi (78.300.000 ₫)" in text
        assert 'value="15/QĐ-BVĐ"' in text and 'value="Lê Văn Cường"' in text
        assert await count(web_app, "donation_disbursements") == 0
        late = {**OUT, "amount": "5 triệu", "decision_date": "2026-11-22", "csrf": token}
        async with http.post(url, data={**late, "key": key}) as page:
            assert "Ngày quyết định phải trước hoặc đúng ngày chi (21/11/2026)" in await page.text()
        ok = {**OUT, "amount": "5 triệu", "csrf": token, "key": key}
        async with http.post(url, data=ok, allow_redirects=False) as done:
            assert done.status == 303
            target = done.headers["Location"]
        async with http.post(url, data=ok, allow_redirects=False) as again:
            assert again.headers["Location"].split("?")[0] == target.split("?")[0]
        async with http.get(web_app.url(target)) as page:
            text = await page.text()
    rows = await Ledger(web_app.app.db).disbursements(campaign_id=cid)
    assert len(rows) == 1 and rows[0].amount == 5_000_000 and not rows[0].name_public
    assert f"Đã ghi phiếu chi số {rows[0].voucher}. Số dư còn lại: 73.300.000 ₫." in text


async def test_reversals_need_a_reason_and_happen_once(web_app: WebApp) -> None:
    """A gift's reversal without a reason is refused; with one it is recorded, never twice."""
    cid = await demo_campaign(web_app)
    gift = (await Ledger(web_app.app.db).entries(campaign_id=cid))[0]
    async with await signed_in(web_app) as http:
        page_url = web_app.url(f"/can-bo/quy/{cid}/thu/{gift.id}")
        _, token, key = await form(http, page_url)
        url = page_url + "/dao"
        async with http.post(url, data={"csrf": token, "key": key, "reason": ""}) as page:
            assert page.status == 400
            assert "Cần ghi lý do điều chỉnh." in await page.text()
        data = {"csrf": token, "key": key, "reason": "nhập sai số tiền"}
        async with http.post(url, data=data, allow_redirects=False) as done:
            assert done.status == 303
        async with http.post(url, data=data, allow_redirects=False) as again:
            assert again.status == 303  # the same form: the same reversal
        async with http.get(page_url) as page:
            assert "Đã đảo bởi" in await page.text()
    entries = await Ledger(web_app.app.db).entries(campaign_id=cid)
    reversals = [e for e in entries if e.reverses_id == gift.id]
    assert len(reversals) == 1 and reversals[0].amount == -gift.amount


async def test_the_statement_downloads_as_pdf_csv_and_xlsx(web_app: WebApp) -> None:
    """The three files download, each verifying against its own checksum."""
    cid = await demo_campaign(web_app)
    async with await signed_in(web_app) as http:
        for fmt, mime in (
            ("pdf", "application/pdf"),
            ("csv", "text/csv"),
            ("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        ):
            async with http.get(web_app.url(f"/can-bo/quy/{cid}/sao-ke.{fmt}")) as file:
                assert file.status == 200
                assert file.content_type == mime
                assert f"sao-ke-{cid}.{fmt}" in file.headers["Content-Disposition"]
                verdict = verify_bytes(await file.read())
            assert verdict.intact, (fmt, verdict.problem)
            assert verdict.state is not None and verdict.state.closing == DEMO_RAISED


def statement_csv(cid: int) -> bytes:
    """A bank statement: a line with the campaign's reference, the demo's FT2026, another."""
    return (
        "Sao kê tài khoản 0011001932418\n"
        "Ngày giao dịch,Số tiền ghi có,Nội dung,Số tham chiếu\n"
        f"20/11/2026,1.000.000,UNG HO GN{cid} NGUYEN VAN BINH,FT111\n"
        "12/05/2026,50.000.000,CONG TY XD HOA CUONG,FT2026\n"
        "19/11/2026,300.000,chuyen tien,FT333\n"
    ).encode()


async def upload(http: aiohttp.ClientSession, url: str, token: str, data: bytes) -> str:
    """Post a statement file as the page's form does; the result page."""
    body = aiohttp.FormData()
    body.add_field("csrf", token)
    body.add_field("file", data, filename="saoke.csv", content_type="text/csv")
    async with http.post(url, data=body) as page:
        assert page.status == 200, await page.text()
        return await page.text()


async def test_a_bank_statement_imported_twice_records_each_line_once(web_app: WebApp) -> None:
    """Proposed, duplicate and unmatched lines; one press records; the same file again: nothing."""
    cid = await demo_campaign(web_app)
    await BankStore(web_app.app.db).set_account(
        cid,
        bin_code="970436",
        number="0011001932418",
        name="UBMTTQ",
        actor=None,
        now=web_app.clock(),
    )
    async with await signed_in(web_app) as http:
        url = web_app.url(f"/can-bo/quy/{cid}/doi-soat")
        async with http.get(url) as page:
            token = csrf_of(await page.text())
        text = await upload(http, url, token, statement_csv(cid))
        assert "Đề xuất ghi nhận (1)" in text and "Chưa rõ đợt (1)" in text
        assert "Đã có trong sổ (1)" in text and "FT2026" in text
        line = re.search(r'name="line" value="(\d+)"', text)
        action = re.search(r'action="(/can-bo/quy/\d+/doi-soat/\d+/ghi)"', text)
        assert line is not None and action is not None
        entries = await count(web_app, "donation_entries")
        for _ in range(2):  # a double press
            async with http.post(
                web_app.url(action[1]), data={"csrf": token, "line": line[1]}
            ) as page:
                shown = await page.text()
        assert "không ghi lần thứ hai" in shown
        assert await count(web_app, "donation_entries") == entries + 1
        lines = await count(web_app, "donation_statement_lines")
        again = await upload(http, url, token, statement_csv(cid))
        assert "0 khoản mới" in again and "Đề xuất ghi nhận (0)" in again
        assert "Đã có trong sổ (2)" in again
    assert await count(web_app, "donation_entries") == entries + 1
    assert await count(web_app, "donation_statement_lines") == lines
    recorded = await Ledger(web_app.app.db).gifts_with_reference(DEMO_WARD.id, "FT111")
    assert len(recorded) == 1 and recorded[0].amount == 1_000_000


async def test_a_bad_statement_file_is_refused_with_a_reason(web_app: WebApp) -> None:
    """A file without the bank's columns: the reason in Vietnamese, the upload form again."""
    cid = await demo_campaign(web_app)
    async with await signed_in(web_app) as http:
        url = web_app.url(f"/can-bo/quy/{cid}/doi-soat")
        async with http.get(url) as page:
            token = csrf_of(await page.text())
        body = aiohttp.FormData()
        body.add_field("csrf", token)
        body.add_field("file", b"a,b\n1,2\n", filename="x.csv", content_type="text/csv")
        async with http.post(url, data=body) as page:
            assert page.status == 400
            assert "Không thấy hàng tiêu đề có cột ngày và số tiền" in await page.text()


async def test_another_wards_campaign_and_records_are_404(web_app: WebApp) -> None:
    """An officer of another ward gets 404 for the demo campaign, its gifts and its forms."""
    cid = await demo_campaign(web_app)
    gift = (await Ledger(web_app.app.db).entries(campaign_id=cid))[0]
    other = await web_app.add_ward()
    async with await signed_in(web_app, other.id) as http:
        async with http.get(web_app.url("/can-bo/quy")) as page:
            assert "Vận động Quỹ Vì người nghèo năm 2026" not in await page.text()
        for path in (
            f"/can-bo/quy/{cid}",
            f"/can-bo/quy/{cid}/ghi-nhan",
            f"/can-bo/quy/{cid}/chi",
            f"/can-bo/quy/{cid}/thu/{gift.id}",
            f"/can-bo/quy/{cid}/sao-ke.csv",
            f"/can-bo/quy/{cid}/doi-soat",
        ):
            async with http.get(web_app.url(path)) as page:
                assert page.status == 404, path
                assert "Không tìm thấy" in await page.text()
        async with http.get(web_app.url("/can-bo")) as desk:
            token = csrf_of(await desk.text())
        async with http.post(
            web_app.url(f"/can-bo/quy/{cid}/ghi-nhan"),
            data={**GIFT, "csrf": token, "key": "ab" * 12},
        ) as page:
            assert page.status == 404
    assert len(await Ledger(web_app.app.db).entries(campaign_id=cid)) == 5


async def test_a_post_without_the_csrf_token_records_nothing(web_app: WebApp) -> None:
    """A gift or a payment posted without the page's token is 403 and nothing is written."""
    cid = await demo_campaign(web_app)
    before = await count(web_app, "donation_entries")
    async with await signed_in(web_app) as http:
        _, _, key = await form(http, web_app.url(f"/can-bo/quy/{cid}/ghi-nhan"))
        for path, data in (("ghi-nhan", GIFT), ("chi", {**OUT, "amount": "1 triệu"})):
            async with http.post(
                web_app.url(f"/can-bo/quy/{cid}/{path}"),
                data={**data, "key": key, "csrf": "forged"},
                allow_redirects=False,
            ) as page:
                assert page.status == 403
    assert await count(web_app, "donation_entries") == before
    assert await count(web_app, "donation_disbursements") == 0


async def test_the_desk_needs_a_signed_in_officer(web_app: WebApp) -> None:
    """Without a session every fund page sends to the sign-in help."""
    cid = await demo_campaign(web_app)
    async with web_app.client() as http:
        for path in ("/can-bo/quy", f"/can-bo/quy/{cid}", f"/can-bo/quy/{cid}/sao-ke.pdf"):
            async with http.get(web_app.url(path), allow_redirects=False) as page:
                assert page.status == 303 and page.headers["Location"] == "/dang-nhap"


async def test_a_gift_in_kind_keeps_its_goods_and_a_transfer_pressed_twice_is_one(
    web_app: WebApp,
) -> None:
    """Goods and quantity reach the ledger and the receipt; a transfer sent twice at once is one."""
    cid = await demo_campaign(web_app)
    before = await count(web_app, "donation_entries")
    url = web_app.url(f"/can-bo/quy/{cid}/ghi-nhan")
    async with await signed_in(web_app) as http:
        _, token, key = await form(http, url)
        goods = {**GIFT, "method": "in_kind", "goods": "gạo ST25", "quantity": "20 bao 10 kg"}
        async with http.post(url, data={**goods, "csrf": token, "key": key}) as page:
            text = await page.text()
        assert "gạo ST25 · 20 bao 10 kg" in text and "Số biên nhận" in text
        _, token, key = await form(http, url)
        transfer = {**GIFT, "method": "transfer", "reference": "FT-NEW-1", "csrf": token}
        pressed = await asyncio.gather(
            *(http.post(url, data={**transfer, "key": key}, allow_redirects=False) for _ in "ab")
        )
        assert [r.status for r in pressed] == [303, 303]
        assert len({r.headers["Location"].split("?")[0] for r in pressed}) == 1
        for response in pressed:
            response.release()
    assert await count(web_app, "donation_entries") == before + 2
    found = await Ledger(web_app.app.db).entries(campaign_id=cid)
    assert (found[-2].goods, found[-2].quantity) == ("gạo ST25", "20 bao 10 kg")
    assert found[-1].reference == "FT-NEW-1"


async def test_goods_paid_from_the_whole_fund_to_a_household_code(web_app: WebApp) -> None:
    """A payment in kind from the ward's whole fund, to a household code, keeps its goods."""
    cid = await demo_campaign(web_app)
    async with await signed_in(web_app) as http:
        url = web_app.url(f"/can-bo/quy/{cid}/chi")
        _, token, key = await form(http, url)
        bad = {**OUT, "source": "fund", "beneficiary": "code", "code": "ab", "kind": "goods"}
        async with http.post(
            url, data={**bad, "amount": "3 triệu", "csrf": token, "key": key}
        ) as r:
            text = await r.text()
        assert "Chưa nhận ra mã hồ sơ hay mã hộ" in text and "Hãy ghi hiện vật là gì." in text
        data = {**bad, "code": "hc-048-0012", "goods": "gạo", "quantity": "10 bao"}
        async with http.post(
            url, data={**data, "amount": "3 triệu", "csrf": token, "key": key}
        ) as r:
            assert "Đã ghi phiếu chi số" in await r.text()
    (row,) = await Ledger(web_app.app.db).disbursements(ward_id=DEMO_WARD.id)
    assert row.campaign_id is None and row.method == "in_kind"
    assert (row.goods, row.quantity, row.household_code) == ("gạo", "10 bao", "HC-048-0012")


async def pay(http: aiohttp.ClientSession, web_app: WebApp, cid: int, amount: str) -> str:
    """Record a payment through the form; the address of its voucher page."""
    url = web_app.url(f"/can-bo/quy/{cid}/chi")
    _, token, key = await form(http, url)
    data = {**OUT, "amount": amount, "csrf": token, "key": key}
    async with http.post(url, data=data, allow_redirects=False) as done:
        assert done.status == 303, await done.text()
        return done.headers["Location"].split("?")[0]


async def test_a_payment_is_reversed_and_a_gift_already_spent_cannot_be(web_app: WebApp) -> None:
    """Reversing a payment gives the money back; a gift whose money was paid out stays."""
    cid = await demo_campaign(web_app)
    ledger = Ledger(web_app.app.db)
    biggest = max(await ledger.entries(campaign_id=cid), key=lambda e: e.amount)
    async with await signed_in(web_app) as http:
        voucher_page = await pay(http, web_app, cid, "70 triệu")
        gift_page = web_app.url(f"/can-bo/quy/{cid}/thu/{biggest.id}")
        _, token, key = await form(http, gift_page)
        data = {"csrf": token, "key": key, "reason": "ghi nhầm"}
        async with http.post(gift_page + "/dao", data=data) as refused:
            assert refused.status == 400
            assert "tiền của nó đã được chi" in await refused.text()
        _, token, key = await form(http, web_app.url(voucher_page))
        data = {"csrf": token, "key": key, "reason": "chi nhầm hộ"}
        async with http.post(web_app.url(voucher_page + "/dao"), data=data) as done:
            assert "Đã ghi bút toán đảo" in await done.text()
        async with http.get(web_app.url(f"/can-bo/quy/{cid}")) as page:
            assert 'id="available">78.300.000\u00a0₫<' in await page.text()
    balance = await ledger.balance(ward_id=DEMO_WARD.id, campaign_id=cid)
    assert (balance.spent, balance.available) == (0, DEMO_RAISED)
    assert await ledger.reversal_of(biggest.id) is None


async def test_a_statement_in_xlsx_is_read_as_the_bank_exports_it(web_app: WebApp) -> None:
    """An XLSX with the bank's heading rows above the table: its line is proposed and recorded."""
    from io import BytesIO

    from openpyxl import Workbook

    cid = await demo_campaign(web_app)
    await BankStore(web_app.app.db).set_account(
        cid, bin_code="970436", number="0011", name="UBMTTQ", actor=None, now=web_app.clock()
    )
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["NGÂN HÀNG TMCP NGOẠI THƯƠNG VIỆT NAM"])
    sheet.append(["Ngày GD", "Ghi có", "Diễn giải", "Số bút toán"])
    sheet.append([date(2026, 11, 19), 1_200_000, f"UNG HO GN{cid}", "XL1"])
    data = BytesIO()
    book.save(data)
    async with await signed_in(web_app) as http:
        url = web_app.url(f"/can-bo/quy/{cid}/doi-soat")
        async with http.get(url) as page:
            token = csrf_of(await page.text())
        text = await upload(http, url, token, data.getvalue())
        assert "Đề xuất ghi nhận (1)" in text and "XL1" in text
        action = re.search(r'action="(/can-bo/quy/\d+/doi-soat/\d+/ghi)"', text)
        assert action is not None
        async with http.post(web_app.url(action[1]), data={"csrf": token, "line": "all"}) as r:
            assert "Số biên nhận" in await r.text()
    (found,) = await Ledger(web_app.app.db).gifts_with_reference(DEMO_WARD.id, "XL1")
    assert found.amount == 1_200_000 and found.donated_on == date(2026, 11, 19)
