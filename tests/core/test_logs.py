"""The log filter and setup: tokens, identity numbers, phones and names never written."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.core.config import Config
from bot.core.logs import TOKEN_MASK, RedactingFilter, config_secrets, redact, setup_logging
from knowledge.redact import ID_MASK, NAME_MASK, PHONE_MASK

TOKEN = "7012345678:AAHk3vQ9xZ_Lm-2pR8sT4uV6wX0yB1cD5eF"  # shaped like a real token
SHORT_TOKEN = "123456:TEST"  # the fake Bot API's: not token-shaped


@pytest.fixture
def root_state() -> Iterator[None]:
    """Give the test a root logger with no handler and put everything back afterwards."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    names = ["httpx", "httpcore", "telegram", "telegram.ext", "aiosqlite"]
    levels = {name: logging.getLogger(name).level for name in names}
    root.handlers = []
    try:
        yield
    finally:
        for handler in root.handlers:
            handler.close()
        root.handlers = handlers
        for kept in handlers:
            for added in [f for f in kept.filters if isinstance(f, RedactingFilter)]:
                kept.removeFilter(added)
        root.setLevel(level)
        for name, old in levels.items():
            logging.getLogger(name).setLevel(old)


def _logger_into(stream: io.StringIO, secrets: list[str]) -> logging.Logger:
    handler = logging.StreamHandler(stream)
    handler.addFilter(RedactingFilter(secrets))
    logger = logging.getLogger(f"tests.logs.{id(stream)}")
    logger.propagate = False
    logger.handlers = [handler]
    logger.setLevel(logging.DEBUG)
    return logger


def test_token_shapes_and_bot_urls_are_masked() -> None:
    """A token-shaped value, a /bot<token>/ URL path and a configured secret are all masked."""
    url = f"https://api.telegram.org/bot{TOKEN}/getUpdates"
    assert redact(url) == f"https://api.telegram.org/bot{TOKEN_MASK}/getUpdates"
    assert redact(f"token={TOKEN} ok") == f"token={TOKEN_MASK} ok"
    fake_url = f"http://127.0.0.1:5000/bot{SHORT_TOKEN}/sendMessage"
    assert SHORT_TOKEN not in redact(fake_url)  # any token in a Bot API path
    file_url = f"http://127.0.0.1:5000/file/bot{SHORT_TOKEN}/photos/a.jpg"
    assert redact(file_url) == f"http://127.0.0.1:5000/file/bot{TOKEN_MASK}/photos/a.jpg"
    assert redact("secret s3cr3t-webhook here", ["s3cr3t-webhook"]) == "secret [token] here"


def test_identity_numbers_and_phones_are_masked() -> None:
    """12-digit CCCD, 9-digit CMND and phones (0…, +84…, spaced or dotted) become labels."""
    cases = {
        "cccd 079123456789": f"cccd {ID_MASK}",
        "cccd 079 123 456 789": f"cccd {ID_MASK}",
        "cmnd 212345678": f"cmnd {ID_MASK}",
        "sđt 0905123456": f"sđt {PHONE_MASK}",
        "sđt 0905 123 456": f"sđt {PHONE_MASK}",
        "sđt 0905.123.456": f"sđt {PHONE_MASK}",
        "sđt +84 905 123 456": f"sđt {PHONE_MASK}",
        "sđt +84905123456": f"sđt {PHONE_MASK}",
    }
    for text, expected in cases.items():
        assert redact(text) == expected, text
    assert redact("tôi tên Nguyễn Văn An ở xã Tân Hòa") == f"tôi tên {NAME_MASK} ở xã Tân Hòa"
    assert redact("thu nhập 1.500.000 đồng, chat=42") == "thu nhập 1.500.000 đồng, chat=42"


def test_filter_masks_message_args_and_traceback() -> None:
    """A record's arguments and its traceback are masked; the record itself is kept."""
    stream = io.StringIO()
    logger = _logger_into(stream, [TOKEN])
    logger.info("GET %s status=%d", f"http://x/bot{TOKEN}/getMe", 200)
    logger.debug("update %r", {"text": "tôi tên Nguyễn Văn An, cccd 079123456789"})
    try:
        raise ValueError("invalid literal: '0905 123 456'")
    except ValueError:
        logger.exception("turn failed for %s", "+84905123456")
    logger.warning("%s %s", "too few")  # a bad format is written, not dropped
    written = stream.getvalue()
    for leaked in (TOKEN, "Nguyễn", "079123456789", "0905 123 456", "+84905123456"):
        assert leaked not in written, leaked
    assert "GET http://x/bot[token]/getMe status=200" in written
    assert "ValueError: invalid literal: '[số điện thoại]'" in written
    assert "Traceback" in written
    assert "too few" in written


def test_config_secrets_lists_every_set_secret(tmp_path: Path) -> None:
    """Every configured token and secret is found; empty ones are not."""
    config = Config.from_mapping(
        {
            "DATABASE_PATH": str(tmp_path / "db.sqlite3"),
            "TELEGRAM_BOT_TOKEN": TOKEN,
            "WEBHOOK_SECRET": "webhook-secret-1",
            "ZALO_BOT_TOKEN": "zalo-bot-token-1",
        }
    )
    assert sorted(config_secrets(config)) == sorted([TOKEN, "webhook-secret-1", "zalo-bot-token-1"])


@pytest.mark.usefixtures("root_state")
@pytest.mark.parametrize(
    ("verbosity", "root_level", "ptb_level"),
    [
        (0, logging.WARNING, logging.WARNING),
        (1, logging.INFO, logging.INFO),
        (2, logging.DEBUG, logging.INFO),
    ],
)
def test_setup_keeps_http_and_ptb_loggers_quiet(
    verbosity: int, root_level: int, ptb_level: int
) -> None:
    """httpx/httpcore stay at WARNING and PTB at INFO at most, whatever the verbosity."""
    installed = setup_logging(verbosity, [TOKEN])
    root = logging.getLogger()
    assert root.level == root_level
    assert logging.getLogger("httpx").level == logging.WARNING
    assert logging.getLogger("httpcore").level == logging.WARNING
    assert logging.getLogger("telegram").level == ptb_level
    assert logging.getLogger("telegram.ext").level == ptb_level
    assert logging.getLogger("aiosqlite").level == ptb_level
    assert root.handlers
    assert all(installed in handler.filters for handler in root.handlers)


@pytest.mark.usefixtures("root_state")
def test_setup_at_debug_writes_nothing_from_httpx_or_ptb_debug() -> None:
    """At -vv a URL logged by httpx and an update logged by PTB at DEBUG reach no handler."""
    setup_logging(2, [TOKEN])
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    root = logging.getLogger()
    handler.filters = list(root.handlers[0].filters)
    root.addHandler(handler)
    logging.getLogger("httpx").info("HTTP Request: POST http://x/bot%s/getUpdates", TOKEN)
    logging.getLogger("httpcore.http11").debug("send_request_headers.started")
    logging.getLogger("telegram.ext.Application").debug("Processing update %s", "tôi tên An")
    logging.getLogger("telegram.Bot").debug("Calling Bot API endpoint `sendMessage`")
    logging.getLogger("aiosqlite").debug("executing %s", "INSERT … ('tôi tên An',)")
    logging.getLogger("bot.test").debug("own debug line chat=%s", 42)
    written = stream.getvalue()
    assert "own debug line chat=42" in written
    absent_lines = (
        "HTTP Request",
        "send_request_headers",
        "Processing update",
        "Calling",
        "INSERT",
    )
    for absent in absent_lines:
        assert absent not in written, absent
