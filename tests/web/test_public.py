"""The fund's public pages over plain HTTP: campaigns, the statement page, QR, PDF, lookup."""

from __future__ import annotations

import html
import io
import random
import re
from datetime import date

import zxingcpp
from PIL import Image

from bot.core.i18n import Translator
from bot.web.public import PublicPages
from handlers.donations._statement import verify_bytes
from storage.bank import BankStore
from storage.ledger import Ledger, NewDisbursement, NewEntry
from tests.harness import Chat
from tests.web.conftest import OTHER_WARD_CODE, WebApp

WARD = "20257"
DEMO_RAISED = 78_300_000  # the demo campaign's five gifts
HIDDEN_DONOR = "Nguyễn Văn An (mẫu)"  # a demo gift in kind whose donor did not agree to be named
vi = Translator("vi")


def money(amount: int) -> str:
    """Đồng as the pages write them (3.700.000 ₫)."""
    return f"{amount:,} ₫".replace(",", ".")


def visible(page: str) -> str:
    """The text of a page's main part, tags dropped, entities and spaces folded."""
    main = page[page.index("<main") : page.index("</main>")]
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", main)))


async def get(web_app: WebApp, path: str) -> tuple[int, str]:
    """GET `path`: its status and text."""
    async with web_app.client() as http, http.get(web_app.url(path)) as response:
        return response.status, await response.text()


async def gift(
    web_app: WebApp,
    amount: int,
    *,
    name: str = "",
    public: bool = False,
    key: str = "",
    day: date = date(2026, 11, 20),
    method: str = "cash",
    donor_type: str = "person",
) -> str:
    """Record a gift to the demo campaign (cash by default); its receipt."""
    entry = await Ledger(web_app.app.db).append(
        NewEntry(
            campaign_id=1,
            ward_id=WARD,
            donor_type=donor_type,
            donor_name=name,
            public=public,
            amount=amount,
            method=method,
            donated_on=day,
            recorded_by=None,
            idempotency_key=key or None,
        ),
        now=web_app.clock(),
    )
    return entry.receipt


async def pay(web_app: WebApp, amount: int, *, name: str, public: bool) -> str:
    """Record a housing payment out of the demo campaign; its voucher."""
    out = await Ledger(web_app.app.db).disburse(
        NewDisbursement(
            ward_id=WARD,
            fund="vnn",
            campaign_id=1,
            purpose="housing",
            amount=amount,
            method="transfer",
            paid_on=date(2026, 11, 20),
            decision_number="15/QĐ-MTTQ",
            decision_date=date(2026, 11, 18),
            recorded_by=None,
            beneficiary_name=name,
            name_public=public,
        ),
        now=web_app.clock(),
    )
    return out.voucher


async def test_the_campaign_page_shows_the_exact_balance_and_names_only_by_consent(
    web_app: WebApp,
) -> None:
    """Gifts minus payments to the đồng; hidden donors and households are never named."""
    named = await pay(web_app, 20_000_000, name="Hộ ông Trần Văn Bình", public=True)
    await pay(web_app, 5_000_000, name="Hộ bà Lê Thị Hoa", public=False)
    undone = await pay(web_app, 1_000_000, name="Hộ bà Lê Thị Hoa", public=False)
    ledger = Ledger(web_app.app.db)
    row = await ledger.by_voucher(undone)
    assert row is not None
    await ledger.reverse_disbursement(row.id, reason="nhầm", recorded_by=None, now=web_app.clock())
    status, page = await get(web_app, "/chien-dich/1")
    assert status == 200
    text = visible(page)
    assert f"Đã thu (các khoản ủng hộ) {money(DEMO_RAISED)}" in text
    assert f"Đã chi (các khoản hỗ trợ) {money(25_000_000)}" in text
    assert f"Còn lại {money(DEMO_RAISED - 25_000_000)}" in text
    assert "Số khoản ủng hộ: 5" in text
    assert "(2,1%)" in text  # 78.3 M of 3.7 bn, written as /baocao writes it
    assert HIDDEN_DONOR not in page and "Lê Thị Hoa" not in page
    assert "Hộ ông Trần Văn Bình" in text and named in text
    assert text.count(vi("donations.statement.household")) == 1  # the reversed one is not listed
    assert undone not in text
    assert "gạo và mì tôm (10 kg gạo, 1 thùng mì)" in text  # goods with their quantity
    assert "Nhà hảo tâm" in text
    assert vi("donations.disburse.purpose.housing") in text
    assert "Phường Hòa Cường" in text  # the commune of each payment
    assert "15/QĐ-MTTQ" in text


