"""Reading a bank statement (sao kê tài khoản) as Vietnamese banks export it: CSV or XLSX.

Banks put a few lines about the account above the table, name their columns in Vietnamese or
English, and write amounts the Vietnamese way ("5.000.000", "5.000.000,00") or the English
way ("5,000,000.00"). The header row is the first row (of the first 30) naming a date column
and an amount column; columns are recognised by their folded names (no diacritics, lower
case): ``Ngày giao dịch`` / ``Ngày GD`` / ``Transaction date``; ``Số tiền ghi có`` /
``Ghi có`` / ``Credit`` (or one signed ``Số tiền`` / ``Amount`` column); ``Nội dung`` /
``Diễn giải`` / ``Description``; ``Số tham chiếu`` / ``Mã giao dịch`` / ``Số bút toán`` /
``Reference``. Only credits (money in) are kept. A line without a reference gets one from a
hash of its date, amount, description and its rank among identical lines, so reading the same
file twice gives the same references.

Reconciliation (``Reconciler``) stores the lines (``storage.bank``), then sorts them: a note
carrying a reference of a campaign the ward may log to is a proposed gift; a bank reference
that a ledger gift already carries is a duplicate (never recorded again), or "recorded" when
the gift came from this line; the rest are unmatched, for the officer to assign. In the chat
(flow ``stmt``, ``/doisoat``) the officer sends the file; the buttons (``bk:``) record a line
through ``Ledger.append`` with the key ``bank:<reference>``, so a double tap records once.

```mermaid
stateDiagram-v2
    [*] --> campaign: /doisoat
    campaign --> file: a campaign of the ward (skipped when there is one)
    file --> file: text, or a file that is not a statement (why, and the question again)
    file --> [*]: the file, read: proposed (bk:ok, bk:all), known, unmatched (bk:pick → bk:as)
```
"""

from __future__ import annotations

import asyncio
import csv
import hashlib
import io
import re
import zipfile
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from enum import StrEnum

from bot.core.errors import UserFacingError
from bot.core.flow import (
    FlowData,
    Payload,
    Signal,
    StepFlow,
    StepHandler,
    StepResult,
    cancel_choice,
)
from bot.core.registry import STAFF
from bot.core.turn import Turn
from bot.core.types import Reply
from handlers.donations._flow import require_campaign
from knowledge.text import strip_diacritics
from storage.bank import REFERENCE_PREFIX, BankStore, LineIn, Progress, RecordedRef, StoredLine
from storage.ledger import Campaign, Entry, Ledger, LedgerError, NewEntry

__all__ = ["MAX_LINES", "Parsed", "StatementError", "file_hash", "parse_amount", "read_statement"]

MAX_ID = 10**12
MAX_LINES = 200_000
"""More lines than any ward account has in a year; a bigger file is refused."""
_HEADER_SCAN = 30

_ALIASES: dict[str, tuple[str, ...]] = {
    "date": (
        "ngay giao dich",
        "ngay gd",
        "ngay hach toan",
        "ngay hieu luc",
        "ngay ghi so",
        "ngay",
        "thoi gian",
        "thoi gian giao dich",
        "transaction date",
        "posting date",
        "value date",
        "date",
    ),
    "credit": (
        "so tien ghi co",
        "ghi co",
        "so tien co",
        "phat sinh co",
        "so tien vao",
        "tien vao",
        "co",
        "credit",
        "credit amount",
        "credit vnd",
    ),
    "debit": ("so tien ghi no", "ghi no", "so tien no", "phat sinh no", "no", "debit", "debit vnd"),
    "amount": ("so tien", "so tien giao dich", "amount", "so tien vnd"),
    "description": (
        "noi dung",
        "noi dung giao dich",
        "noi dung chi tiet",
        "dien giai",
        "mo ta",
        "chi tiet giao dich",
        "description",
        "details",
        "transaction details",
        "remark",
    ),
    "reference": (
        "so tham chieu",
        "ma giao dich",
        "ma gd",
        "so but toan",
        "so ct",
        "so chung tu",
        "ma tham chieu",
        "reference",
        "ref",
        "reference no",
        "transaction id",
        "trace no",
    ),
}
_LOOKUP = {alias: column for column, aliases in _ALIASES.items() for alias in aliases}
_GROUPED = re.compile(r"\d{1,3}(?:([.,])\d{3})(?:\1\d{3})*")
_DATE_DMY = re.compile(r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})")
_DATE_ISO = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")


