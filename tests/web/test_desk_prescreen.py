"""The desk's pre-screening over plain HTTP: a list in, the summary and a private result out."""

from __future__ import annotations

import csv
import io
import re
import stat

import aiohttp
from openpyxl import Workbook, load_workbook

from bot.core.i18n import Translator
from bot.web.desk_prescreen import Prescreens
from knowledge.batch import COMPARE_COLUMNS, OUTPUT_COLUMNS
from tests.web.conftest import DEMO_WARD_ID, WebApp
from tests.web.test_desk_questions import csrf_of
from tests.web.test_desk_questions import signed_in as desk_signed_in

T = Translator("vi")
RESULT = re.compile(r'href="(/can-bo/sang-loc/ket-qua/[A-Za-z0-9_-]+)"')
HEADER = ["id", "area", "members", "monthly_income", "employment", "water", "sanitation"]
ROWS = [
    ["H1", "rural", "3", "4.500.000", "1", "1", "1"],
    ["", "rural", "3", "1", "0", "0", "0"],
    ["H3", "thành thị", "2", "9000000", "0", "0", "0"],
    ["H4", "urban", "0", "1", "0", "0", "0"],
    ["H5", "nông thôn", "1", "1000000", "có", "", "x"],
]


def csv_bytes(rows: list[list[str]], header: list[str] = HEADER) -> bytes:
    """A household list as Excel saves CSV in Vietnamese (UTF-8 with BOM, `;`)."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode("utf-8-sig")


def xlsx_bytes(rows: list[list[str]]) -> bytes:
    """A household list as an XLSX workbook."""
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(HEADER)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


async def signed_in(web_app: WebApp, http: aiohttp.ClientSession, user_id: str) -> str:
    """Sign a new officer of the demo ward in through a real `/web` link; a CSRF token."""
    await desk_signed_in(web_app, http, ward_id=DEMO_WARD_ID, user_id=user_id)
    async with http.get(web_app.url("/can-bo/sang-loc")) as form:
        assert form.status == 200
        return csrf_of(await form.text())


def upload_form(token: str, data: bytes, name: str, **fields: str) -> aiohttp.FormData:
    """The pre-screening form as a browser sends it (multipart)."""
    form = aiohttp.FormData()
    form.add_field("csrf", token)
    for key, value in fields.items():
        form.add_field(key, value)
    form.add_field("tep", io.BytesIO(data), filename=name, content_type="application/octet-stream")
    return form


def results_of(web_app: WebApp) -> Prescreens:
    """The site's pre-screening results (found through their cleanup)."""
    for cleanup in web_app.site.cleanups:
        owner = getattr(cleanup, "__self__", None)
        if isinstance(owner, Prescreens):
            return owner
    raise AssertionError("no pre-screening on the site")


async def test_a_csv_list_gives_the_summary_the_comparison_and_a_private_file(
    web_app: WebApp,
) -> None:
    """A CSV list: counts, bad rows, the 2027 comparison, and its result only to its session."""
    async with web_app.client() as http, web_app.client() as other:
        token = await signed_in(web_app, http, "off-a")
        form = upload_form(token, csv_bytes(ROWS), "ho.csv", ngay="2026-11-21", **{"so-sanh": "1"})
        async with http.post(web_app.url("/can-bo/sang-loc"), data=form) as shown:
            assert shown.status == 200
            page = await shown.text()
        assert T("web_desk.prescreen.rows", ok="3", bad="2", day="21/11/2026") in page
        assert "Dòng 3:" in page and "Dòng 5:" in page
        assert T("web_desk.prescreen.compare_title", day="01/01/2027") in page
        assert "Số hộ đã phân loại: 3; số dòng lỗi: 2." in page  # the CLI's own report
        assert str(results_of(web_app).folder) not in page and "Đã ghi kết quả vào" not in page
        found = RESULT.search(page)
        assert found is not None
        async with http.get(web_app.url(found[1])) as download:
            assert download.status == 200
            assert download.headers["Content-Disposition"].startswith("attachment;")
            assert download.headers["Cache-Control"] == "no-store"
            rows = list(csv.reader(io.StringIO((await download.read()).decode("utf-8-sig"))))
        assert rows[0] == [*HEADER, *OUTPUT_COLUMNS, *COMPARE_COLUMNS]
        assert [row[0] for row in rows[1:]] == ["H1", "", "H3", "H4", "H5"]
        await signed_in(web_app, other, "off-b")  # another officer of the same ward
        async with other.get(web_app.url(found[1])) as refused:
            assert refused.status == 404
    kept = list(results_of(web_app).folder.iterdir())
    assert len(kept) == 1 and kept[0].name.endswith("-out.csv")  # the upload is gone
    assert stat.S_IMODE(kept[0].stat().st_mode) == 0o600
    assert stat.S_IMODE(results_of(web_app).folder.stat().st_mode) == 0o700
    audit = await web_app.app.db.fetchall(
        "SELECT detail FROM audit_log WHERE action = 'prescreen.run'"
    )
    assert [row["detail"] for row in audit] == ['{"rows": 3, "bad_rows": 2, "format": "csv"}']


