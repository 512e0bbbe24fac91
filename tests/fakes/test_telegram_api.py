"""Tests of the fake Telegram Bot API server, driven by a real python-telegram-bot client."""

from __future__ import annotations

import asyncio
import datetime as dtm
import time
import warnings
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import BadRequest, Conflict, Forbidden, RetryAfter
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bench.echo_bot import build_echo_application, run_load
from tests.fakes.telegram_api import (
    SECRET_HEADER,
    FakeBotApi,
    make_callback_update,
    make_message_update,
    post_webhook,
)

AnyApplication = Application[Any, Any, Any, Any, Any, Any]


async def _on_start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Reply to /start with the command's arguments."""
    assert update.effective_message is not None
    await update.effective_message.reply_text(f"started {' '.join(context.args or [])}".strip())


async def _on_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Echo the text with one inline button."""
    message = update.effective_message
    assert message is not None and message.text is not None
    context.bot_data.setdefault("update_ids", []).append(update.update_id)
    keyboard = InlineKeyboardMarkup(
        [[InlineKeyboardButton("Bấm", callback_data=f"press:{message.text}")]]
    )
    await message.reply_text(message.text, reply_markup=keyboard)


async def _on_callback(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Answer the press and edit the message."""
    query = update.callback_query
    assert query is not None
    await query.answer("ok")
    await query.edit_message_text(f"pressed {query.data}")