class StatementError(ValueError):
    """A file that is not a statement we can read; `code` names why (for a message)."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


@dataclass(frozen=True, slots=True)
class Parsed:
    """The credit lines of a statement, and how many rows were skipped as unreadable."""

    lines: list[LineIn]
    skipped: int


def file_hash(data: bytes) -> str:
    """The SHA-256 of a file's bytes (hex): one statement row per file."""
    return hashlib.sha256(data).hexdigest()


def _fold(value: object) -> str:
    text = strip_diacritics(str(value or "")).lower()
    text = re.sub(r"\(.*?\)", " ", text)
    return " ".join(re.sub(r"[^a-z0-9]+", " ", text).split())


def parse_amount(value: object) -> int | None:
    """Whole đồng from a cell: 5000000, "5.000.000", "5,000,000.00", "5.000.000 VND"; else None.

    Fractions of a đồng (other than zeros) and negative amounts give None.
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value) if value.is_integer() else None
    text = re.sub(r"(?i)\s|vnd|vnđ|đ|\+", "", str(value or "").replace("\u00a0", ""))
    if not text or text.startswith("-"):
        return None
    if text.isdigit():
        return int(text)
    grouped = _GROUPED.fullmatch(text)
    if grouped:
        return int(re.sub(r"[.,]", "", text))
    for cut in (3, 2):  # "…,00" or "….0"
        head, sep, tail = text[:-cut], text[-cut], text[-cut + 1 :]
        if sep in ".," and tail.isdigit() and set(tail) == {"0"}:
            if head.isdigit():
                return int(head)
            inner = _GROUPED.fullmatch(head)
            if inner and inner.group(1) != sep:
                return int(re.sub(r"[.,]", "", head))
    return None


def parse_date(value: object) -> date | None:
    """A date from a cell: a date or datetime, "21/11/2026 10:15", "2026-11-21"; else None."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = str(value or "").strip()
    try:
        match = _DATE_DMY.match(text)
        if match:
            return date(int(match.group(3)), int(match.group(2)), int(match.group(1)))
        match = _DATE_ISO.match(text)
        if match:
            return date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
    except ValueError:
        return None
    return None


def _tables(data: bytes) -> Iterator[Iterator[Sequence[object]]]:
    """The ways to read the file's rows: an XLSX's first sheet, or CSV by `,` `;` or tab.

    The first way whose first rows hold a header wins.
    """
    if data[:4] == b"PK\x03\x04":
        yield _xlsx_rows(data)
        return
    text = _decode(data)
    for delimiter in (",", ";", "\t"):
        yield csv.reader(io.StringIO(text), delimiter=delimiter)


def _decode(data: bytes) -> str:
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return data.decode("utf-16")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1258", errors="replace")


def _xlsx_rows(data: bytes) -> Iterator[Sequence[object]]:
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError):
        raise StatementError("unreadable") from None
    try:
        sheet = book.worksheets[0]
        yield from sheet.iter_rows(values_only=True)
    finally:
        book.close()


def _header(row: Sequence[object]) -> dict[str, int] | None:
    columns: dict[str, int] = {}
    for index, cell in enumerate(row):
        column = _LOOKUP.get(_fold(cell))
        if column is not None and column not in columns:
            columns[column] = index
    has_amount = "credit" in columns or "amount" in columns
    return columns if "date" in columns and has_amount else None


def _cell(row: Sequence[object], columns: dict[str, int], name: str) -> object:
    index = columns.get(name)
    return row[index] if index is not None and index < len(row) else None


