"""Receives `/tatthongbao`, its button and `/tacdong2027`; storage and texts do the work."""

from __future__ import annotations

from collections import Counter

from bot.core.errors import PermissionDenied
from bot.core.turn import Turn
from bot.core.types import Reply, Role
from handlers.notices import _render
from knowledge.assessment import CATEGORY_LABELS_VI, NoStandardError
from knowledge.transition import SWITCH_DAY, project
from storage.self_check import SelfCheckRepository


class NoticeCommands:
    """The residents' opt-out and the officers' impact table."""

    def __init__(self, results: SelfCheckRepository) -> None:
        self.results = results

    async def stop(self, turn: Turn) -> list[Reply]:
        """`/tatthongbao`: confirms that no more notices about saved results will come."""
        if await self.results.opt_out(turn.user.id, now=turn.now):
            return [turn.reply("notices.stopped")]
        return [turn.reply("notices.already_stopped")]

    async def action(self, turn: Turn) -> list[Reply]:
        """The button under a notice ("Tắt thông báo")."""
        if turn.payload == _render.STOP_PAYLOAD:
            return await self.stop(turn)
        return [turn.reply("error.unknown_button")]

    async def impact(self, turn: Turn) -> list[Reply]:
        """`/tacdong2027 [ward]`: today's category → 2027 category for the ward's saved results.

        An officer sees their own ward; an admin names a ward, or sees every ward without one.
        Counts only: no names, no answers.
        """
        ward_id = turn.argument.strip() or turn.user.ward_id
        if ward_id is None and turn.user.role is not Role.ADMIN:
            raise PermissionDenied
        turn.require_staff(ward_id)
        if ward_id is None:
            place = turn.t("notices.impact.all_wards")
        else:
            ward = await turn.services.users.ward(ward_id)
            if ward is None:
                return [turn.reply("notices.impact.no_ward", ward=ward_id)]
            place = ward.name
        pairs: Counter[tuple[str, str]] = Counter()
        provisional = False
        for result in await self.results.newest_in_ward(ward_id, before=SWITCH_DAY):
            if result.answers is None:
                continue
            try:
                projection = project(result.answers)
            except (NoStandardError, KeyError, ValueError):
                continue
            before = result.category if result.category in CATEGORY_LABELS_VI else "not_poor"
            after = projection.categories[0] if projection.settled else _render.UNCLEAR
            pairs[(before, after)] += 1
            provisional = provisional or projection.provisional
        return [_render.impact_table(turn.t, _render.Impact(pairs, provisional), place)]