async def test_an_xlsx_list_gives_an_xlsx_result_kept_thirty_minutes(web_app: WebApp) -> None:
    """An XLSX list gives an XLSX result; 31 minutes later it is gone (404, file deleted)."""
    async with web_app.client() as http:
        token = await signed_in(web_app, http, "off-c")
        form = upload_form(token, xlsx_bytes(ROWS), "Danh sách.xlsx")
        async with http.post(web_app.url("/can-bo/sang-loc"), data=form) as shown:
            page = await shown.text()
        found = RESULT.search(page)
        assert found is not None
        async with http.get(web_app.url(found[1])) as download:
            assert download.status == 200
            workbook = load_workbook(io.BytesIO(await download.read()), read_only=True)
            sheet = workbook.worksheets[0]
            values = [list(row) for row in sheet.iter_rows(values_only=True)]
        assert values[0][: len(HEADER)] == HEADER and len(values) == 1 + len(ROWS)
        async with http.get(web_app.url("/can-bo"), allow_redirects=False) as desk:
            assert desk.status == 200  # keeps the session alive
        web_app.clock.advance(minutes=29)
        async with http.get(web_app.url("/can-bo"), allow_redirects=False) as desk:
            assert desk.status == 200
        web_app.clock.advance(minutes=2)
        async with http.get(web_app.url(found[1])) as expired:
            assert expired.status == 404
    assert list(results_of(web_app).folder.iterdir()) == []


async def test_bad_files_get_a_clear_vietnamese_message(web_app: WebApp) -> None:
    """A wrong type, an empty, broken or too large file, a missing column: a message on the form."""
    async with web_app.client() as http:
        token = await signed_in(web_app, http, "off-d")
        cases = [
            (b"id,area\n", "ho.txt", T("web_desk.prescreen.bad_type")),
            (b"", "ho.csv", T("web_desk.prescreen.empty")),
            (b"not a workbook", "ho.xlsx", T("web_desk.prescreen.unreadable", kind="XLSX")),
            (csv_bytes(ROWS, ["id", "area", "members"]), "ho.csv", "Lỗi định dạng tệp:"),
            ("id;area\nH1;rural\n".encode("cp1258"), "ho.csv", "Lỗi định dạng tệp:"),
            (b"a" * (10 * 1024 * 1024 + 1), "ho.csv", T("web_desk.prescreen.too_big", size=10)),
        ]
        for data, name, message in cases:
            async with http.post(
                web_app.url("/can-bo/sang-loc"), data=upload_form(token, data, name)
            ) as refused:
                assert refused.status == 400, name
                page = await refused.text()
                assert message in page, (name, message)
                assert 'name="tep"' in page  # the same form, to send another file
        no_file = aiohttp.FormData({"csrf": token, "ngay": "2026-13-01"})
        async with http.post(web_app.url("/can-bo/sang-loc"), data=no_file) as refused:
            assert refused.status == 400
            assert T("web_desk.prescreen.bad_day") in await refused.text()
        no_file = aiohttp.FormData({"csrf": token})
        async with http.post(web_app.url("/can-bo/sang-loc"), data=no_file) as refused:
            assert refused.status == 400
            assert T("web_desk.prescreen.no_file") in await refused.text()
    assert list(results_of(web_app).folder.iterdir()) == []


async def test_an_upload_without_the_csrf_token_is_refused(web_app: WebApp) -> None:
    """A multipart POST without the token is 403 and classifies nothing."""
    async with web_app.client() as http:
        await signed_in(web_app, http, "off-e")
        form = aiohttp.FormData()
        form.add_field("tep", csv_bytes(ROWS), filename="ho.csv")
        async with http.post(web_app.url("/can-bo/sang-loc"), data=form) as refused:
            assert refused.status == 403
    assert list(results_of(web_app).folder.iterdir()) == []
    audit = await web_app.app.db.fetchall("SELECT id FROM audit_log WHERE action = 'prescreen.run'")
    assert audit == []


async def test_signed_out_the_form_sends_to_sign_in(web_app: WebApp) -> None:
    """Without a session the pre-screening redirects to the sign-in help page."""
    async with (
        web_app.client() as http,
        http.get(web_app.url("/can-bo/sang-loc"), allow_redirects=False) as r,
    ):
        assert r.status == 303 and r.headers["Location"] == "/dang-nhap"