def _credit(row: Sequence[object], columns: dict[str, int]) -> int | None:
    """The money in on this row (None for a debit or an unreadable amount)."""
    if "credit" in columns:
        raw = _cell(row, columns, "credit")
        if raw in (None, "", "-", "0"):
            return 0
        return parse_amount(raw)
    raw = _cell(row, columns, "amount")
    text = str(raw or "").strip()
    if text.startswith("-") or (isinstance(raw, int | float) and raw < 0):
        return 0
    return parse_amount(raw)


def _lines(rows: Iterable[Sequence[object]], columns: dict[str, int]) -> Parsed:
    lines: list[LineIn] = []
    skipped = 0
    seen: dict[tuple[str, int, str], int] = {}
    for row in rows:
        if not any(str(cell or "").strip() for cell in row):
            continue
        day = parse_date(_cell(row, columns, "date"))
        amount = _credit(row, columns)
        if amount == 0 and day is not None:
            continue  # a debit line
        if day is None or amount is None or amount <= 0:
            skipped += 1
            continue
        description = " ".join(str(_cell(row, columns, "description") or "").split())[:500]
        ref = " ".join(str(_cell(row, columns, "reference") or "").split())[:60]
        if not ref:
            triple = (day.isoformat(), amount, description)
            rank = seen[triple] = seen.get(triple, 0) + 1
            digest = hashlib.sha256(repr((triple, rank)).encode()).hexdigest()[:16]
            ref = f"NOREF-{digest}"
        lines.append(LineIn(ref, day, amount, description))
        if len(lines) > MAX_LINES:
            raise StatementError("too_big")
    return Parsed(lines, skipped)


def read_statement(data: bytes) -> Parsed:
    """The credit lines of a statement file.

    Raises:
        StatementError: ``unreadable`` (not CSV or XLSX), ``header`` (no date and amount
            columns in the first rows), ``empty`` (no credit line), ``too_big``.
    """
    try:
        for rows in _tables(data):
            for _ in range(_HEADER_SCAN):
                row = next(rows, None)
                if row is None:
                    break
                columns = _header(row)
                if columns is not None:
                    parsed = _lines(rows, columns)
                    if not parsed.lines:
                        raise StatementError("empty")
                    return parsed
    except (csv.Error, UnicodeError):
        raise StatementError("unreadable") from None
    raise StatementError("header")


# ---- reconciliation ---------------------------------------------------------------------

_REFERENCE = re.compile(rf"(?<![0-9]){REFERENCE_PREFIX}(\d{{1,9}})(?![0-9])", re.IGNORECASE)
_LONG_NUMBER = re.compile(r"\b\d{6,}\b")
MAX_DONOR = 80


def bank_key(bank_ref: str) -> str:
    """The ledger idempotency key of a gift recorded from a statement line."""
    return f"bank:{bank_ref.strip().upper()}"


def match_reference(description: str, references: Mapping[str, int]) -> int | None:
    """The campaign whose transfer reference (``GN12``) the note carries, if any."""
    for found in _REFERENCE.finditer(description):  # ASCII letters: no folding needed
        campaign_id = references.get(f"{REFERENCE_PREFIX}{int(found.group(1))}")
        if campaign_id is not None:
            return campaign_id
    return None


def donor_from(description: str) -> str:
    """A donor name guessed from a note: the note without references and long numbers."""
    text = _REFERENCE.sub(" ", strip_diacritics(description).upper())
    text = _LONG_NUMBER.sub(" ", text)
    return " ".join(re.sub(r"[^A-Z0-9 ]+", " ", text).split())[:MAX_DONOR]