async def test_the_page_agrees_with_minhbach(web_app: WebApp) -> None:
    """The raised, spent and available figures are the ones the chat's /minhbach gives."""
    await pay(web_app, 3_000_000, name="Hộ ông Tám", public=False)
    resident = Chat(web_app.app, "resident-minhbach")
    await resident.send("/start")
    said = "\n".join(reply.text for reply in await resident.send("/minhbach"))
    expected = vi(
        "donations.disburse.public_spent",
        spent=money(3_000_000),
        available=money(DEMO_RAISED - 3_000_000),
    )
    assert expected in said
    _, page = await get(web_app, "/chien-dich/1")
    assert f"Còn lại {money(DEMO_RAISED - 3_000_000)}" in visible(page)
    _, listing = await get(web_app, "/chien-dich")
    assert vi(
        "web.public.card_balance",
        spent=money(3_000_000),
        available=money(DEMO_RAISED - 3_000_000),
    ) in visible(listing)


async def test_a_new_gift_shows_at_once(web_app: WebApp) -> None:
    """The kept figures are made again as soon as the ledger has a new row (a reversal too)."""
    _, before = await get(web_app, "/chien-dich/1")
    assert money(DEMO_RAISED) in visible(before)
    receipt = await gift(web_app, 1_234_567, name="Bà Tư", public=True)
    _, after = await get(web_app, "/chien-dich/1")
    text = visible(after)
    assert f"Đã thu (các khoản ủng hộ) {money(DEMO_RAISED + 1_234_567)}" in text
    assert f"{receipt} 20/11/2026 Bà Tư" in text  # newest first
    ledger = Ledger(web_app.app.db)
    entry = await ledger.by_receipt(receipt)
    assert entry is not None
    await ledger.reverse(entry.id, reason="ghi nhầm", recorded_by=None, now=web_app.clock())
    _, undone = await get(web_app, "/chien-dich/1")
    text = visible(undone)
    assert f"Đã thu (các khoản ủng hộ) {money(DEMO_RAISED)}" in text
    assert "Số khoản ủng hộ: 5" in text
    reversal = await ledger.reversal_of(entry.id)
    assert reversal is not None
    assert f"{receipt} {vi('web.public.reversed', number=reversal.receipt)}" in text


async def test_names_are_escaped_in_the_kept_tables(web_app: WebApp) -> None:
    """A donor's name with markup is shown as text, on the first view and on a kept one."""
    await gift(web_app, 100_000, name='<script>alert("x")</script> Bà Năm', public=True)
    for _ in range(2):
        _, page = await get(web_app, "/chien-dich/1")
        assert "<script>alert" not in page
        assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; Bà Năm" in page


async def test_the_kept_figures_are_the_ledgers_summary(web_app: WebApp) -> None:
    """Gifts and reversals landing between views: the page's figures stay `Ledger.summary`'s."""
    pages = PublicPages(web_app.site)
    ledger = Ledger(web_app.app.db)
    campaign = await ledger.campaign(1)
    assert campaign is not None
    rng = random.Random(5)
    open_receipts: list[str] = []
    for step in range(40):
        if rng.random() < 0.7 or not open_receipts:
            receipt = await gift(
                web_app,
                rng.randrange(1, 500) * 10_000,
                key=f"kept-{step}",
                day=date(2026, rng.choice((3, 10, 11)), rng.randint(1, 20)),
                method=rng.choice(("cash", "transfer")),
                donor_type=rng.choice(("person", "business", "salary")),
            )
            open_receipts.append(receipt)
        else:
            entry = await ledger.by_receipt(open_receipts.pop(rng.randrange(len(open_receipts))))
            assert entry is not None
            await ledger.reverse(entry.id, reason="thử", recorded_by=None, now=web_app.clock())
        if step % 3 == 0 or step == 39:
            kept = (await pages.figures(campaign)).summary
            truth = await ledger.summary(1)
            assert kept == truth
            assert list(kept.by_donor_type.items()) == list(truth.by_donor_type.items())
            assert list(kept.by_method.items()) == list(truth.by_method.items())


