"""The web foundation over plain HTTP: sign-in links, sessions, CSRF, ward scope, headers."""

from __future__ import annotations

import io
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import pytest

from bot.app import App
from bot.http_server import HttpServer
from bot.web.site import WebSite
from storage import web_auth
from storage.db import SqliteDatabase
from tests.harness import Chat, FakeClock, make_officer, new_app


@dataclass
class Running:
    """A served site: its address, app and clock."""

    base_url: str
    app: App
    clock: FakeClock
    site: WebSite


@pytest.fixture
async def served(tmp_path: Path) -> AsyncIterator[Running]:
    """The real app with the web site on a free loopback port."""
    clock = FakeClock()
    app = await new_app(tmp_path / "web.sqlite3", clock)
    server = HttpServer("127.0.0.1", 0)
    site = WebSite(app)
    await site.mount(server)
    await server.start()
    try:
        yield Running(f"http://127.0.0.1:{server.port}", app, clock, site)
    finally:
        await server.stop()
        await site.close()
        await app.close()


async def link_for(app: App, user_id: str = "off1", ward_id: str = "20257") -> str:
    """Make an officer, ask `/web` in the chat, return the path of the link it sends."""
    officer = Chat(app, user_id)
    await officer.send("/start")
    await make_officer(app, officer, ward_id=ward_id)
    replies = await officer.send("/web")
    officer.expect("web.link", url=re.search(r"http\S+", replies[-1].text)[0], minutes=10)  # type: ignore[index]
    found = re.search(r"https?://[^/\s]+(/dang-nhap/\S+)", replies[-1].text)
    assert found is not None
    return found[1]


def csrf_of(page: str) -> str:
    """The CSRF token in a page's forms."""
    found = re.search(r'name="csrf" value="([^"]+)"', page)
    assert found is not None, "no CSRF field in the page"
    return found[1]


async def sign_in(http: aiohttp.ClientSession, base: str, path: str) -> aiohttp.ClientResponse:
    """Open a sign-in link and press its button, as an officer's browser does."""
    async with http.get(base + path) as shown:
        assert shown.status == 200
        token = csrf_of(await shown.text())
    return await http.post(base + path, data={"csrf": token}, allow_redirects=False)


async def test_a_link_signs_in_once_and_opens_the_desk(served: Running) -> None:
    """The `/web` link starts a session once; the desk opens; the same link then fails."""
    path = await link_for(served.app)
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        response = await sign_in(http, served.base_url, path)
        assert response.status == 303
        assert response.headers["Location"] == "/can-bo"
        cookie = response.cookies["gn_s"]
        assert cookie["httponly"] and cookie["samesite"] == "Lax"
        async with http.get(served.base_url + "/can-bo", allow_redirects=False) as desk:
            assert desk.status == 200
            page = await desk.text()
            assert "Bàn làm việc của cán bộ" in page
            assert "Phường Hòa Cường" in page
        async with http.get(served.base_url + path) as again:
            assert again.status == 410
            assert "đã được dùng" in await again.text()
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as other:
        async with other.get(served.base_url + path) as shown:
            token = csrf_of(await shown.text()) if shown.status == 200 else "x"
        async with other.post(
            served.base_url + path, data={"csrf": token}, allow_redirects=False
        ) as reused:
            assert reused.status in (403, 410)
            assert "gn_s" not in reused.cookies


async def test_an_expired_link_fails(served: Running) -> None:
    """Eleven minutes after `/web` the link is dead and signs no one in."""
    path = await link_for(served.app)
    served.clock.advance(minutes=11)
    jar = aiohttp.CookieJar(unsafe=True)
    async with aiohttp.ClientSession(cookie_jar=jar) as http, http.get(served.base_url + path) as r:
        assert r.status == 410
        assert "quá 10 phút" in await r.text()


async def test_a_post_without_the_csrf_token_is_refused(served: Running) -> None:
    """A sign-in POST without (or with a wrong) token is 403 and starts no session."""
    path = await link_for(served.app)
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        async with http.get(served.base_url + path):
            pass
        for data in ({}, {"csrf": "forged"}):
            async with http.post(served.base_url + path, data=data, allow_redirects=False) as r:
                assert r.status == 403
                assert "chưa có gì được ghi" in await r.text()
                assert "gn_s" not in r.cookies
        response = await sign_in(http, served.base_url, path)  # the link is still unused
        assert response.status == 303