@dataclass(frozen=True, slots=True)
class Report:
    """An imported statement's lines, sorted by what the officer can do with them."""

    statement_id: int
    new_lines: int
    lines: int
    skipped: int
    proposed: list[StoredLine]
    """Carrying a campaign reference, not in the ledger yet: one tap records each."""
    recorded: list[tuple[StoredLine, RecordedRef]]
    """Already recorded from this line (an earlier import or tap)."""
    duplicates: list[tuple[StoredLine, RecordedRef]]
    """A gift with the same bank reference was recorded by other means: never again."""
    unmatched: list[StoredLine]
    """No campaign reference: the officer assigns them."""


class DuplicateTransfer(Exception):
    """A gift with the line's bank reference is already in the ledger (recorded otherwise)."""

    def __init__(self, recorded: RecordedRef) -> None:
        super().__init__(recorded.receipt)
        self.recorded = recorded


class Reconciler:
    """Imports statements and records their lines as gifts (method transfer)."""

    def __init__(self, ledger: Ledger, bank: BankStore) -> None:
        self.ledger = ledger
        self.bank = bank

    async def import_file(
        self,
        data: bytes,
        *,
        filename: str,
        campaign: Campaign,
        ward_id: str,
        actor: int | None,
        now: datetime,
        progress: Progress | None = None,
    ) -> Report:
        """Read and store a statement; its lines sorted (see `Report`).

        Raises:
            StatementError: the file cannot be read as a statement.
        """
        parsed = await asyncio.to_thread(read_statement, data)
        allowed = {c.id for c in await self.ledger.campaigns(ward_id=ward_id)}
        references = {
            ref: cid for ref, cid in (await self.bank.references()).items() if cid in allowed
        }
        lines = [
            replace(line, matched_campaign_id=match_reference(line.description, references))
            for line in parsed.lines
        ]
        outcome = await self.bank.import_lines(
            file_hash=file_hash(data),
            campaign_id=campaign.id,
            ward_id=ward_id,
            filename=filename,
            lines=lines,
            actor=actor,
            now=now,
            progress=progress,
        )
        sorted_lines = await self.sort([line.bank_ref for line in lines])
        return replace(
            sorted_lines,
            statement_id=outcome.statement_id,
            new_lines=outcome.new_lines,
            skipped=parsed.skipped,
        )

    async def sort(self, refs: Sequence[str]) -> Report:
        """The stored lines with these references, sorted by what is to be done with them."""
        stored = await self.bank.lines_by_refs(refs)
        recorded = await self.bank.recorded([line.bank_ref for line in stored])
        report = Report(0, 0, len(stored), 0, [], [], [], [])
        for line in stored:
            known = recorded.get(line.bank_ref.strip().upper())
            if known is not None and known.idempotency_key == bank_key(line.bank_ref):
                report.recorded.append((line, known))
            elif known is not None:
                report.duplicates.append((line, known))
            elif line.matched_campaign_id is not None:
                report.proposed.append(line)
            else:
                report.unmatched.append(line)
        return report

    async def record(
        self,
        line: StoredLine,
        campaign: Campaign,
        *,
        ward_id: str,
        actor: int | None,
        now: datetime,
    ) -> Entry:
        """Record the line as a gift to `campaign` (once: the key comes from the bank reference).

        Raises:
            DuplicateTransfer: a gift with this bank reference was recorded otherwise.
            LedgerError: the ledger refused it (a date before the campaign, another ward).
        """
        known = (await self.bank.recorded([line.bank_ref])).get(line.bank_ref.strip().upper())
        if known is not None and known.idempotency_key != bank_key(line.bank_ref):
            raise DuplicateTransfer(known)
        return await self.ledger.append(
            NewEntry(
                campaign_id=campaign.id,
                ward_id=ward_id,
                donor_type="person",
                donor_name=donor_from(line.description),
                public=False,
                amount=line.amount,
                method="transfer",
                donated_on=line.posted_on,
                recorded_by=actor,
                reference=line.bank_ref,
                note=SOURCE_NOTE,
                idempotency_key=bank_key(line.bank_ref),
            ),
            now=now,
        )


SOURCE_NOTE = "sao kê"
"""The note of a gift recorded from a statement line (shown in the ledger's exports)."""


