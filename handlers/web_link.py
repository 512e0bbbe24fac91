"""`/web`: an officer asks for a sign-in link to the web desk (bàn làm việc trên web).

The link is single-use and works for 10 minutes (`storage.web_auth`); it is sent only in the
officer's own chat, never pushed elsewhere, and nothing about it is logged. Residents need no
link: the public pages and the web chat are open to everyone.
"""

from __future__ import annotations

from functools import partial

from bot.core.feature import FeatureContext
from bot.core.registry import STAFF, Command
from bot.core.turn import Turn
from bot.core.types import Reply
from storage import web_auth

__all__ = ["install", "sign_in_url"]


def sign_in_url(base_url: str, token: str) -> str:
    """The address a link token opens."""
    return f"{base_url.rstrip('/')}/dang-nhap/{token}"


async def send_link(turn: Turn) -> list[Reply]:
    """Sends a fresh single-use sign-in link, valid 10 minutes."""
    turn.require_staff()
    token = await turn.services.db.write(
        partial(web_auth.issue_link_in, user_id=turn.user.id, now=turn.now)
    )
    minutes = int(web_auth.LINK_TTL.total_seconds() // 60)
    url = sign_in_url(turn.services.config.web_url, token)
    return [turn.reply("web.link", url=url, minutes=minutes)]


def install(ctx: FeatureContext) -> None:
    """Register `/web` for officers and admins."""
    ctx.registry.add_command(Command(("/web",), send_link, STAFF, help_key="web.help_link"))
