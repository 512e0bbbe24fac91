"""Personal data (dữ liệu cá nhân): `/xoadulieu` deletes everything stored about the user.

Each feature registers an eraser for its own tables; this module asks for confirmation and
runs them all in one transaction, with the session, so the deletion is all or nothing.
"""

from __future__ import annotations

from enum import StrEnum

from bot.core.registry import EVERYONE, Command, Registry
from bot.core.turn import Turn
from bot.core.types import Choice, Reply, Role
from storage.audit import record_audit
from storage.outbox import erase_in as erase_outbox_in


class Step(StrEnum):
    """Steps of the deletion flow."""

    CONFIRM = "confirm"
    """Asks the user to confirm the deletion."""


class PrivacyFeature:
    """Registers `/xoadulieu` and the privacy notice."""

    name = "privacy"
    roles = EVERYONE

    def __init__(self, registry: Registry) -> None:
        self.registry = registry

    def register(self, registry: Registry) -> None:
        """Add the command and the confirmation flow."""
        registry.add_command(
            Command(("/xoadulieu", "xoá dữ liệu"), self.start, help_key="help.erase")
        )
        registry.add_command(Command(("/baomat", "bảo mật"), self.notice, help_key="help.privacy"))
        registry.add_flow(self)

    async def notice(self, turn: Turn) -> list[Reply]:
        """Shows what is stored, who sees it and how to delete it."""
        return [turn.reply("privacy.notice")]

    async def start(self, turn: Turn) -> list[Reply]:
        """Asks to confirm deleting all of the user's data."""
        turn.session.enter(self.name, Step.CONFIRM)
        return [
            turn.reply(
                "privacy.confirm",
                Choice(turn.t("privacy.yes_delete"), "privacy:yes"),
                Choice(turn.t("common.cancel"), "privacy:no"),
            )
        ]

    async def handle(self, turn: Turn) -> list[Reply]:
        """Deletes on "yes", keeps everything on "no"."""
        if turn.payload == "privacy:yes":
            removed = await self.erase(turn)
            turn.session.clear()
            key = "privacy.done_staff" if turn.user.role is not Role.RESIDENT else "privacy.done"
            return [turn.reply(key, count=removed)]
        if turn.payload == "privacy:no":
            turn.session.clear()
            return [turn.reply("privacy.kept")]
        return [turn.reply("common.choose_above")]

    async def erase(self, turn: Turn) -> int:
        """Runs every feature's eraser, drops the user's queued messages, forgets the session.

        All in one transaction. Queued messages go too: those to the user's chat (answers,
        status changes) and those carrying their data to others (their question to officers).
        """
        removed = 0
        async with turn.services.db.transaction() as conn:
            for eraser in self.registry.erasers.values():
                removed += await eraser(conn, turn.user.id)
            removed += await erase_outbox_in(
                conn, user_id=turn.user.id, channel=turn.user.channel, chat_id=turn.user.chat_id
            )
            await conn.execute(
                "DELETE FROM sessions WHERE channel = ? AND user_id = ?",
                (turn.user.channel, turn.user.external_id),
            )
            await conn.execute("UPDATE users SET display_name = '' WHERE id = ?", (turn.user.id,))
            await record_audit(
                conn,
                actor_user_id=turn.user.id,
                action="privacy.erase",
                target=f"user:{turn.user.id}",
                detail={"rows": removed},
                now=turn.now,
            )
        return removed
