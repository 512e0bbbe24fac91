"""The public statement (sao kê): made from the ledger, sent in the chat, checked by `verify`.

`make_statement` streams a campaign's gifts and money out of one period from the ledger
(`Ledger.read_period`, lean rows from one read transaction) into the builder
(`_statement_data.build`, each line hashed as it is built); `render` writes it as PDF, CSV or
XLSX (`_statement_render`). `statement_choices` gives `/minhbach` its statement
buttons (`sk:pdf:<id>` for everyone, `sk:csv|xlsx:<id>` for officers of the campaign's ward),
and `Statements.action` answers them with the file. `verify_bytes` recomputes a file's
checksum and, given the ledger, whether the file still matches it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Literal

from bot.core.errors import PermissionDenied, UserFacingError
from bot.core.flow import Payload
from bot.core.i18n import Translator, format_day, format_moment, format_vnd, to_local
from bot.core.turn import Turn
from bot.core.types import Attachment, Choice, Reply
from handlers.donations._statement_data import (
    COLUMNS,
    Source,
    State,
    Statement,
    build,
    checksum_of,
    parse_state,
)
from handlers.donations._statement_render import (
    Extracted,
    Labels,
    read_file,
    to_csv,
    to_pdf,
    to_xlsx,
)
from storage.ledger import (
    Campaign,
    Ledger,
    PeriodFigures,
    StatementGift,
    StatementOut,
)
from storage.users import UserRepository

__all__ = [
    "FORMATS",
    "StatementFile",
    "Statements",
    "Verdict",
    "make_statement",
    "render",
    "statement_choices",
    "verify_bytes",
]

FORMATS = ("pdf", "csv", "xlsx")
MAX_BUTTONS = 6  # campaigns offered as statement buttons in /minhbach
MAX_ID = 10**12
_KEY = "donations.statement."


@dataclass(frozen=True)
class StatementFile(Payload):
    """A campaign's statement file (``sk:pdf:<id>``, ``sk:csv:<id>``, ``sk:xlsx:<id>``)."""

    prefix = "sk"
    fmt: Literal["pdf", "csv", "xlsx"]
    id: int = field(metadata={"min": 1, "max": MAX_ID})


def labels_for(t: Translator) -> Labels:
    """The files' words in `t`'s language."""
    return Labels(
        title=t(f"{_KEY}title"),
        columns=tuple(t(f"{_KEY}col.{column}") for column in COLUMNS),
        opening=t(f"{_KEY}opening"),
        closing=t(f"{_KEY}closing"),
        section_in=t(f"{_KEY}section_in"),
        section_out=t(f"{_KEY}section_out"),
        total_in=t(f"{_KEY}total_in"),
        total_out=t(f"{_KEY}total_out"),
        no_outs=t(f"{_KEY}no_outs"),
        by_donor_type=t(f"{_KEY}by_donor_type"),
        by_method_in=t(f"{_KEY}by_method_in"),
        by_method_out=t(f"{_KEY}by_method_out"),
        by_purpose=t(f"{_KEY}by_purpose"),
        checksum=t(f"{_KEY}checksum"),
        state=t(f"{_KEY}state"),
        generated=t(f"{_KEY}generated"),
        page=t(f"{_KEY}page"),
        money=lambda amount: format_vnd(amount, t.language),
    )


async def make_statement(
    ledger: Ledger,
    users: UserRepository,
    t: Translator,
    *,
    campaign: Campaign,
    start: date | None,
    end: date | None,
    now: datetime,
) -> Statement:
    """The statement of `campaign` from `start` to `end` (None: open-ended), made at `now`.

    The ledger's rows stream from one read transaction (`Ledger.read_period`) into `build` on
    a worker thread, each line built and hashed as its row arrives.
    """
    wards = {ward.id: ward.name for ward in await users.wards(include_disabled=True)}
    source = Source(
        campaign_id=campaign.id,
        campaign_name=campaign.name,
        fund=campaign.fund,
        start=start,
        end=end,
        wards=wards,
    )

    def consume(
        figures: PeriodFigures, gifts: Iterator[StatementGift], outs: Iterator[StatementOut]
    ) -> Statement:
        return build(
            source,
            figures,
            gifts,
            outs,
            t,
            generated_at=now,
            day=lambda day: format_day(day, t.language),
            moment=lambda moment: format_moment(moment, t.language),
            local=to_local,
        )

    return await ledger.read_period(campaign.id, start, end, consume)


def render(statement: Statement, t: Translator, fmt: str) -> bytes:
    """The statement as `fmt` ("pdf", "csv" or "xlsx") bytes (CPU-bound: run in a thread)."""
    labels = labels_for(t)
    if fmt == "pdf":
        return to_pdf(statement, labels)
    if fmt == "xlsx":
        return to_xlsx(statement, labels, t("donations.statement.sheet"))
    return to_csv(statement, labels)


def file_name(statement: Statement, fmt: str) -> str:
    """`sao-ke-<campaign>[-<from>][-<to>].<fmt>` (ASCII)."""
    state = statement.state
    name = f"sao-ke-{state.campaign_id}"
    if state.start is not None:
        name += f"-{state.start.isoformat()}"
    if state.end is not None:
        name += f"-den-{state.end.isoformat()}"
    return f"{name}.{fmt}"


