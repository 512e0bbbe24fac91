"""The daily job: on and after the day an admin set, queue each resident's one notice.

Each notice is recorded in the same transaction as its outbox message
(`SelfCheckRepository.queue_notice`), so a crash, a restart or a second run in the same day
never queues a second one, and a queued one is never lost.
"""

from __future__ import annotations

import logging
from datetime import datetime

from bot.core.i18n import Translator, to_local
from bot.core.turn import Services
from handlers.notices import _render
from knowledge.assessment import NoStandardError
from knowledge.transition import SWITCH_DAY, project
from storage.self_check import NOTICE_2027, SelfCheckRepository

log = logging.getLogger(__name__)


async def send_standard_2027(services: Services, now: datetime) -> int:
    """Queue the 2027-standard notice for everyone due, if today is on or after the set day.

    Only results checked before 01/01/2027 count: from that day the self-check itself uses the
    new standard. Returns how many notices were queued.
    """
    repo = SelfCheckRepository(services.db)
    send_on = await repo.send_on(NOTICE_2027)
    if to_local(now).date() < send_on:
        return 0
    queued = 0
    for due in await repo.due_notices(NOTICE_2027, before=SWITCH_DAY):
        answers = due.result.answers
        if answers is None:
            continue
        try:
            projection = project(answers)
        except (NoStandardError, KeyError, ValueError) as exc:
            log.warning(
                "transition notice skipped result=%s error=%s", due.result.id, type(exc).__name__
            )
            continue
        reply = _render.standard_2027_notice(
            Translator(due.language), due.result, answers, projection
        )
        if await repo.queue_notice(NOTICE_2027, due, body=reply.to_json(), now=now):
            queued += 1
            log.info(
                "transition notice queued user=%s result=%s", due.result.user_id, due.result.id
            )
    log.info("transition notices run queued=%d", queued)
    return queued


async def daily(services: Services, now: datetime) -> None:
    """The daily job's callback (see `send_standard_2027`)."""
    await send_standard_2027(services, now)