async def test_the_desk_needs_a_session_and_a_staff_role(served: Running) -> None:
    """Without a session the desk sends to the sign-in help; a demoted officer is out at once."""
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        async with http.get(served.base_url + "/can-bo", allow_redirects=False) as r:
            assert r.status == 303 and r.headers["Location"] == "/dang-nhap"
        path = await link_for(served.app)
        assert (await sign_in(http, served.base_url, path)).status == 303
        await served.app.services.users.set_role(
            "test", "off1", "resident", None, now=served.clock()
        )
        async with http.get(served.base_url + "/can-bo", allow_redirects=False) as r:
            assert r.status == 303


async def test_sessions_end_when_idle_and_on_sign_out(served: Running) -> None:
    """31 minutes idle ends the session; signing out ends it at once."""
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        assert (await sign_in(http, served.base_url, await link_for(served.app))).status == 303
        served.clock.advance(minutes=29)
        async with http.get(served.base_url + "/can-bo", allow_redirects=False) as r:
            assert r.status == 200  # moves the idle deadline
            token = csrf_of(await r.text())
        served.clock.advance(minutes=29)
        async with http.get(served.base_url + "/can-bo", allow_redirects=False) as r:
            assert r.status == 200
        async with http.post(
            served.base_url + "/dang-xuat", data={"csrf": token}, allow_redirects=False
        ) as out:
            assert out.status == 303
        async with http.get(served.base_url + "/can-bo", allow_redirects=False) as r:
            assert r.status == 303
        assert (
            await sign_in(http, served.base_url, await link_for(served.app, "off2"))
        ).status == 303
        served.clock.advance(minutes=31)
        async with http.get(served.base_url + "/can-bo", allow_redirects=False) as r:
            assert r.status == 303


async def test_only_hashes_are_stored(served: Running) -> None:
    """Neither the link token nor the session id is in the database."""
    path = await link_for(served.app)
    token = path.rsplit("/", 1)[1]
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        response = await sign_in(http, served.base_url, path)
        session_id = response.cookies["gn_s"].value
    assert isinstance(served.app.db, SqliteDatabase)
    dump = "\n".join(served.app.db._raw().iterdump())
    assert token not in dump and session_id not in dump
    assert web_auth.digest(token) in dump


async def test_pages_carry_strict_headers_and_vietnamese(served: Running) -> None:
    """Pages are Vietnamese by default, with CSP, nosniff, no referrer; unknown paths are 404."""
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        async with http.get(served.base_url + "/") as home:
            assert home.status == 200
            assert "script-src 'self'" in home.headers["Content-Security-Policy"]
            assert home.headers["Referrer-Policy"] == "no-referrer"
            assert home.headers["X-Content-Type-Options"] == "nosniff"
            assert '<html lang="vi">' in await home.text()
        async with http.get(served.base_url + "/khong-co") as missing:
            assert missing.status == 404
            assert "Không tìm thấy" in await missing.text()
        async with http.get(served.base_url + "/static/vendor/htmx.min.js") as js:
            assert js.status == 200 and "htmx" in await js.text()
        async with http.get(
            served.base_url + "/ngon-ngu?lang=en&next=//evil.example", allow_redirects=False
        ) as switch:
            assert switch.headers["Location"] == "/"
        async with http.get(served.base_url + "/") as english:
            assert '<html lang="en">' in await english.text()


async def test_a_resident_gets_no_link(served: Running) -> None:
    """`/web` is for officers only: a resident's `/web` issues no link."""
    resident = Chat(served.app, "res1")
    await resident.send("/start")
    replies = await resident.send("/web")
    assert "/dang-nhap/" not in "\n".join(r.text for r in replies)
    count = await served.app.db.fetchone("SELECT COUNT(*) FROM web_links")
    assert count is not None and count[0] == 0


async def test_a_body_over_the_limit_gets_a_vietnamese_413(served: Running) -> None:
    """A 13 MB upload gets a Vietnamese page saying the limit, not aiohttp's plain 413."""
    form = aiohttp.FormData()
    form.add_field("csrf", "x")
    form.add_field("file", io.BytesIO(b"a" * (13 * 1024 * 1024)), filename="big.csv")
    jar = aiohttp.CookieJar(unsafe=True)
    async with (
        aiohttp.ClientSession(cookie_jar=jar) as http,
        http.post(served.base_url + "/dang-xuat", data=form) as response,
    ):
        assert response.status == 413
        assert "tối đa 10 MB" in await response.text()
