"""The morning reminder: officers hear about registrations waiting more than 7 days."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from bot.core.i18n import Translator
from bot.core.turn import Services
from bot.core.types import Reply
from handlers.exit_registration import _render
from storage.registrations import Registration, RegistrationRepository

WAIT_DAYS = 7


async def remind_waiting(services: Services, now: datetime) -> None:
    """Queue for each officer of each ward the list of registrations waiting > 7 days."""
    repo = RegistrationRepository(services.db)
    by_ward: dict[str, list[Registration]] = defaultdict(list)
    for registration in await repo.waiting(now, days=WAIT_DAYS):
        by_ward[registration.ward_id].append(registration)
    for ward_id, registrations in by_ward.items():
        for officer in await services.users.staff(ward_id=ward_id):
            t = Translator(officer.language)
            lines = [t("exit_registration.reminder", count=len(registrations), days=WAIT_DAYS)]
            for r in registrations:
                waited = (now - r.status_changed_at).days
                lines.append(
                    f"• {r.code} — {_render.status_label(t, r.status)} "
                    + t("exit_registration.reminder_days", days=waited)
                )
            await services.outbox.enqueue(
                channel=officer.channel,
                chat_id=officer.chat_id,
                body=Reply("\n".join(lines)).to_json(),
                now=now,
            )
