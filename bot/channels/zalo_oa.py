"""The Zalo Official Account (OA) channel: Open API v3 webhook ↔ the channel-neutral core.

Receiving: Zalo POSTs events to `/zalo/oa`. The `X-ZEvent-Signature` header must equal
`mac=` + SHA-256 hex of (app id + raw body + the event's `timestamp` + OA secret key); anything
else gets 401 and a log line without the body. An event whose `timestamp` is outside
`MAX_EVENT_AGE` / `MAX_EVENT_AHEAD` gets 400 (a replay). A good event is stored in the inbox
and only then answered 200 (`bot.core.intake`), which handles each user's events in arrival
order. `user_send_text` and `follow` become `Inbound`s; the message id is Zalo's `msg_id`, so a
redelivered event is stored, and handled, once.

Choices: up to five become `oa.query.hide` buttons, which send their payload back as the
user's text; a text equal to a payload offered in the last reply is turned back into a button
press. Choices beyond five are listed as numbered lines (6., 7., ...) that the dispatcher
resolves like typed numbers.

Sending: POST /v3.0/oa/message/cs with the `access_token` header; text split under 2,000
characters; images and documents uploaded first (/v2.0/oa/upload/image, /v2.0/oa/upload/file).
Error -216 (expired token) refreshes the token pair once and retries; 5xx, timeouts, HTTP 429
and the rate-limit code -32 are retried with exponential backoff (`RateLimited` when the rate
limit outlasts the retries). A reply that still cannot be delivered is queued in the durable
outbox and logged with a reference id (never its text).
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
from aiohttp import web

from bot.channels.base import (
    ChannelContext,
    ChannelError,
    ChannelSpec,
    RateLimited,
    RecipientBlocked,
)
from bot.channels.text_menu import choice_lines
from bot.core.delivery import deliver_or_queue
from bot.core.dispatcher import Dispatcher
from bot.core.intake import Intake, incoming, stored_inbound
from bot.core.text import split_text
from bot.core.turn import Clock
from bot.core.types import Attachment, Inbound, Reply
from bot.http_server import HttpServer
from storage.inbox import Stored
from storage.zalo_tokens import TokenPair, ZaloTokenStore

log = logging.getLogger(__name__)

CHANNEL = "zalo_oa"
TEXT_LIMIT = 2000
"""Zalo's limit on one text message, in characters."""
MAX_BUTTONS = 5
"""At most five buttons per OA message; further choices become numbered lines."""
BUTTON_TITLE_LIMIT = 100
SIGNATURE_HEADER = "X-ZEvent-Signature"
WEBHOOK_PATH = "/zalo/oa"

TOKEN_EXPIRED = -216
"""Open API error: the access token is invalid or expired."""
RATE_LIMITED = frozenset({-32})
"""Open API errors meaning "too many requests": retried with backoff."""
NOT_REACHABLE = frozenset({-213, -230})
"""Open API errors meaning the user cannot receive OA messages now: -213 unfollowed or unknown,
-230 no interaction with the OA in the last 7 days. The user is marked inactive, not retried;
their next message makes them reachable again."""

MAX_EVENT_AGE = timedelta(hours=24)
"""Events signed longer ago are refused (a replay); a redelivery within it is deduplicated by
its `msg_id` in the inbox, which keeps ids for 7 days."""
MAX_EVENT_AHEAD = timedelta(minutes=10)
"""Clock skew tolerated for an event's timestamp in the future."""

MALFORMED = frozenset({"bad json", "not an object"})
"""`verify_signature` reasons meaning the body is no event at all (400, not 401)."""
_PAYLOAD = re.compile(r"^[a-z0-9_]+:[^\n]{0,62}$")


def signature(app_id: str, secret_key: str, body: bytes, timestamp: str) -> str:
    """The `X-ZEvent-Signature` value Zalo computes for an event."""
    digest = hashlib.sha256(
        app_id.encode() + body + timestamp.encode() + secret_key.encode()
    ).hexdigest()
    return f"mac={digest}"


def verify_signature(app_id: str, secret_key: str, body: bytes, header: str) -> dict[str, Any]:
    """The parsed event if `header` signs `body`; raises `ValueError` otherwise."""
    if not app_id or not secret_key or not header:
        raise ValueError("missing signature or settings")
    try:
        event = json.loads(body)
    except ValueError as exc:
        raise ValueError("bad json") from exc
    if not isinstance(event, dict):
        raise ValueError("not an object")
    expected = signature(app_id, secret_key, body, str(event.get("timestamp", "")))
    if not hmac.compare_digest(header.strip().encode(), expected.encode()):
        raise ValueError("bad signature")
    return event


