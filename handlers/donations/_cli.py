"""`giamngheo donations export`: the ledger entries as CSV or XLSX."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

from bot.core.config import Config
from bot.core.i18n import Translator
from handlers.donations._reports import export_bytes
from storage.db import open_database
from storage.ledger import Ledger


async def cmd_export(args: argparse.Namespace, config: Config) -> int:
    """Write the entries (optionally one ward or campaign) to `-o PATH` or standard output."""
    async with open_database(config.database_path) as db:
        data = await export_bytes(
            Ledger(db),
            Translator("vi"),
            fmt=args.format,
            campaign_id=args.campaign,
            ward_id=args.ward,
        )
    if args.output:
        await asyncio.to_thread(Path(args.output).write_bytes, data)
        print(f"Đã xuất {args.output}", file=sys.stderr)
    else:
        sys.stdout.buffer.write(data)
    return 0


def add_cli(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `donations export`."""
    donations = sub.add_parser("donations", help="Quỹ Vì người nghèo: sổ thu")
    donations_sub = donations.add_subparsers(dest="donations_command", required=True)
    export = donations_sub.add_parser("export", help="export ledger entries (CSV or XLSX)")
    export.add_argument("--ward", help="only this ward id")
    export.add_argument("--campaign", type=int, help="only this campaign id")
    export.add_argument("--format", choices=["csv", "xlsx"], default="csv")
    export.add_argument("-o", "--output", help="output file (default: standard output)")
    export.set_defaults(func=cmd_export)