# ---- the officer's upload in the chat (flow ``stmt``) and the one-tap buttons (``bk``) -----

SHOWN = 8
"""Lines listed (and buttons offered) per kind; the rest are counted."""


class StatementStep(StrEnum):
    """Steps of importing a statement in the chat (đối soát sao kê)."""

    CAMPAIGN = "campaign"
    """Asks which campaign's account the statement is of."""
    FILE = "file"
    """Asks for the statement file (CSV or XLSX) as a document."""


@dataclass(frozen=True)
class PickStatementCampaign(Payload):
    """The campaign whose account statement is uploaded (``stmt:c:<id>``)."""

    prefix = "stmt:c"
    id: int = field(metadata={"min": 1, "max": MAX_ID})


@dataclass(frozen=True)
class ConfirmLine(Payload):
    """Record a proposed line as a gift (``bk:ok:<line id>``)."""

    prefix = "bk:ok"
    line: int = field(metadata={"min": 1, "max": MAX_ID})


@dataclass(frozen=True)
class ConfirmAll(Payload):
    """Record every proposed line of a statement (``bk:all:<statement id>``)."""

    prefix = "bk:all"
    statement: int = field(metadata={"min": 1, "max": MAX_ID})


@dataclass(frozen=True)
class PickLine(Payload):
    """Choose a campaign for an unmatched line (``bk:pick:<line id>``)."""

    prefix = "bk:pick"
    line: int = field(metadata={"min": 1, "max": MAX_ID})


@dataclass(frozen=True)
class AssignLine(Payload):
    """Record an unmatched line as a gift to a campaign (``bk:as:<line id>:<campaign id>``)."""

    prefix = "bk:as"
    line: int = field(metadata={"min": 1, "max": MAX_ID})
    campaign: int = field(metadata={"min": 1, "max": MAX_ID})


@dataclass
class StatementData(FlowData):
    """The campaign picked for the upload."""

    campaign: int = 0
    campaign_name: str = ""


def _line_text(turn: Turn, line: StoredLine) -> str:
    return turn.t(
        "donations.bank.line",
        day=turn.day(line.posted_on),
        amount=turn.money(line.amount),
        ref=line.bank_ref,
        description=line.description[:60],
    )


def _more(turn: Turn, count: int) -> list[str]:
    return [turn.t("donations.bank.more", count=count - SHOWN)] if count > SHOWN else []


def report_replies(turn: Turn, report: Report) -> list[Reply]:
    """The import's summary, then what can be recorded with one tap, then what to assign."""
    out = [
        turn.reply(
            "donations.bank.imported",
            lines=report.lines,
            new=report.new_lines,
            proposed=len(report.proposed),
            recorded=len(report.recorded),
            duplicates=len(report.duplicates),
            unmatched=len(report.unmatched),
            skipped=report.skipped,
        )
    ]
    if report.duplicates or report.recorded:
        texts = [
            turn.t("donations.bank.duplicate", line=_line_text(turn, line), receipt=known.receipt)
            for line, known in [*report.duplicates, *report.recorded][:SHOWN]
        ]
        extra = _more(turn, len(report.duplicates) + len(report.recorded))
        out.append(Reply("\n".join([turn.t("donations.bank.known_head"), *texts, *extra])))
    if report.proposed:
        shown = report.proposed[:SHOWN]
        choices = [
            ConfirmLine(line.id).choice(
                turn.t("donations.bank.record_button", amount=turn.money(line.amount))
                + f" · {line.bank_ref}"[:40]
            )
            for line in shown
        ]
        if len(report.proposed) > 1 and report.statement_id:
            all_label = turn.t("donations.bank.record_all", count=len(report.proposed))
            choices.append(ConfirmAll(report.statement_id).choice(all_label))
        texts = [_line_text(turn, line) for line in shown]
        head = turn.t("donations.bank.proposed_head")
        body = "\n".join([head, *texts, *_more(turn, len(report.proposed))])
        out.append(Reply(body, tuple(choices)))
    if report.unmatched:
        shown = report.unmatched[:SHOWN]
        choices = [
            PickLine(line.id).choice(
                turn.t("donations.bank.assign_button", amount=turn.money(line.amount))
                + f" · {line.bank_ref}"[:40]
            )
            for line in shown
        ]
        texts = [_line_text(turn, line) for line in shown]
        head = turn.t("donations.bank.unmatched_head")
        body = "\n".join([head, *texts, *_more(turn, len(report.unmatched))])
        out.append(Reply(body, tuple(choices)))
    return out