async def _on_document(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Download the document and report its name and content."""
    message = update.effective_message
    assert message is not None and message.document is not None
    file = await message.document.get_file()
    content = bytes(await file.download_as_bytearray())
    await message.reply_text(f"{message.document.file_name}:{content.decode()}")


def _build_app(fake: FakeBotApi) -> AnyApplication:
    """The bare echo application used by these tests."""
    app = (
        ApplicationBuilder()
        .token(fake.token)
        .base_url(fake.base_url)
        .base_file_url(fake.base_file_url)
        .concurrent_updates(8)
        .build()
    )
    app.add_handler(CommandHandler("start", _on_start))
    app.add_handler(MessageHandler(filters.TEXT, _on_text))
    app.add_handler(MessageHandler(filters.Document.ALL, _on_document))
    app.add_handler(CallbackQueryHandler(_on_callback))
    return app


@pytest.fixture
async def fake() -> AsyncIterator[FakeBotApi]:
    async with FakeBotApi() as api:
        yield api


@pytest.fixture
async def app(fake: FakeBotApi) -> AsyncIterator[AnyApplication]:
    application = _build_app(fake)
    async with application:
        await application.start()
        assert application.updater is not None
        await application.updater.start_polling(poll_interval=0, timeout=1)
        yield application
        await application.updater.stop()
        await application.stop()


@pytest.fixture
async def bot(fake: FakeBotApi) -> AsyncIterator[Bot]:
    async with Bot(fake.token, base_url=fake.base_url, base_file_url=fake.base_file_url) as b:
        yield b


async def test_text_is_echoed_with_keyboard(fake: FakeBotApi, app: AnyApplication) -> None:
    """A pushed text message is echoed back with the inline keyboard recorded."""
    fake.push_message(1001, "xin chào")
    (reply,) = await fake.wait_for_messages(1001, 1)
    assert reply.method == "sendMessage"
    assert reply.text == "xin chào"
    assert reply.buttons() == [("Bấm", "press:xin chào")]
    assert fake.sent == [reply]


async def test_command_entity_reaches_command_handler(
    fake: FakeBotApi, app: AnyApplication
) -> None:
    """Text starting with a slash carries a bot_command entity that CommandHandler matches."""
    fake.push_message(1002, "/start abc")
    (reply,) = await fake.wait_for_messages(1002, 1)
    assert reply.text == "started abc"


async def test_message_ids_increase_per_chat(fake: FakeBotApi, app: AnyApplication) -> None:
    """Users' and the bot's messages share one increasing id sequence per chat."""
    first = fake.push_message(1003, "một")
    await fake.wait_for_messages(1003, 1)
    second = fake.push_message(1003, "hai")
    replies = await fake.wait_for_messages(1003, 2)
    assert [first, replies[0].message_id, second, replies[1].message_id] == [1, 2, 3, 4]
    assert fake.push_message(1004, "khác") == 1
    assert (await fake.wait_for_messages(1004, 1))[0].message_id == 2


async def test_callback_is_answered_and_message_edited(
    fake: FakeBotApi, app: AnyApplication
) -> None:
    """A button press on the bot's last message is answered and the message edited."""
    fake.push_message(1005, "menu")
    (reply,) = await fake.wait_for_messages(1005, 1)
    mark = fake.mark(1005)
    callback_id = fake.push_callback(1005, reply.buttons()[0][1])
    (edit,) = await fake.wait_for_next(1005, after=mark)
    assert edit.edited and edit.method == "editMessageText"
    assert edit.message_id == reply.message_id
    assert edit.text == "pressed press:menu"
    assert fake.answered_callbacks == [callback_id]
    assert fake.callback_answers[0]["text"] == "ok"


async def test_wait_timeout_reports_what_arrived(fake: FakeBotApi, app: AnyApplication) -> None:
    """Waiting for more messages than arrive fails with the received texts listed."""
    fake.push_message(1006, "chỉ một")
    await fake.wait_for_messages(1006, 1)
    with pytest.raises(AssertionError, match="chỉ một"):
        await fake.wait_for_messages(1006, 2, timeout=0.2)


async def test_blocked_user_send_raises_forbidden(fake: FakeBotApi, bot: Bot) -> None:
    """Sending to a blocked user raises Forbidden with Telegram's description."""
    fake.blocked_users.add(2001)
    with pytest.raises(Forbidden, match="bot was blocked by the user"):
        await bot.send_message(2001, "xin chào")
    assert fake.messages_to(2001) == []


async def test_injected_429_raises_retry_after_once(fake: FakeBotApi, bot: Bot) -> None:
    """An injected 429 surfaces as RetryAfter, and only for the next call."""
    fake.fail_next("sendMessage", retry_after=3)
    with pytest.raises(RetryAfter) as caught:
        await bot.send_message(2002, "một")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert caught.value.retry_after in (3, dtm.timedelta(seconds=3))
    message = await bot.send_message(2002, "hai")
    assert message.text == "hai"
    assert [m.text for m in fake.messages_to(2002)] == ["hai"]


async def test_send_document_and_photo_record_uploads(fake: FakeBotApi, bot: Bot) -> None:
    """Multipart uploads are recorded with file name, bytes and caption."""
    sent = await bot.send_document(
        2003, document=b"a,b\n1,2\n", filename="bao_cao.csv", caption="Báo cáo"
    )
    await bot.send_photo(2003, photo=b"\x89PNG fake", filename="chart.png")
    document, photo = fake.messages_to(2003)
    assert (document.method, document.document_name) == ("sendDocument", "bao_cao.csv")
    assert document.document_bytes == b"a,b\n1,2\n"
    assert document.caption == "Báo cáo"
    assert sent.document is not None and sent.document.file_name == "bao_cao.csv"
    assert (photo.method, photo.document_bytes) == ("sendPhoto", b"\x89PNG fake")


async def test_pushed_document_can_be_downloaded(fake: FakeBotApi, app: AnyApplication) -> None:
    """A pushed document is downloadable through getFile and the file URL."""
    fake.push_document(1007, "ho_so.txt", b"noi dung")
    (reply,) = await fake.wait_for_messages(1007, 1)
    assert reply.text == "ho_so.txt:noi dung"


async def test_same_update_pushed_twice_is_redelivered(
    fake: FakeBotApi, app: AnyApplication
) -> None:
    """Pushing the same dict twice delivers the same update id twice."""
    update = make_message_update(1008, "lặp", message_id=50)
    first = fake.push_raw_update(update)
    await fake.wait_for_messages(1008, 1)
    assert fake.push_raw_update(update) == first
    await fake.wait_for_messages(1008, 2)
    assert app.bot_data["update_ids"] == [first, first]


async def test_get_updates_confirms_only_below_offset(fake: FakeBotApi, bot: Bot) -> None:
    """Updates stay pending until a later offset confirms them."""
    ids = [fake.push_message(3001, text) for text in ("a", "b", "c")]
    assert ids == [1, 2, 3]
    first = await bot.get_updates(timeout=0)
    again = await bot.get_updates(timeout=0)
    assert [u.update_id for u in first] == [u.update_id for u in again] == [1, 2, 3]
    limited = await bot.get_updates(offset=2, limit=1, timeout=0)
    assert [u.update_id for u in limited] == [2]
    assert await bot.get_updates(offset=4, timeout=0) == ()
    assert fake.pending_updates == 0


async def test_long_poll_returns_as_soon_as_update_arrives(fake: FakeBotApi, bot: Bot) -> None:
    """A long poll wakes up on a push instead of waiting out its timeout."""
    task = asyncio.create_task(bot.get_updates(timeout=5))
    await asyncio.sleep(0.1)
    started = time.monotonic()
    fake.push_message(3002, "dậy")
    updates = await task
    assert time.monotonic() - started < 1.0
    assert updates[0].message is not None and updates[0].message.text == "dậy"


async def test_allowed_updates_filters_kinds(fake: FakeBotApi, bot: Bot) -> None:
    """Updates of kinds outside allowed_updates are dropped."""
    fake.push_raw_update(make_callback_update(3003, "x", message={"chat": {"id": 3003}}))
    fake.push_message(3003, "giữ")
    updates = await bot.get_updates(timeout=0, allowed_updates=["message"])
    assert [u.message.text for u in updates if u.message] == ["giữ"]
    assert len(updates) == 1


async def test_builders_produce_valid_updates(bot: Bot) -> None:
    """The standalone builders give dicts python-telegram-bot parses."""
    raw = make_message_update(42, "/help me", message_id=7, update_id=9, first_name="Lan")
    update = Update.de_json(raw, bot)
    assert update.update_id == 9
    assert update.effective_user is not None and update.effective_user.first_name == "Lan"
    assert update.effective_chat is not None and update.effective_chat.type == "private"
    assert update.message is not None and update.message.parse_entities() == {
        update.message.entities[0]: "/help"
    }
    assert update.effective_user.language_code == "vi"
    assert raw["message"]["message_id"] == 7
    bot_message = {"message_id": 8, "date": 0, "chat": {"id": 42, "type": "private"}}
    callback = Update.de_json(make_callback_update(42, "d", message=bot_message, update_id=10), bot)
    assert callback.callback_query is not None and callback.callback_query.data == "d"
    assert callback.callback_query.message is not None
    assert callback.callback_query.message.message_id == 8


async def test_webhook_calls_are_recorded_and_block_polling(fake: FakeBotApi, bot: Bot) -> None:
    """A set webhook is recorded and makes getUpdates conflict until it is deleted."""
    await bot.set_webhook("https://example.invalid/hook", secret_token="bí-mật")
    assert (fake.webhook_url, fake.webhook_secret) == ("https://example.invalid/hook", "bí-mật")
    info = await bot.get_webhook_info()
    assert info.url == "https://example.invalid/hook"
    with pytest.raises(Conflict):
        await bot.get_updates(timeout=0)
    await bot.delete_webhook(drop_pending_updates=True)
    assert fake.webhook_url is None
    assert await bot.get_updates(timeout=0) == ()


async def test_post_webhook_sends_update_and_secret() -> None:
    """post_webhook POSTs the JSON update with the secret header only when given."""
    received: list[tuple[str | None, dict[str, Any]]] = []

    async def receive(request: web.Request) -> web.Response:
        received.append((request.headers.get(SECRET_HEADER), await request.json()))
        return web.Response(status=200 if len(received) == 1 else 403)

    webapp = web.Application()
    webapp.router.add_post("/hook", receive)
    runner = web.AppRunner(webapp)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        port = runner.addresses[0][1]
        update = make_message_update(7, "hi", update_id=1)
        assert await post_webhook(f"http://127.0.0.1:{port}/hook", update, secret="s3") == 200
        assert await post_webhook(f"http://127.0.0.1:{port}/hook", update, secret=None) == 403
    finally:
        await runner.cleanup()
    assert received == [("s3", update), (None, update)]


async def test_misc_methods_and_unknown_method_fallback(fake: FakeBotApi, bot: Bot) -> None:
    """getMe, commands, chat actions and unknown methods behave like Telegram."""
    me = await bot.get_me()
    assert (me.username, me.id) == ("giamngheo_test_bot", 123456)
    await bot.set_my_commands([("start", "Bắt đầu"), ("help", "Trợ giúp")], language_code="vi")
    assert [c["command"] for c in fake.my_commands[("default", "vi")]] == ["start", "help"]
    commands = await bot.get_my_commands(language_code="vi")
    assert [c.description for c in commands] == ["Bắt đầu", "Trợ giúp"]
    await bot.delete_my_commands(language_code="vi")
    assert fake.my_commands == {}
    await bot.send_chat_action(4001, "typing")
    assert fake.chat_actions == [(4001, "typing")]
    assert await bot.do_api_request("someFutureMethod", api_kwargs={"x": 1}) is True
    assert fake.other_calls == ["someFutureMethod"]
    assert fake.last_params["someFutureMethod"] == {"x": "1"}


async def test_edit_to_same_content_is_not_modified(fake: FakeBotApi, bot: Bot) -> None:
    """Editing a message to identical text fails like Telegram; unknown ids are not found."""
    message = await bot.send_message(4002, "giống")
    with pytest.raises(BadRequest, match="not modified"):
        await bot.edit_message_text("giống", chat_id=4002, message_id=message.message_id)
    with pytest.raises(BadRequest, match="not found"):
        await bot.edit_message_text("khác", chat_id=4002, message_id=999)
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("A", callback_data="a")]])
    await bot.edit_message_reply_markup(
        chat_id=4002, message_id=message.message_id, reply_markup=markup
    )
    assert fake.markup_edits[0].buttons() == [("A", "a")]
    assert len(fake.sent) == 1


