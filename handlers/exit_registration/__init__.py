"""Registration to exit poverty (đăng ký thoát nghèo bền vững), end to end in the chat.

Residents fill a guided form (after consent) and follow their registrations with /trangthai;
the ward's officers are told of each new one (by code and ward) in its own transaction. Ward
officers (cán bộ xã/phường) work an inbox by status, change statuses with a note, record the
final decision (quyết định công nhận / không công nhận) with its number and date after a
confirmation, see the ward's summary and export the list; an admin may correct a decision with
a reason kept in the history. The rules live in `_desk.py`, which the web desk calls too.

The national form to be recognised as having exited is Mẫu số 04, handled in the monthly
review from the 15th; the bot never states official status.

Personal data: /xoadulieu anonymises the user's registrations (see `storage.registrations`).
"""

from __future__ import annotations

import argparse
from datetime import time

from bot.core.feature import DailyJob, FeatureContext
from bot.core.registry import EVERYONE, STAFF, Command, Erased, MenuItem, Withdrawn
from handlers.exit_registration._flow import ResidentFlow
from handlers.exit_registration._jobs import remind_waiting
from handlers.exit_registration._officer import OfficerFlow
from storage.db import Tx
from storage.registrations import RegistrationRepository, erase_user


def install(ctx: FeatureContext) -> None:
    """Register the menu items, /trangthai, both flows, the eraser and the morning reminder."""
    repo = RegistrationRepository(ctx.services.db)
    resident = ResidentFlow(ctx.dispatcher, repo)
    officer = OfficerFlow(ctx.dispatcher, repo)
    ctx.registry.add_flow(resident)
    ctx.registry.add_flow(officer)
    ctx.registry.add_menu_item(
        MenuItem("exit_registration", "exit_registration.menu_label", resident.start, EVERYONE, 30)
    )
    ctx.registry.add_menu_item(
        MenuItem(
            "registrations_admin", "exit_registration.admin_menu_label", officer.start, STAFF, 60
        )
    )
    ctx.registry.add_command(
        Command(
            ("/trangthai", "trạng thái"),
            resident.status,
            help_key="exit_registration.help_status",
        )
    )
    ctx.registry.add_eraser("exit_registration", erase_registrations)
    ctx.daily_jobs.append(DailyJob("exit_registration.reminder", time(7, 0), remind_waiting))


async def erase_registrations(conn: Tx, user_id: int, *, dry_run: bool) -> Erased:
    """The `/xoadulieu` part of the registrations: anonymised, open ones withdrawn."""
    done = await erase_user(conn, user_id, dry_run=dry_run)
    kept = {"exit_registrations": done.anonymised} if done.anonymised else {}
    return Erased(
        kept=kept, withdrawn=tuple(Withdrawn(ward, code) for ward, code in done.withdrawn)
    )


def add_cli(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `giamngheo registrations export`."""
    from handlers.exit_registration._cli import add_cli as add

    add(sub)
