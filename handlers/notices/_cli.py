"""`giamngheo notices schedule --date YYYY-MM-DD | status | run` (the admin's side)."""

from __future__ import annotations

import argparse
from datetime import date, timedelta

from bot.core.config import Config
from bot.core.i18n import format_day, to_local
from bot.core.turn import Services
from handlers.notices._jobs import send_standard_2027
from knowledge.transition import SWITCH_DAY
from storage.audit import AuditLog
from storage.clock import utc_now
from storage.db import Database, open_database
from storage.outbox import Outbox
from storage.self_check import DEFAULT_SEND_ON, NOTICE_2027, SelfCheckRepository
from storage.sessions import SessionRepository
from storage.users import UserRepository


def _services(config: Config, db: Database) -> Services:
    """What the notice job needs, on the command's database (no features, no demo data)."""
    return Services(
        config=config,
        db=db,
        users=UserRepository(db),
        sessions=SessionRepository(db, ttl=timedelta(hours=config.session_ttl_hours)),
        audit=AuditLog(db),
        outbox=Outbox(db),
        clock=utc_now,
    )


async def cmd_notices(args: argparse.Namespace, config: Config) -> int:
    """Set the day, show the figures, or run the job once now."""
    async with open_database(config.database) as db:
        services = _services(config, db)
        repo = SelfCheckRepository(db)
        now = services.clock()
        if args.notices_command == "schedule":
            day: date = args.date
            await repo.set_send_on(NOTICE_2027, day, now=now)
            await services.audit.record(
                actor_user_id=None,
                action="notices.schedule",
                target=f"notice:{NOTICE_2027}",
                detail={"send_on": day.isoformat(), "via": "cli"},
                now=now,
            )
            print(f"Thông báo chuẩn nghèo 2027 sẽ gửi từ ngày {format_day(day)}.")
            if day < to_local(now).date():
                print("Ngày này đã qua: thông báo gửi ở lần chạy tới (hằng ngày 08:00).")
            return 0
        if args.notices_command == "run":
            send_on = await repo.send_on(NOTICE_2027)
            if to_local(now).date() < send_on:
                print(f"Chưa đến ngày gửi ({format_day(send_on)}): không gửi gì.")
                return 0
            queued = await send_standard_2027(services, now)
            print(f"Đã xếp hàng {queued} thông báo chuẩn nghèo 2027 để gửi.")
            return 0
        send_on = await repo.send_on(NOTICE_2027)
        default = " (mặc định)" if send_on == DEFAULT_SEND_ON[NOTICE_2027] else ""
        counts = await repo.notice_counts(NOTICE_2027, before=SWITCH_DAY)
        print(f"Ngày gửi thông báo chuẩn nghèo 2027: {format_day(send_on)}{default}")
        print(f"Đến hạn (chưa nhận): {counts.due}")
        print(
            f"Đã xếp hàng: {counts.queued} (đã gửi {counts.delivered}, đang chờ"
            f" {counts.waiting}, không gửi được {counts.failed})"
        )
        print(f"Đã tắt thông báo: {counts.opted_out}")
        return 0


def add_cli(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `notices schedule`, `notices status` and `notices run`."""
    parser = sub.add_parser("notices", help="the one-time notice about the 2027 standard")
    commands = parser.add_subparsers(dest="notices_command", required=True)
    schedule = commands.add_parser("schedule", help="set the day the notices go out")
    schedule.add_argument(
        "--date",
        required=True,
        type=date.fromisoformat,
        help="YYYY-MM-DD, Asia/Ho_Chi_Minh (default 2026-12-15)",
    )
    commands.add_parser("status", help="the day and how many are due, queued, opted out")
    commands.add_parser("run", help="queue the notices now (if the day has come)")
    parser.set_defaults(func=cmd_notices)
