"""`giamngheo donations export | statement | verify`: the ledger's files.

`export` writes the entries (officers' data) as CSV or XLSX; `statement` writes a campaign's
public statement (sao kê) as PDF, CSV or XLSX; `verify` recomputes a statement file's checksum
and, given `--db`, says whether the ledger still gives the same statement.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import sys
from datetime import date
from pathlib import Path

from bot.core import cli_types
from bot.core.config import Config
from bot.core.i18n import Translator
from handlers.donations._dates import parse_day
from handlers.donations._reports import export_bytes
from handlers.donations._statement import (
    FORMATS,
    file_name,
    ledger_checksum,
    make_statement,
    render,
    verify_bytes,
)
from storage import files
from storage.clock import utc_now
from storage.db import open_database
from storage.ledger import Ledger
from storage.users import UserRepository

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
    async with open_database(config.database) as db:
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


def _day(text: str) -> date:
    """A `--from`/`--to` date: dd/mm/yyyy or yyyy-mm-dd."""
    try:
        return date.fromisoformat(text)
    except ValueError:
        pass
    found = parse_day(text, utc_now().date())
    if found is None:
        raise argparse.ArgumentTypeError(f"ngày không hợp lệ / not a date: {text!r}")
    return found


async def cmd_statement(args: argparse.Namespace, config: Config) -> int:
    """Write a campaign's statement (optionally one period) to a private file, or `-o -`."""
    to_stdout = args.output == STDOUT
    if to_stdout and args.format != "csv" and sys.stdout.isatty():
        print(BINARY_TO_TERMINAL.replace("XLSX", args.format.upper()), file=sys.stderr)
        return 2
    if args.start and args.end and args.end < args.start:
        print("Lỗi / Error: --to < --from", file=sys.stderr)
        return 2
    t = Translator(args.lang)
    async with open_database(config.database) as db:
        ledger = Ledger(db)
        campaign = await ledger.campaign(args.campaign)
        if campaign is None:
            print(f"Không có đợt {args.campaign} / no campaign {args.campaign}", file=sys.stderr)
            return 2
        statement = await make_statement(
            ledger,
            UserRepository(db),
            t,
            campaign=campaign,
            start=args.start,
            end=args.end,
            now=utc_now(),
        )
    data = await asyncio.to_thread(render, statement, t, args.format)
    if to_stdout:
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
        return 0
    if args.output:
        path = Path(args.output)
    else:
        path = files.exports_folder(config.database_path) / file_name(statement, args.format)
    try:
        await asyncio.to_thread(files.write_private, path, data)
    except files.UnsafeTarget as exc:
        print(f"Lỗi / Error: {exc}", file=sys.stderr)
        return 2
    print(f"Đã xuất {path.resolve()}", file=sys.stderr)
    print(f"SHA-256: {statement.checksum}", file=sys.stderr)
    return 0


async def cmd_verify(args: argparse.Namespace, config: Config) -> int:
    """Check a statement file: intact (0), altered or unreadable (1), or not like the ledger (3)."""
    try:
        data = await asyncio.to_thread(Path(args.file).read_bytes)
    except OSError as exc:
        print(f"Lỗi / Error: {exc}", file=sys.stderr)
        return 2
    verdict = await asyncio.to_thread(verify_bytes, data)
    if not verdict.intact or verdict.state is None:
        print(f"KHÔNG NGUYÊN VẸN / NOT INTACT ({verdict.problem}): {args.file}")
        if verdict.printed:
            print(f"  mã in trên tệp / printed: {verdict.printed}")
        if verdict.computed:
            print(f"  mã tính lại / recomputed: {verdict.computed}")
        return 1
    print(f"NGUYÊN VẸN / INTACT: {args.file} ({verdict.lines} dòng / lines)")
    print(f"  SHA-256: {verdict.printed}")
    print(f"  {verdict.state.text()}")
    if not (args.verify_db or args.db):
        return 0
    database = Path(args.verify_db) if args.verify_db else config.database_path
    if not database.exists():
        print(f"Lỗi / Error: {database} không có / does not exist", file=sys.stderr)
        return 2
    async with open_database(database) as db:
        now_checksum = await ledger_checksum(
            Ledger(db), UserRepository(db), verdict.state, utc_now()
        )
    if now_checksum == verdict.printed:
        print("KHỚP SỔ / MATCHES THE LEDGER")
        return 0
    print("KHÔNG KHỚP SỔ / DOES NOT MATCH THE LEDGER (sổ đã thay đổi / the ledger has changed)")
    print(f"  sổ hiện nay / ledger now: {now_checksum or '-'}")
    return 3


def add_cli(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `donations export`, `donations statement` and `donations verify`."""
    donations = sub.add_parser("donations", help="Quỹ Vì người nghèo: sổ thu")
    donations_sub = donations.add_subparsers(dest="donations_command", required=True)
    export = donations_sub.add_parser("export", help="export ledger entries (CSV or XLSX)")
    export.add_argument("--ward", help="only this ward id")
    export.add_argument("--campaign", type=cli_types.record_id, help="only this campaign id")
    export.add_argument("--format", choices=["csv", "xlsx"], default="csv")
    export.add_argument(
        "-o",
        "--output",
        help="output file, '-' for standard output (never XLSX to a terminal);"
        " default: exports/ beside the database",
    )
    export.set_defaults(func=cmd_export)

    statement = donations_sub.add_parser(
        "statement", help="a campaign's public statement (sao kê) as PDF, CSV or XLSX"
    )
    statement.add_argument(
        "--campaign", type=cli_types.record_id, required=True, help="campaign id"
    )
    statement.add_argument("--from", dest="start", type=_day, help="first day (dd/mm/yyyy)")
    statement.add_argument("--to", dest="end", type=_day, help="last day (dd/mm/yyyy)")
    statement.add_argument("--format", choices=FORMATS, default="pdf")
    statement.add_argument("--lang", choices=["vi", "en"], default="vi")
    statement.add_argument(
        "-o",
        "--output",
        help="output file, '-' for standard output (CSV only to a terminal);"
        " default: exports/ beside the database",
    )
    statement.set_defaults(func=cmd_statement)

    verify = donations_sub.add_parser(
        "verify", help="check a statement file's checksum (and, with --db, against the ledger)"
    )
    verify.add_argument("file", help="the statement (PDF, CSV or XLSX)")
    verify.add_argument(
        "--db", dest="verify_db", help="also check it against this database (as giamngheo --db)"
    )
    verify.set_defaults(func=cmd_verify)