class StatementFlow(StepFlow[StatementData]):
    """Campaign → the file as a document; the result is shown and the flow ends."""

    name = "stmt"
    roles = STAFF
    data_type = StatementData

    def __init__(self, ledger: Ledger, reconciler: Reconciler) -> None:
        self.ledger = ledger
        self.reconciler = reconciler

    def steps(self) -> Mapping[str, StepHandler]:
        """The step table."""
        return {StatementStep.CAMPAIGN: self.on_campaign, StatementStep.FILE: self.on_file}

    async def start(self, turn: Turn) -> list[Reply]:
        """Asks which campaign (the file, if the ward has only one)."""
        turn.require_staff()
        if turn.user.ward_id is None:
            raise UserFacingError("error.permission")
        every = await self.ledger.campaigns(ward_id=turn.user.ward_id)
        own = [c for c in every if c.ward_id == turn.user.ward_id or c.ward_id is None]
        if not own:
            return [turn.reply("donations.bank.no_campaign")]
        if len(own) == 1:
            data = StatementData(own[0].id, own[0].name)
            self.enter(turn, StatementStep.FILE, data)
            return [self._ask_file(turn, data)]
        self.enter(turn, StatementStep.CAMPAIGN, StatementData())
        choices = [PickStatementCampaign(c.id).choice(c.name) for c in own[-10:]]
        return [
            Reply(turn.t("donations.bank.ask_statement_campaign"), (*choices, cancel_choice(turn)))
        ]

    async def handle(self, turn: Turn) -> StepResult:
        """Checks the user is staff, then runs the step."""
        turn.require_staff()
        return await super().handle(turn)

    async def on_campaign(self, turn: Turn, data: StatementData) -> StepResult:
        """A campaign picked: asks for the file; else the campaigns again."""
        pick = PickStatementCampaign.unpack(turn.payload)
        if pick is None:
            return Signal.REPEAT
        campaign = await require_campaign(turn, self.ledger, pick.id)
        data.campaign, data.campaign_name = campaign.id, campaign.name
        self.go(turn, StatementStep.FILE)
        return [self._ask_file(turn, data)]

    async def on_file(self, turn: Turn, data: StatementData) -> StepResult:
        """A statement file: the import's result; text or an unreadable file: why, same step."""
        document = turn.inbound.document
        if document is None:
            if not turn.text.strip():
                return [self._ask_file(turn, data)]
            # Typed, not sent: where no file can be sent (the console), the command line can.
            hint = turn.reply("donations.bank.file_typed", campaign_id=data.campaign)
            return [hint, self._ask_file(turn, data)]
        campaign = await require_campaign(turn, self.ledger, data.campaign)
        ward = turn.user.ward_id
        if ward is None:
            raise UserFacingError("error.permission")
        try:
            report = await self.reconciler.import_file(
                document,
                filename=turn.text[:120],
                campaign=campaign,
                ward_id=ward,
                actor=turn.user.id,
                now=turn.now,
            )
        except StatementError as exc:
            return [turn.reply(f"donations.bank.file_{exc.code}"), self._ask_file(turn, data)]
        turn.session.clear()
        return report_replies(turn, report)

    @staticmethod
    def _ask_file(turn: Turn, data: StatementData) -> Reply:
        text = turn.t("donations.bank.ask_file", campaign=data.campaign_name)
        return Reply(text, (cancel_choice(turn),), expects_text=True)


