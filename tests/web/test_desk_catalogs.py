"""The desk's questions, pre-screening and audit pages: every message in Vietnamese and English."""

from __future__ import annotations

import re
import string
import unicodedata
from pathlib import Path

from bot.core.i18n import load_catalog
from tests.web.conftest import DEMO_WARD_ID, WebApp

ROOT = Path(__file__).resolve().parents[2]
SOURCES = [
    *sorted((ROOT / "bot" / "web" / "templates").glob("questions/*.html")),
    *sorted((ROOT / "bot" / "web" / "templates").glob("prescreen/*.html")),
    *sorted((ROOT / "bot" / "web" / "templates").glob("audit/*.html")),
    *(ROOT / "bot" / "web" / f"desk_{name}.py" for name in ("questions", "prescreen", "audit")),
    ROOT / "bot" / "web" / "pages.py",
]
KEY = re.compile(r"""["'](web_desk\.[a-z0-9_.]+)["'](?!\s*~)""")
PREFIX = re.compile(r"""["'](web_desk\.[a-z0-9_.]+)["']\s*~""")


def fields(text: str) -> set[str]:
    """The `{placeholders}` of a message."""
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_every_desk_message_is_in_both_catalogs_with_the_same_placeholders() -> None:
    """Each key the pages use is in vi and en (NFC), placeholders alike; none is unused."""
    vi, en = load_catalog("vi"), load_catalog("en")
    used: set[str] = set()
    for source in SOURCES:
        text = source.read_text(encoding="utf-8")
        used |= set(KEY.findall(text))
        for prefix in PREFIX.findall(text):  # keys built in templates: "….status." ~ value
            used |= {key for key in vi if key.startswith(prefix)}
    assert len(used) > 80
    own = {key for key in vi if key.startswith("web_desk.")}
    for key in sorted(used):
        assert key in vi and key in en, key
        assert unicodedata.is_normalized("NFC", vi[key]), key
        assert fields(vi[key]) == fields(en[key]), key
    assert own <= used, sorted(own - used)  # no message left unused


async def test_the_desk_pages_switch_to_english(web_app: WebApp) -> None:
    """With English chosen, the three areas' pages are in English."""
    chat = await web_app.officer(ward_id=DEMO_WARD_ID, role="admin")
    link = await web_app.sign_in_link(chat)
    async with web_app.client() as http:
        async with http.get(link) as shown:
            token = re.search(r'name="csrf" value="([^"]+)"', await shown.text())
            assert token is not None
        async with http.post(link, data={"csrf": token[1]}) as desk:
            assert desk.status == 200
        async with http.get(web_app.url("/ngon-ngu?lang=en&next=/can-bo")) as english:
            assert '<html lang="en">' in await english.text()
        expected = {
            "/can-bo/cau-hoi": "Question inbox",
            "/can-bo/cau-hoi/chua-tra-loi": "Unanswered questions",
            "/can-bo/sang-loc": "Pre-screening a household list",
            "/can-bo/nhat-ky": "Audit log",
        }
        for path, heading in expected.items():
            async with http.get(web_app.url(path)) as page:
                assert page.status == 200
                assert f"<h1>{heading}</h1>" in await page.text(), path
