"""`giamngheo donations account` and `giamngheo donations import-statement`.

``account --campaign C --bin 970436 --number 0011001932418 --name "UBMTTQ PHUONG HOA CUONG"``
gives a campaign its receiving account (and its transfer reference, the first time).
``import-statement FILE --campaign C`` reads a bank statement (CSV or XLSX), stores its lines
and prints what it found: lines carrying a campaign reference (proposed gifts), lines already
recorded or duplicating a recorded gift, and the rest to assign in the chat. ``--record``
also records every proposed line as a gift, each once (its ledger key is drawn from the bank
reference), so a run killed half-way and run again loses and duplicates nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import sys
from pathlib import Path

from bot.core import cli_types
from bot.core.config import Config
from bot.core.i18n import Translator, format_vnd
from handlers.donations._import import DuplicateTransfer, Reconciler, StatementError
from knowledge.text import strip_diacritics
from storage.bank import BankStore, StoredLine
from storage.clock import utc_now
from storage.db import open_database
from storage.ledger import Campaign, Ledger, LedgerError

__all__ = ["add_bank_cli"]

RECORD_GROUP = 100
"""Gifts recorded together (they share the database's group commit)."""


def _fail(message: str) -> int:
    print(f"Lỗi / Error: {message}", file=sys.stderr)
    return 2


async def cmd_account(args: argparse.Namespace, config: Config) -> int:
    """Set a campaign's receiving account; prints its transfer reference."""
    bin_code = re.sub(r"\s", "", args.bin)
    number = re.sub(r"[\s.\-]", "", args.number).upper()
    name = " ".join(re.sub(r"[^A-Z0-9 ]", " ", strip_diacritics(args.name).upper()).split())
    if not re.fullmatch(r"\d{6}", bin_code):
        return _fail("BIN phải có 6 chữ số / BIN must be 6 digits")
    if not re.fullmatch(r"[0-9A-Z]{1,19}", number):
        return _fail("số tài khoản 1-19 chữ số / account number of 1-19 digits")
    if not 0 < len(name) <= 70:
        return _fail("tên chủ tài khoản 1-70 ký tự / account name of 1-70 characters")
    async with open_database(config.database) as db:
        campaign = await Ledger(db).campaign(args.campaign)
        if campaign is None:
            return _fail(f"không có đợt {args.campaign} / no campaign {args.campaign}")
        account = await BankStore(db).set_account(
            campaign.id, bin_code=bin_code, number=number, name=name, actor=None, now=utc_now()
        )
    print(f"Đợt {campaign.id}: {account.bin} {account.number} {account.name}")
    print(f"Mã chuyển khoản / transfer reference: {account.reference}")
    return 0


def _show(line: StoredLine, extra: str = "") -> str:
    day = line.posted_on.strftime("%d/%m/%Y")
    amount = format_vnd(line.amount, "vi")
    return f"  {day}  {amount:>16}  {line.bank_ref}  {line.description[:50]}{extra}"


async def _progress(done: int, total: int) -> None:
    print(f"dòng / lines {done}/{total}", file=sys.stderr, flush=True)


async def _record_all(
    reconciler: Reconciler, campaigns: dict[int, Campaign], lines: list[StoredLine], ward: str
) -> tuple[int, list[tuple[StoredLine, str]]]:
    """Record proposed lines in groups; (how many recorded, each refused line and why)."""
    recorded = 0
    refused: list[tuple[StoredLine, str]] = []
    why = Translator("vi")

    async def one(line: StoredLine) -> bool:
        assert line.matched_campaign_id is not None
        try:
            await reconciler.record(
                line, campaigns[line.matched_campaign_id], ward_id=ward, actor=None, now=utc_now()
            )
        except DuplicateTransfer as exc:
            refused.append((line, f"= {exc.recorded.receipt}"))
            return False
        except LedgerError as exc:
            refused.append((line, why(f"donations.ledger.{exc.code}")))
            return False
        return True

    for start in range(0, len(lines), RECORD_GROUP):
        results = await asyncio.gather(*(one(x) for x in lines[start : start + RECORD_GROUP]))
        recorded += sum(results)
        done = min(start + RECORD_GROUP, len(lines))
        print(f"ghi nhận / recorded {done}/{len(lines)}", file=sys.stderr, flush=True)
    return recorded, refused


async def cmd_import(args: argparse.Namespace, config: Config) -> int:
    """Import a statement file; print its lines by kind (and record the proposed ones)."""
    path = Path(args.file)
    try:
        data = await asyncio.to_thread(path.read_bytes)
    except OSError as exc:
        return _fail(str(exc))
    async with open_database(config.database) as db:
        ledger = Ledger(db)
        campaign = await ledger.campaign(args.campaign)
        if campaign is None:
            return _fail(f"không có đợt {args.campaign} / no campaign {args.campaign}")
        ward = campaign.ward_id or args.ward
        if ward is None:
            return _fail("đợt toàn tỉnh: cần --ward / a province-wide campaign needs --ward")
        reconciler = Reconciler(ledger, BankStore(db))
        try:
            report = await reconciler.import_file(
                data,
                filename=path.name,
                campaign=campaign,
                ward_id=ward,
                actor=None,
                now=utc_now(),
                progress=_progress,
            )
        except StatementError as exc:
            return _fail(f"không đọc được sao kê ({exc.code}) / cannot read the statement")
        print(
            f"{report.lines} dòng có / credit lines, {report.new_lines} mới / new,"
            f" {report.skipped} bỏ qua / skipped"
        )
        print(f"Đề xuất ghi nhận / proposed: {len(report.proposed)}")
        for line in report.proposed[: args.show]:
            print(_show(line, f"  → đợt {line.matched_campaign_id}"))
        print(f"Đã ghi / recorded: {len(report.recorded)}")
        print(f"Trùng khoản đã ghi / duplicates: {len(report.duplicates)}")
        for line, known in report.duplicates[: args.show]:
            print(_show(line, f"  = {known.receipt}"))
        print(f"Chưa rõ đợt / unmatched: {len(report.unmatched)}")
        for line in report.unmatched[: args.show]:
            print(_show(line))
        if args.record and report.proposed:
            ids = {cid for line in report.proposed if (cid := line.matched_campaign_id)}
            campaigns = {c.id: c for c in await ledger.campaigns(ward_id=ward) if c.id in ids}
            done, refused = await _record_all(reconciler, campaigns, report.proposed, ward)
            print(f"Đã ghi nhận / now recorded: {done}; từ chối / refused: {len(refused)}")
            for line, reason in refused[: args.show]:
                print(_show(line, f"  ✗ {reason}"))
    return 0


def _donations_sub(
    sub: argparse._SubParsersAction[argparse.ArgumentParser],
) -> argparse._SubParsersAction[argparse.ArgumentParser]:
    """The `donations` command's sub-commands (made by `_cli.add_cli`), or new ones."""
    parser = sub.choices.get("donations")
    if parser is None:
        parser = sub.add_parser("donations", help="Quỹ Vì người nghèo")
        return parser.add_subparsers(dest="donations_command", required=True)
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return action
    return parser.add_subparsers(dest="donations_command", required=True)


def add_bank_cli(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `donations account` and `donations import-statement` (after `_cli.add_cli`)."""
    donations_sub = _donations_sub(sub)
    account = donations_sub.add_parser("account", help="set a campaign's receiving account")
    account.add_argument("--campaign", type=cli_types.record_id, required=True, help="campaign id")
    account.add_argument("--bin", required=True, help="the bank's 6-digit NAPAS BIN")
    account.add_argument("--number", required=True, help="account number")
    account.add_argument("--name", required=True, help="account holder's name")
    account.set_defaults(func=cmd_account)
    statement = donations_sub.add_parser(
        "import-statement", help="import a bank statement (CSV or XLSX) for reconciliation"
    )
    statement.add_argument("file", help="the statement file")
    statement.add_argument(
        "--campaign", type=cli_types.record_id, required=True, help="campaign id"
    )
    statement.add_argument("--ward", help="ward id (only for a province-wide campaign)")
    statement.add_argument(
        "--record", action="store_true", help="record every proposed line as a gift (once each)"
    )
    statement.add_argument("--show", type=cli_types.shown, default=20, help="lines listed per kind")
    statement.set_defaults(func=cmd_import)
