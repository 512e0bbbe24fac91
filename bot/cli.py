"""The `giamngheo` command (also `python -m bot`)."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from pathlib import Path
from typing import Any

from bot.app import App, build_app
from bot.core import cli_types
from bot.core.config import Config, ConfigError
from bot.core.logs import config_secrets, setup_logging
from bot.serve import run_console, run_telegram
from handlers import donations, exit_registration, faq, notices, self_check, wards
from storage.audit import AuditLog
from storage.clock import utc_now
from storage.db import open_database
from storage.files import UnsafeTarget
from storage.users import UserRepository

Command = Callable[[argparse.Namespace, Config], Coroutine[Any, Any, int]]


def _config(args: argparse.Namespace) -> Config:
    config = Config.from_env()
    if getattr(args, "db", None):
        # `--db` names a SQLite file or, as a URL, a PostgreSQL database.
        key = "DATABASE_URL" if "://" in args.db else "DATABASE_PATH"
        config = Config.from_mapping({**_config_mapping(config), key: args.db})
    return config


def _config_mapping(config: Config) -> dict[str, str]:
    import os

    from bot.core.config import read_dotenv

    merged = read_dotenv(Path(".env"))
    merged.update(os.environ)
    return merged


async def _with_app(config: Config, body: Callable[[App], Awaitable[int]]) -> int:
    app = await build_app(config)
    try:
        return await body(app)
    finally:
        await app.close()


async def cmd_start(args: argparse.Namespace, config: Config) -> int:
    """`make run`: the Telegram bot when a token is configured, otherwise the console chat."""
    args.web = True  # the web site beside the bot or the console (HTTP_LISTEN:HTTP_PORT)
    if config.telegram_token:
        return await cmd_run(args, config)
    print(
        "Chưa cấu hình TELEGRAM_BOT_TOKEN: mở trò chuyện trên console. Gõ /start, Ctrl-D để thoát."
    )
    if config.demo_data:
        print(
            "Đang dùng dữ liệu mẫu (Phường Hòa Cường, Đà Nẵng) trên cơ sở dữ liệu trống; "
            "đặt DEMO_DATA=0 cho xã/phường thật."
        )
    return await cmd_chat(args, config)


async def cmd_chat(args: argparse.Namespace, config: Config) -> int:
    """Chat in the console."""

    async def body(app: App) -> int:
        await run_console(
            app,
            as_officer=bool(getattr(args, "as_officer", False)),
            web=bool(getattr(args, "web", False)),
        )
        return 0

    return await _with_app(config, body)


async def cmd_run(args: argparse.Namespace, config: Config) -> int:
    """Run the Telegram bot, or with `--channels` several channels on one HTTP server."""
    if getattr(args, "channels", None):
        from bot.channels.base import ClientSettings
        from bot.serve import parse_channels, serve
        from bot.workers import refusal, supervise

        try:
            names = parse_channels(args.channels, config)
        except ValueError as exc:
            print(f"Lỗi: {exc}", file=sys.stderr)
            return 2
        workers, worker_of = args.workers, args.worker_of
        problem = refusal(config, names, worker_of or workers)
        if problem is not None:
            print(f"Lỗi: {problem}", file=sys.stderr)
            return 2
        if workers > 1 and not worker_of:
            return await supervise(config, names, workers, max_rate=args.max_rate)
        # A worker of several reserves each send in the database, so `--max-rate` holds for
        # all of them together, on this machine and any other on the same database.
        share = ClientSettings(max_rate=args.max_rate, shared_rate=bool(worker_of))

        async def serve_body(app: App) -> int:
            await serve(app, names, client=share, reuse_port=bool(worker_of))
            return 0

        return await _with_app(config, serve_body)
    if not config.telegram_token:
        print("Thiếu TELEGRAM_BOT_TOKEN (xem .env.example).", file=sys.stderr)
        return 2

    async def body(app: App) -> int:
        await run_telegram(
            app,
            webhook=bool(getattr(args, "webhook", False)),
            listen=getattr(args, "listen", None),
            port=getattr(args, "port", None),
            url=getattr(args, "url", None),
            secret=getattr(args, "secret", None),
            web=bool(getattr(args, "web", False)),
        )
        return 0

    return await _with_app(config, body)


async def cmd_db(args: argparse.Namespace, config: Config) -> int:
    """`db migrate`, `db backup PATH` and `db copy --from SOURCE --to TARGET`."""
    if args.db_command == "copy":
        return await _db_copy(args.source, args.target)
    migrate = args.db_command == "migrate"
    async with open_database(config.database, migrate=migrate) as db:
        if migrate:
            version = await db.schema_version()
            print(f"Cơ sở dữ liệu ở phiên bản {version}: {db.describe()}")
        else:
            try:
                await db.backup(Path(args.path))
            except (UnsafeTarget, RuntimeError, FileNotFoundError) as exc:
                print(f"Lỗi / Error: {exc}", file=sys.stderr)
                return 2
            print(f"Đã sao lưu vào {args.path}")
    return 0


async def _db_copy(source: str, target: str) -> int:
    """Copy every row of `source` into the empty `target`, then compare counts and checksums."""
    import sqlite3

    from handlers.donations._checksums import statement_checksums
    from storage import copy

    if not source.startswith(("postgresql://", "postgres://")) and not await asyncio.to_thread(
        Path(source.removeprefix("sqlite:///")).is_file
    ):
        print(f"Lỗi / Error: không có / does not exist: {source}", file=sys.stderr)
        return 2
    async with open_database(source) as src, open_database(target) as dst:
        try:
            done = await copy.copy_data(src, dst)
        except copy.TargetNotEmpty as exc:
            held = ", ".join(f"{name} ({rows})" for name, rows in exc.tables.items())
            print(
                f"Lỗi / Error: cơ sở dữ liệu đích đã có dữ liệu, không sao chép gì"
                f" / the target already holds data, nothing copied: {dst.describe()}: {held}",
                file=sys.stderr,
            )
            return 2
        except copy.SchemaMismatch as exc:
            print(
                f"Lỗi / Error: hai cơ sở dữ liệu khác lược đồ / schemas differ: {exc}",
                file=sys.stderr,
            )
            return 2
        except copy.CopyError as exc:
            print(
                f"Lỗi / Error: sao chép không thành, đích không đổi / copy failed,"
                f" the target is unchanged: {exc}",
                file=sys.stderr,
            )
            return 1
        print(
            f"Đã sao chép {len(done.tables)} bảng, {done.rows} dòng từ {src.describe()}"
            f" sang {dst.describe()} trong {done.seconds:.1f} giây."
        )
        for name, rows in done.tables:
            print(f"  {name}: {rows} dòng")
        counts = await copy.compare_counts(src, dst)
        now = utc_now()
        try:
            before, after = (
                await statement_checksums(src, now=now),
                await statement_checksums(dst, now=now),
            )
        except (sqlite3.Error, RuntimeError) as exc:
            print(
                f"Lỗi / Error: không tính được mã kiểm tra sao kê / could not compute the"
                f" statement checksums: {type(exc).__name__}: {exc}",
                file=sys.stderr,
            )
            return 1
    if counts or before != after:
        print("KHÔNG KHỚP / MISMATCH:", file=sys.stderr)
        for name, (ours, theirs) in counts.items():
            print(f"  {name}: nguồn / source {ours}, đích / target {theirs} dòng", file=sys.stderr)
        for campaign_id in sorted(before.keys() | after.keys()):
            if before.get(campaign_id) != after.get(campaign_id):
                print(
                    f"  cuộc vận động / campaign {campaign_id}: mã kiểm tra sao kê"
                    f" {before.get(campaign_id, '-')} ≠ {after.get(campaign_id, '-')}",
                    file=sys.stderr,
                )
        return 1
    print(
        f"Đã kiểm tra: số dòng của cả {len(done.tables)} bảng khớp; mã kiểm tra (SHA-256) sao kê"
        f" của {len(before)} cuộc vận động khớp ở hai bên."
    )
    return 0


async def cmd_officer(args: argparse.Namespace, config: Config) -> int:
    """`officer add|list|remove`; builds no app, so never loads the demo data."""
    async with open_database(config.database) as db:
        users = UserRepository(db)
        audit = AuditLog(db)
        if args.officer_command == "add":
            return await _officer_add(users, audit, args)
        if args.officer_command == "remove":
            return await _officer_remove(users, audit, args)
        for user in await users.staff():
            print(f"{user.channel}\t{user.external_id}\t{user.role}\t{user.ward_id or '-'}")
        return 0


async def _officer_add(users: UserRepository, audit: AuditLog, args: argparse.Namespace) -> int:
    now = utc_now()
    try:
        user = await users.set_role(args.channel, args.user_id, args.role, args.ward, now=now)
    except ValueError as exc:
        print(f"Lỗi: {exc}", file=sys.stderr)
        return 2
    await audit.record(
        actor_user_id=None,
        action="officer.add",
        target=f"user:{user.id}",
        detail={"role": args.role, "ward": args.ward},
        now=now,
    )
    who = f"{user.channel}:{user.external_id}"
    print(f"Đã cấp quyền {user.role} xã/phường/đặc khu {user.ward_id} cho {who}")
    return 0


async def _officer_remove(users: UserRepository, audit: AuditLog, args: argparse.Namespace) -> int:
    now = utc_now()
    found = await users.find(args.channel, args.user_id)
    if found is None:
        print("Không tìm thấy người dùng.", file=sys.stderr)
        return 2
    await users.set_role(args.channel, args.user_id, "resident", None, now=now)
    await audit.record(
        actor_user_id=None, action="officer.remove", target=f"user:{found.id}", now=now
    )
    print(f"Đã thu hồi quyền cán bộ của {args.channel}:{args.user_id}")
    return 0


FEATURE_COMMANDS = (
    faq.add_cli,
    self_check.add_cli,
    exit_registration.add_cli,
    donations.add_cli,
    notices.add_cli,
    wards.add_cli,
)


def build_parser(
    extra: Sequence[Callable[[argparse._SubParsersAction[argparse.ArgumentParser]], None]] = (),
) -> argparse.ArgumentParser:
    """The argument parser with every subcommand."""
    parser = argparse.ArgumentParser(prog="giamngheo", description="Trợ lý Giảm nghèo")
    parser.add_argument(
        "--db", help="SQLite file (default DATABASE_PATH or data/giamngheo.sqlite3)"
    )
    parser.add_argument(
        "-v",
        "--verbose",
        action="count",
        default=0,
        help="log at INFO level (-vv: DEBUG); secrets and personal data are always masked",
    )
    sub = parser.add_subparsers(dest="command", required=True)

    start = sub.add_parser("start", help="Telegram when a token is set, otherwise the console chat")
    start.set_defaults(func=cmd_start, as_officer=False)

    chat = sub.add_parser("chat", help="chat in the console")
    chat.add_argument("--as-officer", action="store_true", help="act as the demo officer")
    chat.add_argument("--web", action="store_true", help="serve the web site beside the console")
    chat.set_defaults(func=cmd_chat)

    run = sub.add_parser("run", help="run the Telegram bot")
    run.add_argument("--webhook", action="store_true", help="webhook instead of long polling")
    run.add_argument("--web", action="store_true", help="serve the web site (HTTP_PORT) too")
    run.add_argument("--listen", help="listen address (default WEBHOOK_LISTEN)")
    run.add_argument("--port", type=cli_types.port, help="listen port (default WEBHOOK_PORT)")
    run.add_argument("--url", help="public webhook URL (default WEBHOOK_URL)")
    run.add_argument("--secret", help="secret token (default WEBHOOK_SECRET)")
    run.add_argument(
        "--channels",
        help="serve several channels on one HTTP server (HTTP_LISTEN:HTTP_PORT),"
        " e.g. telegram,zalo_oa,zalo_bot",
    )
    run.add_argument(
        "--workers",
        type=int,
        default=1,
        help="with --channels: N worker processes on one PostgreSQL database (DATABASE_URL)",
    )
    run.add_argument(
        "--max-rate",
        type=float,
        default=30.0,
        help="messages per second the bot sends at most, shared by all its workers",
    )
    run.add_argument("--worker-of", type=int, default=0, help=argparse.SUPPRESS)
    run.set_defaults(func=cmd_run)

    db = sub.add_parser("db", help="database maintenance")
    db_sub = db.add_subparsers(dest="db_command", required=True)
    db_sub.add_parser("migrate", help="create or migrate the database")
    backup = db_sub.add_parser("backup", help="online backup (safe while the bot runs)")
    backup.add_argument("path")
    copy = db_sub.add_parser(
        "copy", help="copy every row into an empty database (SQLite ⇄ PostgreSQL), then verify"
    )
    copy.add_argument("--from", dest="source", required=True, help="SQLite path or postgresql://")
    copy.add_argument("--to", dest="target", required=True, help="SQLite path or postgresql://")
    db.set_defaults(func=cmd_db)

    officer = sub.add_parser("officer", help="manage officers")
    officer_sub = officer.add_subparsers(dest="officer_command", required=True)
    add = officer_sub.add_parser("add", help="grant a role for a ward")
    add.add_argument("channel", choices=["telegram", "console", "zalo_oa", "zalo_bot"])
    add.add_argument("user_id")
    add.add_argument("--role", choices=["officer", "admin"], default="officer")
    add.add_argument("--ward", required=True)
    remove = officer_sub.add_parser("remove", help="revoke a role")
    remove.add_argument("channel")
    remove.add_argument("user_id")
    officer_sub.add_parser("list", help="list officers and admins")
    officer.set_defaults(func=cmd_officer)
    for add_commands in extra:
        add_commands(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script."""
    parser = build_parser(FEATURE_COMMANDS)
    args = parser.parse_args(argv)
    try:
        config = _config(args)
    except ConfigError as exc:  # a malformed setting: say which, no traceback
        print(f"Lỗi cấu hình / Configuration error: {exc}", file=sys.stderr)
        return 2
    setup_logging(args.verbose, config_secrets(config))
    sync_func = getattr(args, "sync_func", None)
    if sync_func is not None:
        result: int = sync_func(args, config)
        return result
    func: Command = args.func
    try:
        return asyncio.run(func(args, config))
    except KeyboardInterrupt:
        return 130
