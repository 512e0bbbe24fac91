"""Transition notices (thông báo chuẩn nghèo mới): tell those a new standard concerns, once.

A resident who kept a self-check result (they agreed to save it, answers included) gets one
notice, through the outbox, on the day an admin set (default 15/12/2026): what their saved
answers give under the 2027–2030 standard (Decree 351/2025/NĐ-CP), what to do, and how to stop
such notices (`/tatthongbao` or the button). Ward officers (cán bộ phường) see the same impact
for their ward's saved results with `/tacdong2027`, as counts only.

`install` registers the commands, the button and the daily job; the job is in `_jobs.py`, the
texts in `_render.py`, the commands in `_commands.py`, `giamngheo notices` in `_cli.py`.
Personal data: the self-check eraser (`storage.self_check.erase_self_checks`) deletes the
results, notice records and opt-out; `/xoadulieu` deletes a notice still waiting in the outbox.
"""

from __future__ import annotations

import argparse
from datetime import time

from bot.core.feature import DailyJob, FeatureContext
from bot.core.registry import EVERYONE, STAFF, Action, Command
from handlers.notices._commands import NoticeCommands
from handlers.notices._jobs import daily
from storage.self_check import SelfCheckRepository

__all__ = ["JOB_TIME", "add_cli", "install"]

JOB_TIME = time(8, 0)
"""When the daily job runs (Asia/Ho_Chi_Minh)."""


def install(ctx: FeatureContext) -> None:
    """Register `/tatthongbao`, its button (`notices:stop`), `/tacdong2027` and the daily job."""
    commands = NoticeCommands(SelfCheckRepository(ctx.services.db))
    registry = ctx.registry
    registry.add_command(
        Command(
            ("/tatthongbao", "tắt thông báo"), commands.stop, EVERYONE, help_key="notices.help_stop"
        )
    )
    registry.add_action(Action("notices", commands.action, EVERYONE))
    registry.add_command(
        Command(
            ("/tacdong2027",),
            commands.impact,
            STAFF,
            help_key="notices.help_impact",
            takes_argument=True,
        )
    )
    ctx.daily_jobs.append(DailyJob("notices.standard_2027", JOB_TIME, daily))


def add_cli(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `giamngheo notices schedule|status|run`."""
    from handlers.notices._cli import add_cli as add

    add(sub)