def _received_at(event: dict[str, Any]) -> datetime:
    try:
        return datetime.fromtimestamp(int(event["timestamp"]) / 1000, UTC)
    except (KeyError, TypeError, ValueError, OverflowError):
        return datetime.now(UTC)


def in_window(event: dict[str, Any], now: datetime) -> bool:
    """Whether the event's `timestamp` (milliseconds) is within the accepted window."""
    try:
        moment = datetime.fromtimestamp(int(event["timestamp"]) / 1000, UTC)
    except (KeyError, TypeError, ValueError, OverflowError, OSError):
        return False
    return now - MAX_EVENT_AGE <= moment <= now + MAX_EVENT_AHEAD


def to_inbound(event: dict[str, Any]) -> Inbound | None:
    """The channel-neutral form of a user's message or a `follow` event (None for others).

    Other `user_send_*` events (image, sticker, file, location...) become an empty text, which
    the dispatcher answers with its "please type or choose" message.
    """
    name = str(event.get("event_name") or "")
    if name.startswith("user_send_"):
        sender = event.get("sender") or {}
        message = event.get("message") or {}
        user_id = str(sender.get("id") or "")
        msg_id = str(message.get("msg_id") or "")
        if not user_id or not msg_id:
            return None
        return Inbound(
            channel=CHANNEL,
            user_id=user_id,
            chat_id=user_id,
            message_id=msg_id,
            received_at=_received_at(event),
            text=str(message.get("text") or "") if name == "user_send_text" else "",
        )
    if name == "follow":
        follower = event.get("follower") or {}
        user_id = str(follower.get("id") or "")
        if not user_id:
            return None
        return Inbound(
            channel=CHANNEL,
            user_id=user_id,
            chat_id=user_id,
            message_id=f"follow:{user_id}:{event.get('timestamp', '')}",
            received_at=_received_at(event),
            text="/start",
        )
    return None


def layout(reply: Reply) -> tuple[str, list[dict[str, Any]]]:
    """The message text and the `oa.query.hide` buttons for a reply."""
    buttons = [
        {
            "title": choice.label[:BUTTON_TITLE_LIMIT],
            "payload": choice.payload,
            "type": "oa.query.hide",
        }
        for choice in reply.choices[:MAX_BUTTONS]
    ]
    rest = choice_lines(
        reply.choices[MAX_BUTTONS:], expects_text=reply.expects_text, start=MAX_BUTTONS + 1
    )
    return "\n".join([reply.text, *rest]), buttons


class _Transient(Exception):
    """A failure worth retrying (5xx, timeout, rate limit)."""

    def __init__(self, reason: str, *, rate_limited: bool = False) -> None:
        super().__init__(reason)
        self.rate_limited = rate_limited


