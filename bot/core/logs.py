"""Logging that holds no secret and no personal data, whatever the level (nhật ký không lộ dữ liệu).

Two layers keep the log clean:

* :func:`setup_logging` sets the third-party loggers that write whole URLs or update contents
  above the levels where they would: ``httpx`` and ``httpcore`` (every Bot API URL, the token
  in its path, at INFO; headers and bodies at DEBUG) stay at WARNING, and python-telegram-bot
  (``telegram``, ``telegram.ext``: each call's parameters, message text included, and each
  update at DEBUG) at INFO at most, so ``-v`` and ``-vv`` reach neither; ``aiosqlite`` (each
  call with its SQL parameters at DEBUG) at INFO at most too;
* :class:`RedactingFilter`, on the root handler, rewrites every record that reaches it (its
  message with the arguments merged in, a traceback, a stack) so that bot tokens, identity
  numbers (căn cước 12 digits, CMND 9 digits), phone numbers, e-mails and introduced names are
  replaced by labels. It is the net under the first layer: a future log line that carries what
  a resident typed, or an exception message quoting it, is masked too.

The personal data patterns are those of :mod:`knowledge.redact`, the masking applied before an
unanswered question is kept; tokens are masked first, since a token's numeric part would
otherwise be taken for an identity number and its secret part left in the clear.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from dataclasses import fields

from bot.core.config import Config, Secret
from knowledge.redact import mask_personal

__all__ = [
    "QUIET_LOGGERS",
    "TOKEN_MASK",
    "RedactingFilter",
    "config_secrets",
    "redact",
    "setup_logging",
]

TOKEN_MASK = "[token]"  # noqa: S105 (the label, not a secret)

QUIET_LOGGERS: dict[str, int] = {
    "httpx": logging.WARNING,
    "httpcore": logging.WARNING,
    "telegram": logging.INFO,
    "telegram.ext": logging.INFO,
    "aiosqlite": logging.INFO,
}
"""The lowest level each of these loggers may log at, whatever the verbosity."""

# /bot<token>/ and /file/bot<token>/ in a Bot API URL, whatever the token looks like.
_URL_TOKEN = re.compile(r"(/bot)[^/\s?#\"']+(?=/)")
# A Telegram (or Zalo Bot) token: the bot's numeric id, a colon, 35 url-safe characters.
_TOKEN = re.compile(r"(?<![\w-])\d{3,}:[A-Za-z0-9_-]{35}(?![A-Za-z0-9_-])")
# A secret shorter than this is not searched for: it would mask ordinary words.
_MIN_SECRET = 6


def config_secrets(config: Config) -> list[str]:
    """Every non-empty secret of a configuration (tokens, webhook and app secrets)."""
    values: list[str] = []
    for item in fields(config):
        value = getattr(config, item.name)
        if isinstance(value, Secret) and value.value:
            values.append(value.value)
    return values


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    """The text with secrets, tokens and personal data masked.

    Args:
        text: A log message, a traceback or any text about to be written to the log.
        secrets: Values known to be secret (the configured tokens); masked wherever they occur.

    Returns:
        The text with each secret and token replaced by ``[token]``, and identity numbers,
        phones, e-mails and introduced names by the labels of
        :func:`knowledge.redact.mask_personal`.
    """
    for secret in sorted(secrets, key=len, reverse=True):
        if len(secret) >= _MIN_SECRET:
            text = text.replace(secret, TOKEN_MASK)
    text = _URL_TOKEN.sub(rf"\g<1>{TOKEN_MASK}", text)
    text = _TOKEN.sub(TOKEN_MASK, text)
    return mask_personal(text)


class RedactingFilter(logging.Filter):
    """A handler filter that masks secrets and personal data in every record it passes.

    The record's message is formatted with its arguments, masked and stored back with no
    arguments left; a traceback is formatted and masked into ``exc_text`` (which formatters use
    instead of formatting ``exc_info`` again), and a stack into ``stack_info``. No record is
    dropped.
    """

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        """Remember the secrets to mask.

        Args:
            secrets: Configured secret values (see :func:`config_secrets`).
        """
        super().__init__()
        self._secrets = [value for value in secrets if value]
        self._formatter = logging.Formatter()

    def filter(self, record: logging.LogRecord) -> bool:
        """Mask the record in place; always keep it."""
        try:
            message = record.getMessage()
        except (TypeError, ValueError):  # arguments that do not fit the format string
            message = f"{record.msg} {record.args}"
        record.msg = redact(message, self._secrets)
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = self._formatter.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text, self._secrets)
        if record.stack_info:
            record.stack_info = redact(record.stack_info, self._secrets)
        return True


def setup_logging(verbosity: int, secrets: Iterable[str] = ()) -> RedactingFilter:
    """Configure the root logger for a process: level, format, quiet loggers, the filter.

    Args:
        verbosity: 0 logs warnings and errors, 1 (``-v``) adds INFO, 2 or more (``-vv``) DEBUG.
        secrets: Configured secret values, masked wherever they occur.

    Returns:
        The filter installed on every root handler.
    """
    level = logging.WARNING if verbosity <= 0 else logging.INFO if verbosity == 1 else logging.DEBUG
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    root = logging.getLogger()
    root.setLevel(level)
    for name, floor in QUIET_LOGGERS.items():
        logging.getLogger(name).setLevel(max(level, floor))
    redacting = RedactingFilter(secrets)
    for handler in root.handlers:
        for old in [f for f in handler.filters if isinstance(f, RedactingFilter)]:
            handler.removeFilter(old)
        handler.addFilter(redacting)
    return redacting
