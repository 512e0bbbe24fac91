"""Personal data (dữ liệu cá nhân): `/xoadulieu` deletes everything stored about the user.

Each feature registers an eraser for its own tables; this module asks for confirmation and
runs them all in one transaction, with the session, so the deletion is all or nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from bot.core.flow import FlowData, Payload, Signal, StepFlow, StepHandler, StepResult
from bot.core.registry import EVERYONE, Command, Registry
from bot.core.turn import Turn
from bot.core.types import Reply, Role
from storage.audit import record_audit
from storage.outbox import erase_in as erase_outbox_in


class Step(StrEnum):
    """Steps of the deletion flow."""

    CONFIRM = "confirm"
    """Asks the user to confirm the deletion."""


@dataclass
class NoData(FlowData):
    """The deletion flow keeps nothing between its steps."""


@dataclass(frozen=True)
class Erase(Payload):
    """`privacy:yes`: delete everything."""

    prefix = "privacy:yes"


@dataclass(frozen=True)
class Keep(Payload):
    """`privacy:no`: keep everything (the answer "no" to the question, not a cancel)."""

    prefix = "privacy:no"


class PrivacyFeature(StepFlow[NoData]):
    """Registers `/xoadulieu` and the privacy notice."""

    name = "privacy"
    roles = EVERYONE
    data_type = NoData

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
        self.enter(turn, Step.CONFIRM, NoData())
        return [
            turn.reply(
                "privacy.confirm",
                Erase().choice(turn.t("privacy.yes_delete")),
                Keep().choice(turn.t("common.cancel")),
            )
        ]

    def steps(self) -> Mapping[str, StepHandler]:
        """The one step."""
        return {Step.CONFIRM: self.on_confirm}

    async def on_confirm(self, turn: Turn, data: NoData) -> StepResult:
        """Deletes on "yes" and says how many rows went; keeps everything on "no"."""
        if Erase.unpack(turn.payload) is not None:
            removed = await self.erase(turn)
            turn.session.clear()
            key = "privacy.done_staff" if turn.user.role is not Role.RESIDENT else "privacy.done"
            return [turn.reply(key, count=removed)]
        if Keep.unpack(turn.payload) is not None:
            turn.session.clear()
            return [turn.reply("privacy.kept")]
        return Signal.REPEAT

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
