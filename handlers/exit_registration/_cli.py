"""`giamngheo registrations export --ward W [--format csv|xlsx] [-o PATH]`."""

from __future__ import annotations

import argparse
import asyncio
import re
import sys
from pathlib import Path

from bot.core.config import Config
from bot.core.i18n import Translator
from handlers.exit_registration import _export
from storage import files
from storage.audit import AuditLog
from storage.clock import utc_now
from storage.db import open_database
from storage.registrations import RegistrationRepository
from storage.users import UserRepository

_SAFE_NAME = re.compile(r"[^0-9A-Za-z_-]")  # a ward id never makes a path


def default_path(args: argparse.Namespace, config: Config) -> Path:
    """The file an export without `-o` goes to: in `exports/` beside the database (0700)."""
    name = f"dang-ky-thoat-ngheo-{_SAFE_NAME.sub('_', args.ward)}.{args.format}"
    return files.exports_folder(config.database_path) / name


async def cmd_export(args: argparse.Namespace, config: Config) -> int:
    """Write a ward's registrations to a private CSV or XLSX file (0600).

    Without `-o` the file goes to `exports/` beside the database, never the current folder.
    Builds no app, so loads no demo data.
    """
    async with open_database(config.database) as db:
        if await UserRepository(db).ward(args.ward) is None:
            print(f"Không có xã/phường/đặc khu {args.ward!r}.", file=sys.stderr)
            return 2
        registrations = await RegistrationRepository(db).in_ward(args.ward)
        content = _export.render(Translator("vi"), registrations, args.format)
        path = Path(args.output) if args.output else default_path(args, config)
        try:
            await asyncio.to_thread(files.write_private, path, content)
        except files.UnsafeTarget as exc:
            print(f"Lỗi / Error: {exc}", file=sys.stderr)
            return 2
        await AuditLog(db).record(
            actor_user_id=None,
            action="registration.export",
            target=f"ward:{args.ward}",
            detail={"format": args.format, "rows": len(registrations), "via": "cli"},
            now=utc_now(),
        )
        print(f"Đã xuất {len(registrations)} hồ sơ vào {path.resolve()}")
        return 0


def add_cli(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `registrations export`."""
    parser = sub.add_parser("registrations", help="registrations to exit poverty")
    commands = parser.add_subparsers(dest="registrations_command", required=True)
    export = commands.add_parser("export", help="export a ward's list to CSV or XLSX")
    export.add_argument("--ward", required=True)
    export.add_argument("--format", choices=["csv", "xlsx"], default="csv")
    export.add_argument(
        "-o", "--output", help="file to write (default: exports/ beside the database)"
    )
    parser.set_defaults(func=cmd_export)