async def test_long_lists_are_paged(web_app: WebApp) -> None:
    """120 more gifts make 3 pages of 50; a page past the end shows the last; junk shows 1."""
    for number in range(120):
        await gift(web_app, 100_000 + number, key=f"page-{number}")
    _, first = await get(web_app, "/chien-dich/1")
    assert len(re.findall(r"<td>VNN-HC-2026-\d+</td>", first)) == 50
    assert "Trang 1/3" in visible(first)
    assert "VNN-HC-2026-000125" in first and "VNN-HC-2026-000075" not in first
    _, last = await get(web_app, "/chien-dich/1?trang=3&trang_chi=1")
    assert "Trang 3/3" in visible(last)
    assert "VNN-HC-2026-000001" in last and "VNN-HC-2026-000026" not in last
    rows = re.findall(r"<td>VNN-HC-2026-\d+</td>", last)
    assert len(rows) == 25  # 125 gifts: 50 + 50 + 25
    for junk in ("99", "-1", "١", "abc"):
        _, page = await get(web_app, f"/chien-dich/1?trang={junk}")
        assert ("Trang 3/3" if junk == "99" else "Trang 1/3") in visible(page)


async def test_the_qr_is_the_chats_and_decodes(web_app: WebApp) -> None:
    """With an account, the page shows the chat's words and a PNG whose QR names the account."""
    status, _ = await get(web_app, "/chien-dich/1/ma-qr.png")
    assert status == 404  # no account yet
    await BankStore(web_app.app.db).set_account(
        1,
        bin_code="970436",
        number="0071000123456",
        name="UBMTTQ PHUONG HOA CUONG",
        actor=None,
        now=web_app.clock(),
    )
    _, page = await get(web_app, "/chien-dich/1")
    text = visible(page)
    assert "Số tài khoản: 0071000123456" in text
    assert "Ngân hàng: Vietcombank (970436)" in text
    note = re.search(r"Nội dung chuyển khoản: (\S+ [^Q]+?) Quét", text)
    assert note is not None
    async with web_app.client() as http, http.get(web_app.url("/chien-dich/1/ma-qr.png")) as r:
        assert r.status == 200 and r.content_type == "image/png"
        png = await r.read()
    decoded = [found.text for found in zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))]
    assert len(decoded) == 1
    assert "0071000123456" in decoded[0] and "970436" in decoded[0]
    assert note[1].strip() in decoded[0]


async def test_the_statement_pdf_is_public_and_verifies(web_app: WebApp) -> None:
    """Anyone downloads the whole statement as a PDF whose checksum verifies."""
    await pay(web_app, 2_000_000, name="Hộ ông Tám", public=False)
    async with web_app.client() as http, http.get(web_app.url("/chien-dich/1/sao-ke.pdf")) as r:
        assert r.status == 200 and r.content_type == "application/pdf"
        assert 'filename="sao-ke-1.pdf"' in r.headers["Content-Disposition"]
        data = await r.read()
    verdict = verify_bytes(data)
    assert verdict.intact
    assert verdict.state is not None and verdict.state.closing == DEMO_RAISED - 2_000_000
    assert verdict.lines == 6
    for fmt in ("csv", "xlsx"):
        status, _ = await get(web_app, f"/chien-dich/1/sao-ke.{fmt}")
        assert status == 404  # the spreadsheets stay with the ward's officers


async def test_the_lookup_gives_the_chats_answer(web_app: WebApp) -> None:
    """A receipt and a voucher read as the chat's /tracuu reads them; a hidden donor stays so."""
    voucher = await pay(web_app, 4_000_000, name="Hộ bà Lê Thị Hoa", public=False)
    resident = Chat(web_app.app, "resident-lookup")
    await resident.send("/start")
    for number in ("VNN-HC-2026-000001", "VNN-HC-2026-000005", voucher, "VNN-HC-2026-999999"):
        chat = [
            line
            for reply in await resident.send(f"/tracuu {number}")
            for line in reply.text.splitlines()
        ]
        status, page = await get(web_app, f"/tra-cuu?so={number}")
        assert status == 200
        assert f'value="{number}"' in page
        for line in chat:
            assert f"<p>{html.escape(line, quote=False)}</p>" in page
    _, hidden = await get(web_app, "/tra-cuu?so=VNN-HC-2026-000005")
    assert HIDDEN_DONOR not in hidden and "10 kg gạo, 1 thùng mì" in hidden
    _, paid = await get(web_app, f"/tra-cuu?so={voucher}")
    assert "Lê Thị Hoa" not in paid