# ---- verify ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Verdict:
    """What `verify` found: `problem` is None for an intact file, else a reason code."""

    problem: str | None
    printed: str
    computed: str
    state: State | None
    lines: int

    @property
    def intact(self) -> bool:
        """Whether the file is the statement its checksum says it is."""
        return self.problem is None


def check(found: Extracted) -> Verdict:
    """Recompute the checksum of what was read from a file and check its arithmetic."""
    states = set(found.states)
    printed = set(found.checksums)
    state = parse_state(found.states[0]) if len(states) == 1 else None
    text = found.states[0] if state is not None else ""
    computed = checksum_of(text, found.lines) if state is not None else ""
    shown = next(iter(printed)) if len(printed) == 1 else ""
    problem: str | None = None
    if state is None:
        problem = "no_state"
    elif not shown:
        problem = "no_checksum"
    elif computed != shown:
        problem = "checksum"
    else:
        ins = [line for line in found.lines if not line.money_out]
        outs = [line for line in found.lines if line.money_out]
        money_in = sum(line.money_in for line in ins)
        money_out = sum(line.money_out for line in outs)
        if (len(ins), len(outs)) != (state.gifts, state.outs):
            problem = "count"
        elif state.opening + money_in - money_out != state.closing:
            problem = "balance"
    return Verdict(problem, shown, computed, state, len(found.lines))


def verify_bytes(data: bytes) -> Verdict:
    """The verdict on a statement file's bytes (PDF, CSV or XLSX)."""
    try:
        found = read_file(data)
    except (ValueError, KeyError, IndexError, OSError) as exc:
        return Verdict(f"unreadable:{type(exc).__name__}", "", "", None, 0)
    try:
        return check(found)
    except ValueError:
        return Verdict("unreadable:ValueError", "", "", None, 0)


async def ledger_checksum(
    ledger: Ledger, users: UserRepository, state: State, now: datetime
) -> str | None:
    """The checksum the ledger gives today for the statement `state` describes (None: gone)."""
    campaign = await ledger.campaign(state.campaign_id)
    if campaign is None:
        return None
    statement = await make_statement(
        ledger,
        users,
        Translator(state.language),
        campaign=campaign,
        start=state.start,
        end=state.end,
        now=now,
    )
    return statement.checksum


# ---- the chat ----------------------------------------------------------------------------


class Statements:
    """The statement files behind `/minhbach`'s buttons."""

    def __init__(self, ledger: Ledger) -> None:
        self.ledger = ledger

    async def action(self, turn: Turn) -> list[Reply]:
        """`sk:<fmt>:<id>`: the campaign's whole statement as a document."""
        wanted = StatementFile.unpack(turn.payload)
        if wanted is None:
            return [turn.reply("error.unknown_button")]
        campaign = await self.ledger.campaign(wanted.id)
        if campaign is None:
            raise UserFacingError("donations.campaign_missing")
        if wanted.fmt != "pdf":  # the PDF is public; the spreadsheets are for the ward's staff
            turn.require_staff(campaign.ward_id)
        statement = await make_statement(
            self.ledger,
            turn.services.users,
            turn.t,
            campaign=campaign,
            start=None,
            end=None,
            now=turn.now,
        )
        data = await asyncio.to_thread(render, statement, turn.t, wanted.fmt)
        if wanted.fmt != "pdf":
            await turn.services.audit.record(
                actor_user_id=turn.user.id,
                action="donations.statement_exported",
                target=f"campaign:{campaign.id}",
                detail={"format": wanted.fmt, "checksum": statement.checksum},
                now=turn.now,
            )
        return [
            Reply(
                turn.t(
                    "donations.statement.ready",
                    name=campaign.name,
                    period=statement.period,
                    opening=turn.money(statement.state.opening),
                    closing=turn.money(statement.state.closing),
                    checksum=statement.checksum,
                ),
                attachment=Attachment(file_name(statement, wanted.fmt), data, kind="document"),
            )
        ]


def _may_export(turn: Turn, campaign: Campaign) -> bool:
    try:
        turn.require_staff(campaign.ward_id)
    except PermissionDenied:
        return False
    return True


def statement_choices(turn: Turn, campaigns: list[Campaign]) -> tuple[Choice, ...]:
    """A PDF button per open campaign (every campaign if none is open); CSV/XLSX for staff."""
    shown = [c for c in campaigns if c.is_open(turn.today)] or campaigns
    shown = shown[-MAX_BUTTONS:]
    many = len(shown) > 1
    buttons: list[Choice] = []
    for campaign in shown:
        name = campaign.name if len(campaign.name) <= 28 else campaign.name[:27] + "…"
        suffix = f" · {name}" if many else ""
        formats: list[Literal["pdf", "csv", "xlsx"]] = ["pdf"]
        if turn.user.is_staff and _may_export(turn, campaign):
            formats += ["csv", "xlsx"]
        for fmt in formats:
            label = turn.t(f"donations.statement.btn_{fmt}") + suffix
            buttons.append(StatementFile(fmt, campaign.id).choice(label))
    return tuple(buttons)