async def test_json_bodies_and_wrong_token(fake: FakeBotApi) -> None:
    """JSON requests are understood; a wrong token gets 401."""
    payload = {
        "chat_id": 4003,
        "text": "<b>Đậm</b> &amp; nhạt",
        "parse_mode": "HTML",
        "reply_markup": {"inline_keyboard": [[{"text": "X", "callback_data": "x"}]]},
    }
    async with aiohttp.ClientSession() as session:
        async with session.post(f"{fake.base_url}{fake.token}/sendMessage", json=payload) as r:
            body = await r.json()
        async with session.post(f"{fake.base_url}1:WRONG/getMe") as wrong:
            assert wrong.status == 401
    assert body["ok"] is True and body["result"]["message_id"] == 1
    (record,) = fake.messages_to(4003)
    assert record.buttons() == [("X", "x")]
    assert record.plain_text == "Đậm & nhạt"


async def test_run_load_echo_baseline_small(fake: FakeBotApi) -> None:
    """run_load drives the echo bot: every update gets its reply, callbacks included."""
    result = await run_load(fake, build_echo_application, updates=60, users=12, reply_timeout=10)
    assert (result.replied, result.errors) == (60, 0)
    assert result.updates_per_s > 0 and result.p50_ms <= result.p99_ms
    assert len(fake.answered_callbacks) == 12 * 2
