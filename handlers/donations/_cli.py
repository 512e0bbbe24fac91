"""`giamngheo donations export`: the ledger entries as CSV or XLSX."""

from __future__ import annotations

import argparse
import asyncio
import re
import sys
from pathlib import Path

from bot.core.config import Config
from bot.core.i18n import Translator
from handlers.donations._reports import export_bytes
from storage import files
from storage.clock import utc_now
from storage.db import open_database
from storage.ledger import Ledger

STDOUT = "-"

BINARY_TO_TERMINAL = (
    "Không ghi tệp XLSX (nhị phân) ra màn hình: dùng -o TỆP, hoặc chuyển tiếp (| hay >)."
    " / Refusing to write XLSX (binary) to a terminal: use -o FILE, or a pipe or redirect."
)


_SAFE_NAME = re.compile(r"[^0-9A-Za-z_-]")  # a ward id never makes a path


def default_path(args: argparse.Namespace, config: Config) -> Path:
    """The file an export without `-o` goes to: in `exports/` beside the database."""
    name = "so-thu"
    if args.ward:
        name += f"-{_SAFE_NAME.sub('_', args.ward)}"
    if args.campaign is not None:
        name += f"-dot-{args.campaign}"
    name += f"-{utc_now().date().isoformat()}.{args.format}"
    return files.exports_folder(config.database_path) / name


async def cmd_export(args: argparse.Namespace, config: Config) -> int:
    """Write the entries (optionally one ward or campaign) to a private file, or `-o -`."""
    to_stdout = args.output == STDOUT
    if to_stdout and args.format == "xlsx" and sys.stdout.isatty():
        print(BINARY_TO_TERMINAL, file=sys.stderr)
        return 2
    async with open_database(config.database_path) as db:
        data = await export_bytes(
            Ledger(db),
            Translator("vi"),
            fmt=args.format,
            campaign_id=args.campaign,
            ward_id=args.ward,
        )
    if to_stdout:
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
        return 0
    path = Path(args.output) if args.output else default_path(args, config)
    try:
        await asyncio.to_thread(files.write_private, path, data)
    except files.UnsafeTarget as exc:
        print(f"Lỗi / Error: {exc}", file=sys.stderr)
        return 2
    print(f"Đã xuất {path.resolve()}", file=sys.stderr)
    return 0


def add_cli(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `donations export`."""
    donations = sub.add_parser("donations", help="Quỹ Vì người nghèo: sổ thu")
    donations_sub = donations.add_subparsers(dest="donations_command", required=True)
    export = donations_sub.add_parser("export", help="export ledger entries (CSV or XLSX)")
    export.add_argument("--ward", help="only this ward id")
    export.add_argument("--campaign", type=int, help="only this campaign id")
    export.add_argument("--format", choices=["csv", "xlsx"], default="csv")
    export.add_argument(
        "-o",
        "--output",
        help="output file, '-' for standard output (never XLSX to a terminal);"
        " default: exports/ beside the database",
    )
    export.set_defaults(func=cmd_export)