async def test_bad_lookups_are_told_and_keep_the_field(web_app: WebApp) -> None:
    """An empty or malformed number is a 400 with a Vietnamese message, the field kept."""
    status, empty = await get(web_app, "/tra-cuu?so=+")
    assert status == 400
    assert vi("web.public.lookup_empty") in html.unescape(empty)
    typed = '<b>VNN"</b>'
    async with (
        web_app.client() as http,
        http.get(web_app.url("/tra-cuu"), params={"so": typed}) as response,
    ):
        assert response.status == 400
        page = await response.text()
    assert vi("web.public.lookup_malformed", most=40) in html.unescape(page)
    assert 'value="&lt;b&gt;VNN&#34;&lt;/b&gt;"' in page  # kept, and escaped
    assert "<b>VNN" not in page
    assert 'aria-invalid="true"' in page
    status, blank = await get(web_app, "/tra-cuu")
    assert status == 200 and "field-error" not in blank


async def test_campaigns_are_listed_and_filtered_by_ward(web_app: WebApp) -> None:
    """The list shows each campaign's progress; a ward filter keeps its own; a bad one is told."""
    other = await web_app.add_ward(OTHER_WARD_CODE)
    await Ledger(web_app.app.db).create_campaign(
        ward_id=other.id,
        name="Tết vì người nghèo Hải Châu",
        target=500_000_000,
        starts_on=date(2026, 11, 1),
        ends_on=date(2027, 1, 31),
        created_by=None,
        now=web_app.clock(),
    )
    _, every = await get(web_app, "/chien-dich")
    text = visible(every)
    assert "Vận động Quỹ Vì người nghèo năm 2026" in text and "Tết vì người nghèo Hải Châu" in text
    assert f"Đã thu {money(DEMO_RAISED)} / mục tiêu {money(3_700_000_000)}" in text
    _, one = await get(web_app, f"/chien-dich?phuong={other.id}")
    assert "Tết vì người nghèo Hải Châu" in one and "năm 2026" not in visible(one)
    assert f'value="{other.id}" selected' in one
    status, bad = await get(web_app, "/chien-dich?phuong=khong-co")
    assert status == 400 and vi("web.public.ward_unknown") in html.unescape(bad)
    assert "Tết vì người nghèo Hải Châu" in bad  # every campaign, nothing lost


async def test_unknown_campaigns_are_404(web_app: WebApp) -> None:
    """A campaign that does not exist, or a id that is not a number, is a plain 404."""
    for path in ("/chien-dich/999", "/chien-dich/abc", "/chien-dich/1x/sao-ke.pdf"):
        status, page = await get(web_app, path)
        assert status == 404 and "Không tìm thấy" in page


async def test_the_public_pages_read_in_both_languages(web_app: WebApp) -> None:
    """Every public page is whole in Vietnamese and in English: no message id shows through."""
    await pay(web_app, 1_000_000, name="Hộ ông Tám", public=False)
    paths = ("/chien-dich", "/chien-dich/1", "/tra-cuu", "/tra-cuu?so=VNN-HC-2026-000001")
    async with web_app.client() as http:
        for language, word in (("vi", "Số dư"), ("en", "Balance")):
            async with http.get(web_app.url(f"/ngon-ngu?lang={language}&next=/")):
                pass
            for path in paths:
                async with http.get(web_app.url(path)) as response:
                    page = await response.text()
                assert response.status == 200, path
                assert f'<html lang="{language}">' in page
                assert not re.search(r"\b(web\.public|donations)\.[a-z_.]+", visible(page)), path
            async with http.get(web_app.url("/chien-dich/1")) as response:
                assert word in visible(await response.text())