class LineActions:
    """The ``bk:`` buttons: record a proposed line, all of them, or assign an unmatched one."""

    def __init__(self, ledger: Ledger, bank: BankStore, reconciler: Reconciler) -> None:
        self.ledger = ledger
        self.bank = bank
        self.reconciler = reconciler

    async def action(self, turn: Turn) -> list[Reply]:
        """Routes a ``bk:`` payload (every one checked against the line's ward)."""
        confirm = ConfirmLine.unpack(turn.payload)
        if confirm is not None:
            line = await self._line(turn, confirm.line)
            if line.matched_campaign_id is None:
                return await self._pick(turn, line)
            return [await self._record(turn, line, line.matched_campaign_id)]
        assign = AssignLine.unpack(turn.payload)
        if assign is not None:
            line = await self._line(turn, assign.line)
            return [await self._record(turn, line, assign.campaign)]
        pick = PickLine.unpack(turn.payload)
        if pick is not None:
            return await self._pick(turn, await self._line(turn, pick.line))
        every = ConfirmAll.unpack(turn.payload)
        if every is not None:
            return await self._record_all(turn, every.statement)
        return [turn.reply("error.unknown_button")]

    async def _line(self, turn: Turn, line_id: int) -> StoredLine:
        line = await self.bank.line(line_id)
        ward = await self.bank.statement_ward(line.statement_id) if line else None
        if line is None or ward is None:
            raise UserFacingError("donations.bank.line_missing")
        turn.require_staff(ward)
        return line

    async def _record(self, turn: Turn, line: StoredLine, campaign_id: int) -> Reply:
        campaign = await require_campaign(turn, self.ledger, campaign_id)
        ward = await self.bank.statement_ward(line.statement_id)
        assert ward is not None
        turn.require_staff(ward)
        known = (await self.bank.recorded([line.bank_ref])).get(line.bank_ref.strip().upper())
        if known is not None and known.idempotency_key == bank_key(line.bank_ref):
            return turn.reply("donations.bank.already", ref=line.bank_ref, receipt=known.receipt)
        try:
            entry = await self.reconciler.record(
                line, campaign, ward_id=ward, actor=turn.user.id, now=turn.now
            )
        except DuplicateTransfer as exc:
            return turn.reply(
                "donations.bank.duplicate",
                line=_line_text(turn, line),
                receipt=exc.recorded.receipt,
            )
        except LedgerError as exc:
            return turn.reply(f"donations.ledger.{exc.code}")
        return turn.reply(
            "donations.bank.recorded",
            receipt=entry.receipt,
            amount=turn.money(entry.amount),
            campaign=campaign.name,
            ref=line.bank_ref,
        )

    async def _pick(self, turn: Turn, line: StoredLine) -> list[Reply]:
        ward = await self.bank.statement_ward(line.statement_id)
        campaigns = await self.ledger.open_campaigns(ward_id=ward, day=line.posted_on)
        if not campaigns:
            return [turn.reply("donations.bank.no_campaign")]
        choices = [AssignLine(line.id, c.id).choice(c.name) for c in campaigns[:8]]
        text = turn.t("donations.bank.assign_ask", line=_line_text(turn, line))
        return [Reply(text, tuple(choices))]

    async def _record_all(self, turn: Turn, statement_id: int) -> list[Reply]:
        ward = await self.bank.statement_ward(statement_id)
        if ward is None:
            raise UserFacingError("donations.bank.line_missing")
        turn.require_staff(ward)
        refs = await self.bank.statement_refs(statement_id)
        report = await self.reconciler.sort(refs)
        receipts: list[str] = []
        for line in report.proposed:
            assert line.matched_campaign_id is not None
            reply = await self._record(turn, line, line.matched_campaign_id)
            receipts.append(reply.text)
        if not receipts:
            return [turn.reply("donations.bank.nothing_left")]
        return [Reply("\n".join(receipts[:SHOWN] + _more(turn, len(receipts))))]