class ZaloOAClient:
    """The OA Open API over one aiohttp session, with token refresh and retries."""

    def __init__(
        self,
        *,
        api_base: str,
        oauth_base: str,
        app_id: str,
        secret_key: str,
        tokens: ZaloTokenStore,
        clock: Clock,
        timeout: float = 10.0,
        retries: int = 3,
        backoff: float = 0.5,
    ) -> None:
        self.api_base = api_base.rstrip("/")
        self.oauth_base = oauth_base.rstrip("/")
        self.app_id = app_id
        self.secret_key = secret_key
        self.tokens = tokens
        self.clock = clock
        self.timeout = timeout
        self.retries = retries
        self.backoff = backoff
        self._pair: TokenPair | None = None
        self._refresh_lock = asyncio.Lock()
        self._session: aiohttp.ClientSession | None = None

    async def start(self, initial: TokenPair | None = None) -> None:
        """Open the HTTP session and load the token pair (seeding it from settings once)."""
        if initial is not None and initial.access_token:
            self._pair = await self.tokens.seed(initial, now=self.clock())
        else:
            self._pair = await self.tokens.load()
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=self.timeout))

    async def close(self) -> None:
        """Close the HTTP session."""
        if self._session is not None:
            await self._session.close()
            self._session = None

    @property
    def session(self) -> aiohttp.ClientSession:
        """The open HTTP session."""
        if self._session is None:
            raise RuntimeError("ZaloOAClient.start() was not called")
        return self._session

    async def call(
        self,
        path: str,
        *,
        json_body: dict[str, Any] | None = None,
        form: Callable[[], aiohttp.FormData] | None = None,
    ) -> dict[str, Any]:
        """POST to the Open API; refresh once on -216, retry transient failures with backoff."""
        refreshed = False
        attempt = 0
        while True:
            token = self._pair.access_token if self._pair is not None else ""
            try:
                body = await self._post(path, token, json_body, form)
                code = int(body.get("error", 0) or 0)
                if code == 0:
                    return body
                if code == TOKEN_EXPIRED and not refreshed:
                    refreshed = True
                    await self.refresh(stale=token)
                    continue
                if code in RATE_LIMITED:
                    raise _Transient(f"rate limited {code}", rate_limited=True)
                if code in NOT_REACHABLE:
                    raise RecipientBlocked(f"zalo error {code}")
                raise ChannelError(f"zalo error {code}")
            except _Transient as exc:
                attempt += 1
                if attempt > self.retries:
                    failed = RateLimited if exc.rate_limited else ChannelError
                    raise failed(f"gave up after {attempt} attempts: {exc}") from exc
                await asyncio.sleep(self.backoff * 2 ** (attempt - 1))

    async def _post(
        self,
        path: str,
        token: str,
        json_body: dict[str, Any] | None,
        form: Callable[[], aiohttp.FormData] | None,
    ) -> dict[str, Any]:
        url = f"{self.api_base}{path}"
        try:
            async with self.session.post(
                url,
                headers={"access_token": token},
                json=json_body,
                data=form() if form is not None else None,
            ) as response:
                if response.status >= 500 or response.status == 429:
                    raise _Transient(f"http {response.status}", rate_limited=response.status == 429)
                data = await response.json(content_type=None)
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise _Transient(type(exc).__name__) from exc
        except ValueError as exc:
            raise ChannelError("bad json from zalo") from exc
        if not isinstance(data, dict):
            raise ChannelError("unexpected zalo answer")
        return data

    async def refresh(self, *, stale: str) -> None:
        """Swap the refresh token for a new pair and store it atomically.

        Concurrent callers that saw the same expired token refresh only once (the refresh
        token rotates: a second refresh with the old one would fail).
        """
        async with self._refresh_lock:
            if self._pair is not None and self._pair.access_token != stale:
                return
            if self._pair is None or not self._pair.refresh_token:
                raise ChannelError("no zalo refresh token")
            url = f"{self.oauth_base}/v4/oa/access_token"
            form = {
                "refresh_token": self._pair.refresh_token,
                "app_id": self.app_id,
                "grant_type": "refresh_token",
            }
            try:
                async with self.session.post(
                    url, headers={"secret_key": self.secret_key}, data=form
                ) as response:
                    data = await response.json(content_type=None)
            except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
                raise ChannelError(f"token refresh failed: {type(exc).__name__}") from exc
            access = str(data.get("access_token") or "") if isinstance(data, dict) else ""
            refresh = str(data.get("refresh_token") or "") if isinstance(data, dict) else ""
            if not access or not refresh:
                log.error("zalo_oa token refresh refused")
                raise ChannelError("token refresh refused")
            pair = TokenPair(access, refresh)
            await self.tokens.save(pair, now=self.clock())
            self._pair = pair
            log.info("zalo_oa token refreshed")

    async def send_message(self, user_id: str, message: dict[str, Any]) -> None:
        """POST /v3.0/oa/message/cs."""
        await self.call(
            "/v3.0/oa/message/cs",
            json_body={"recipient": {"user_id": user_id}, "message": message},
        )

    async def upload(self, attachment: Attachment) -> str:
        """Upload an image (→ attachment_id) or a document (→ file token)."""
        kind = "image" if attachment.kind == "image" else "file"

        def form() -> aiohttp.FormData:
            data = aiohttp.FormData()
            data.add_field("file", attachment.data, filename=attachment.filename)
            return data

        body = await self.call(f"/v2.0/oa/upload/{kind}", form=form)
        data = body.get("data") or {}
        value = data.get("attachment_id" if kind == "image" else "token")
        if not value:
            raise ChannelError("upload answer without id")
        return str(value)


class ZaloOAChannel:
    """Stores OA webhook events in the inbox and delivers the replies to stored ones."""

    name = CHANNEL

    def __init__(
        self,
        client: ZaloOAClient,
        dispatcher: Dispatcher,
        intake: Intake,
        *,
        app_id: str,
        secret_key: str,
        initial_tokens: TokenPair | None = None,
    ) -> None:
        self.client = client
        self.dispatcher = dispatcher
        self.intake = intake
        self.app_id = app_id
        self.secret_key = secret_key
        self.initial_tokens = initial_tokens

    async def start(self, server: HttpServer) -> None:
        """Load the token pair, open the client and take events on `/zalo/oa`."""
        await self.client.start(self.initial_tokens)
        self.intake.attach(self)
        server.add_post(WEBHOOK_PATH, self.webhook)

    async def stop(self) -> None:
        """Close the client (the intake finishes the events in hand before this is called)."""
        await self.client.close()

    async def webhook(self, request: web.Request) -> web.Response:
        """Verify the signature and the event's time, store it, and only then answer 200.

        401 for a bad signature, 400 for a body that is not a JSON object or an event outside
        the time window (a replay), 500 when
        it could not be stored (Zalo may send it again). Nothing of the body is logged.
        """
        body = await request.read()
        try:
            event = verify_signature(
                self.app_id, self.secret_key, body, request.headers.get(SIGNATURE_HEADER, "")
            )
        except ValueError as exc:
            log.warning("zalo_oa webhook rejected reason=%s remote=%s", exc, request.remote)
            if str(exc) in MALFORMED:
                return web.Response(status=400, text="bad event")
            return web.Response(status=401, text="unauthorized")
        if not in_window(event, self.dispatcher.services.clock()):
            log.warning("zalo_oa webhook rejected reason=outside time window")
            return web.Response(status=400, text="stale event")
        inbound = to_inbound(event)
        if inbound is not None:
            try:
                await self.intake.accept([incoming(inbound)])
            except Exception as exc:
                log.error("zalo_oa event not stored error=%s", type(exc).__name__)
                return web.Response(status=500, text="not stored")
        return web.Response(text="ok")

    async def prepare(self, item: Stored) -> Inbound:
        """The stored event as an `Inbound`; a text equal to a payload offered is that press.

        Read from the session the user's previous message left (rows of one user are handled
        one after the other).
        """
        inbound = stored_inbound(item)
        text = inbound.text.strip()
        if inbound.payload is not None or not _PAYLOAD.match(text):
            return inbound
        services = self.dispatcher.services
        session = await services.sessions.load(CHANNEL, inbound.user_id, now=services.clock())
        if any(payload == text for _, payload in session.offered):
            return replace(inbound, payload=text, text="")
        return inbound

    async def deliver(self, item: Stored, replies: Sequence[Reply]) -> None:
        """Send replies; whatever cannot be sent is queued in the outbox and logged by ref."""
        await deliver_or_queue(
            self.send_one,
            channel=CHANNEL,
            chat_id=str(item.body.get("chat_id", "")),
            replies=replies,
            services=self.dispatcher.services,
        )

    async def send(self, chat_id: str, replies: Sequence[Reply]) -> None:
        """Deliver replies in order; raise `RecipientBlocked`, `RateLimited` or `ChannelError`."""
        for reply in replies:
            await self.send_one(chat_id, reply)

    async def send_one(self, user_id: str, reply: Reply) -> None:
        """One reply: its attachment (uploaded), then its text pieces, buttons on the last."""
        if reply.attachment is not None:
            uploaded = await self.client.upload(reply.attachment)
            if reply.attachment.kind == "image":
                element = {"media_type": "image", "attachment_id": uploaded}
                message: dict[str, Any] = {
                    "attachment": {
                        "type": "template",
                        "payload": {"template_type": "media", "elements": [element]},
                    }
                }
            else:
                message = {"attachment": {"type": "file", "payload": {"token": uploaded}}}
            await self.client.send_message(user_id, message)
        text, buttons = layout(reply)
        if not text.strip() and not buttons:
            return
        pieces = split_text(text, TEXT_LIMIT)
        for index, piece in enumerate(pieces):
            message = {"text": piece}
            if buttons and index == len(pieces) - 1:
                message["attachment"] = {
                    "type": "template",
                    "payload": {"buttons": buttons},
                }
            await self.client.send_message(user_id, message)


def create(context: ChannelContext) -> ZaloOAChannel:
    """The OA channel from the settings; its token pair is kept in the database."""
    config = context.config
    services = context.dispatcher.services
    client = ZaloOAClient(
        api_base=config.zalo_oa_api_base,
        oauth_base=config.zalo_oauth_base,
        app_id=config.zalo_oa_app_id,
        secret_key=config.zalo_oa_secret_key.value,
        tokens=ZaloTokenStore(services.db),
        clock=services.clock,
        timeout=context.client.timeout,
        retries=context.client.retries,
        backoff=context.client.backoff,
    )
    return ZaloOAChannel(
        client,
        context.dispatcher,
        context.intake,
        app_id=config.zalo_oa_app_id,
        secret_key=config.zalo_oa_secret_key.value,
        initial_tokens=TokenPair(
            config.zalo_oa_access_token.value, config.zalo_oa_refresh_token.value
        ),
    )


SPEC = ChannelSpec(
    CHANNEL,
    {
        "ZALO_OA_APP_ID": lambda config: config.zalo_oa_app_id,
        "ZALO_OA_SECRET_KEY": lambda config: config.zalo_oa_secret_key,
    },
    create,
)
