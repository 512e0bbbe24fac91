"""The fund's public pages, no sign-in: campaigns, each campaign's statement (sao kê), lookup.

- `/chien-dich`: every campaign (or one ward's, with the province-wide ones), with progress.
- `/chien-dich/<id>`: progress, balance (gifts minus disbursements, exact), the gifts (a donor
  named only when they agreed, otherwise "Nhà hảo tâm"; goods and quantity for gifts in kind),
  the payments (purpose, commune, amount; a beneficiary named only with the household's
  consent), a bar chart by month drawn as inline SVG with its figures in a table, both lists
  paged, the VietQR code to give (`/chien-dich/<id>/ma-qr.png`) with the account and transfer
  note in words, and the statement PDF (`/chien-dich/<id>/sao-ke.pdf`, public like `/minhbach`;
  the CSV and XLSX stay with the ward's officers).
- `/tra-cuu?so=<số>`: a receipt (or payment voucher) looked up by the chat's own `/tracuu`.

Every figure comes from what the chat uses, so the page and the chat agree: the totals from
`Ledger.summary` (as `/minhbach` and `/baocao`), the money out as `Reports.spent` sums it and
the payments with `/minhbach`'s rule (payments not reversed), both from
`Ledger.disbursements`; the lookup is the app's registered `/tracuu` (`Reports.lookup`), the
QR and its words `DonorQR.qr_reply`, the statement `make_statement` and `render`.

The ledger is append-only (its triggers refuse updates and deletes), so the highest gift and
disbursement row ids of a campaign name its state exactly; they are read on every request
(`Ledger.state`, two index look-ups, index in migration 0018). A campaign's gift figures are
read from `Ledger.summary` once, then moved on by the rows added since (`Tally.plus`, held
equal to `Ledger.summary` by a test); its payments are read again when a disbursement row is
added; the statement PDF is made again when either changed (all kept in `Kept`, which the
officers' desk uses too). The queries of its own are the new rows and the page of gifts
(`_GIFT_PAGE`: gifts only, lean columns, where the desk's `Ledger.entry_page` lists reversals
too; a campaign may hold 100,000 gifts): every gift row newest first, an offset into the
index, a donor named by the ledger's consent rule (`public` and a name), a reversed gift
marked with its reversal.
The page of gifts is kept as HTML per state, page and language. Nothing here writes.
"""

from __future__ import annotations

import asyncio
import re
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import Any

from aiohttp import web
from markupsafe import Markup

from bot.core.i18n import Translator, format_day, format_vnd, to_local
from bot.core.turn import Turn
from bot.core.types import Inbound, Role, User
from bot.web.site import WebSite
from handlers.donations._account import DonorQR, bank_label
from handlers.donations._statement import file_name, make_statement, render
from storage.bank import Account, BankStore
from storage.ledger import Campaign, Disbursement, Ledger, Summary
from storage.sessions import Session

__all__ = ["GIFTS_PER_PAGE", "PAYMENTS_PER_PAGE", "PublicPages", "routes"]

GIFTS_PER_PAGE = 50
PAYMENTS_PER_PAGE = 25
MAX_RECEIPT = 40  # what `/tracuu` reads of its argument
LOOKUP_COMMAND = "/tracuu"
MAX_PAGE_DIGITS = 6
KEPT_CAMPAIGNS = 64
KEPT_FILES = 4
KEPT_TABLES = 256
CHART_WIDTH = 340  # CSS pixels: fits a phone; a slot of at least CHART_SLOT per month
CHART_SLOT = 34
CHART_HEIGHT = 200
CHART_TOP = 12
CHART_BOTTOM = 30
_RECEIPT = re.compile(r"[A-Za-z0-9][A-Za-z0-9-]*")
_P = "web.public."

_REVERSALS = (
    "SELECT COUNT(*) FROM donation_entries WHERE campaign_id = :c AND kind = 'reversal'"
    " AND id <= :top"
)
_NEW_ROWS = (
    "SELECT id, kind, donor_type, method, donated_on, amount FROM donation_entries"
    " WHERE campaign_id = :c AND id > :after ORDER BY id"
)
_GIFT_PAGE = (
    "SELECT e.receipt, e.donated_on, e.donor_type,"
    " CASE WHEN e.public = 1 THEN e.donor_name ELSE '' END AS name,"
    " e.amount, e.method, e.goods, e.quantity, e.ward_id,"
    " (SELECT r.receipt FROM donation_entries r WHERE r.reverses_id = e.id) AS reversed_by"
    " FROM donation_entries e WHERE e.id IN (SELECT id FROM donation_entries"
    " WHERE campaign_id = :c AND kind = 'gift' ORDER BY id DESC LIMIT :limit OFFSET :offset)"
    " ORDER BY e.id DESC"
)


@lru_cache(maxsize=8192)
def _money(amount: int, language: str) -> str:
    """`format_vnd`, kept: Babel takes a good half millisecond per amount."""
    return format_vnd(amount, language)


@lru_cache(maxsize=4096)
def _day(value: date, language: str) -> str:
    """`format_day`, kept."""
    return format_day(value, language)


def writers(language: str) -> dict[str, Any]:
    """`vnd(amount)` and `when(day)` for templates: the site's `money` and `day`, kept."""
    return {
        "vnd": lambda amount: _money(int(amount), language),
        "when": lambda value: _day(value, language) if isinstance(value, date) else "",
    }


@dataclass(frozen=True, slots=True)
class Tally:
    """A campaign's gift sums up to row `top`, as `Ledger.summary` counts them.

    Made once from `Ledger.summary`, then moved on by the rows added since (the ledger is
    append-only): a gift adds its amount and one gift; a reversal (negative) subtracts its
    amount and the gift it reverses. `summary()` gives them back in `Ledger.summary`'s shape
    and order (a test holds the two equal).
    """

    top: int
    raised: int
    gifts: int
    reversals: int
    by_type: dict[str, int]
    by_method: dict[str, int]
    by_day: dict[date, int]

    @classmethod
    def of(cls, summary: Summary, *, top: int, reversals: int) -> Tally:
        """The tally of a summary read at state `top`."""
        return cls(
            top=top,
            raised=summary.raised,
            gifts=summary.gifts,
            reversals=reversals,
            by_type=dict(summary.by_donor_type),
            by_method=dict(summary.by_method),
            by_day=dict(summary.by_day),
        )

    def plus(self, rows: list[Any]) -> Tally:
        """This tally moved on by `rows` (id, kind, donor type, method, day, amount)."""
        if not rows:
            return self
        by_type, by_method, by_day = dict(self.by_type), dict(self.by_method), dict(self.by_day)
        raised, gifts, reversals = self.raised, self.gifts, self.reversals
        for _id, kind, donor_type, method, day_text, amount in rows:
            day = date.fromisoformat(day_text)
            raised += amount
            gifts += 1 if kind == "gift" else -1
            reversals += 0 if kind == "gift" else 1
            by_type[donor_type] = by_type.get(donor_type, 0) + amount
            by_method[method] = by_method.get(method, 0) + amount
            by_day[day] = by_day.get(day, 0) + amount
        top = int(rows[-1][0])
        return Tally(top, raised, gifts, reversals, by_type, by_method, by_day)

    @property
    def gift_rows(self) -> int:
        """Gift rows, reversed or not (each reversal un-counts exactly one gift)."""
        return self.gifts + self.reversals

    def summary(self) -> Summary:
        """As `Ledger.summary`: sums by key order, zero sums left out but for days."""
        return Summary(
            raised=self.raised,
            gifts=self.gifts,
            by_donor_type={k: v for k, v in sorted(self.by_type.items()) if v},
            by_method={k: v for k, v in sorted(self.by_method.items()) if v},
            by_day=sorted(self.by_day.items()),
        )


@dataclass(frozen=True, slots=True)
class MoneyOut:
    """A campaign's disbursements up to row `top`: their sum and the payments shown."""

    top: int
    spent: int
    payments: tuple[Disbursement, ...]


@dataclass(frozen=True, slots=True)
class Figures:
    """A campaign's public figures at one state of the ledger."""

    summary: Summary
    gift_top: int
    """The highest gift or reversal row id the figures count (-1: not known for sure)."""
    gift_rows: int
    """Gift rows listed (the reversed ones too, marked): the gift list's length."""
    spent: int
    payments: tuple[Disbursement, ...]
    """Payments not reversed, newest first (what `/minhbach` lists)."""

    @property
    def available(self) -> int:
        """Gifts minus disbursements: what is left, exact."""
        return self.summary.raised - self.spent


@dataclass(frozen=True, slots=True)
class GiftRow:
    """One gift as the public sees it, its day and amount already written out."""

    receipt: str
    day: str
    donor: str
    donor_type: str
    amount: str
    method: str
    goods: str
    quantity: str
    ward: str
    reversed_by: str
    """The receipt of the reversal that undid it ("" when none)."""


@dataclass(frozen=True, slots=True)
class Bar:
    """One month's bar of the chart, in SVG units."""

    label: str
    short: str
    """The label under the bar (03/26)."""
    amount: int
    total: int
    x: float
    y: float
    width: float
    height: float


@dataclass(frozen=True, slots=True)
class Pager:
    """Which page of a list is shown, and the links to the others."""

    page: int
    pages: int
    count: int
    param: str

    @property
    def offset(self) -> int:
        """Rows before this page."""
        return (self.page - 1) * self.size

    @property
    def size(self) -> int:
        """Rows per page."""
        return GIFTS_PER_PAGE if self.param == "trang" else PAYMENTS_PER_PAGE


def _page_number(raw: str) -> int:
    """A page number from the query (ASCII digits only); 1 for anything else."""
    if raw.isascii() and raw.isdigit() and len(raw) <= MAX_PAGE_DIGITS:
        return max(int(raw), 1)
    return 1


def pager(request: web.Request, param: str, count: int) -> Pager:
    """The page `param` asks for, kept within the list's pages."""
    size = GIFTS_PER_PAGE if param == "trang" else PAYMENTS_PER_PAGE
    pages = max((count + size - 1) // size, 1)
    page = min(_page_number(request.query.get(param, "1")), pages)
    return Pager(page, pages, count, param)


def chart_width(months: int) -> int:
    """The chart's width for `months` bars."""
    return max(CHART_WIDTH, CHART_SLOT * months)


def month_bars(by_day: list[tuple[date, int]], language: str) -> list[Bar]:
    """The money received each month (reversals subtract) as bars scaled to the chart."""
    months: dict[tuple[int, int], int] = {}
    for day, amount in by_day:
        months[(day.year, day.month)] = months.get((day.year, day.month), 0) + amount
    if not months:
        return []
    highest = max(max(months.values()), 1)
    room = CHART_HEIGHT - CHART_TOP - CHART_BOTTOM
    slot = chart_width(len(months)) / len(months)
    bars: list[Bar] = []
    total = 0
    for index, ((year, month), amount) in enumerate(sorted(months.items())):
        total += amount
        height = round(max(amount, 0) * room / highest, 1)
        label = f"{month:02d}/{year}" if language == "vi" else f"{year}-{month:02d}"
        bars.append(
            Bar(
                label=label,
                short=f"{month:02d}/{year % 100:02d}",
                amount=amount,
                total=total,
                x=round(index * slot + slot * 0.15, 1),
                y=round(CHART_TOP + room - height, 1),
                width=round(slot * 0.7, 1),
                height=height,
            )
        )
    return bars


def visitor_turn(site: WebSite, language: str, argument: str = "") -> Turn:
    """A turn of an anonymous visitor (a resident, no ward), to ask the chat's own functions."""
    now = site.clock()
    user = User(
        id=0,
        channel="web",
        external_id="public",
        chat_id="",
        role=Role.RESIDENT,
        ward_id=None,
        language=language,
    )
    inbound = Inbound(
        channel="web",
        user_id="public",
        chat_id="",
        message_id="",
        received_at=now,
        text=argument,
        language=language,
    )
    return Turn(
        inbound=inbound,
        user=user,
        session=Session(channel="web", user_id="public"),
        services=site.services,
        t=Translator(language),
        now=now,
        argument=argument,
    )


class Kept:
    """Figures and files kept per ledger state, the least recently used dropped first.

    The ledger is append-only (its triggers refuse updates and deletes), so its highest gift
    and disbursement ids name its state exactly (`Ledger.state`): a kept value is good until a
    row is added (by this process or another one on the same database). The public pages and
    the officers' desk keep their figures, tables and files here.
    """

    def __init__(self, size: int) -> None:
        """Keep at most `size` values."""
        self.size = size
        self.items: OrderedDict[Hashable, tuple[Hashable, Any]] = OrderedDict()

    async def get(self, key: Hashable, state: Hashable, make: Callable[[], Awaitable[Any]]) -> Any:
        """The value kept under `key` for `state`, or made by `make` (and kept)."""
        found = self.items.get(key)
        if found is not None and found[0] == state:
            self.items.move_to_end(key)
            return found[1]
        value = await make()
        self.items[key] = (state, value)
        self.items.move_to_end(key)
        while len(self.items) > self.size:
            self.items.popitem(last=False)
        return value


class PublicPages:
    """The public pages of one site, with the figures kept per campaign state."""

    def __init__(self, site: WebSite) -> None:
        self.site = site
        self.ledger = Ledger(site.db)
        self.bank = BankStore(site.db)
        self.qr = DonorQR(self.ledger, self.bank)
        found = site.app.registry.find_command(LOOKUP_COMMAND)
        assert found is not None, f"{LOOKUP_COMMAND} is not registered"
        self.tracuu = found[0].handler
        """The chat's own `/tracuu` (`Reports.lookup`), as the app registered it."""
        self._tallies: OrderedDict[int, Tally] = OrderedDict()
        self._outs = Kept(KEPT_CAMPAIGNS)
        self._files = Kept(KEPT_FILES)
        self._file_locks: dict[tuple[int, str], asyncio.Lock] = {}
        self._tables = Kept(KEPT_TABLES)

    # --- reading --------------------------------------------------------------------------

    async def state(self, campaign_id: int) -> tuple[int, int]:
        """The campaign's highest gift-ledger and disbursement row ids: its ledger state."""
        return await self.ledger.state(campaign_id)

    async def figures(self, campaign: Campaign) -> Figures:
        """The campaign's totals and payments at the ledger's current state."""
        gift_top, out_top = await self.state(campaign.id)
        tally = await self._tally(campaign.id, gift_top)

        async def money_out() -> MoneyOut:
            return await self._money_out(campaign)

        out: MoneyOut = await self._outs.get(campaign.id, out_top, money_out)
        return Figures(tally.summary(), tally.top, tally.gift_rows, out.spent, out.payments)

    async def _tally(self, campaign_id: int, top: int) -> Tally:
        """The kept tally moved on by the rows added since; made afresh the first time."""
        kept = self._tallies.get(campaign_id)
        if kept is None or kept.top > top:
            kept = await self._fresh_tally(campaign_id, top)
            if kept is None:
                return await self._unkept_tally(campaign_id)
        elif kept.top < top:
            rows = await self.site.db.fetchall(_NEW_ROWS, {"c": campaign_id, "after": kept.top})
            kept = kept.plus([tuple(row) for row in rows])
        self._tallies[campaign_id] = kept
        self._tallies.move_to_end(campaign_id)
        if len(self._tallies) > KEPT_CAMPAIGNS:
            self._tallies.popitem(last=False)
        return kept

    async def _fresh_tally(self, campaign_id: int, top: int) -> Tally | None:
        """`Ledger.summary` at state `top`; None when gifts keep landing while it is read.

        The summary is known to be of `top` when the state is still `top` after it was read
        (row ids only grow), so a later step never counts a row twice.
        """
        for _ in range(3):
            summary = await self.ledger.summary(campaign_id)
            row = await self.site.db.fetchone(_REVERSALS, {"c": campaign_id, "top": top})
            now_top, _out = await self.state(campaign_id)
            if now_top == top and row is not None:
                return Tally.of(summary, top=top, reversals=int(row[0]))
            top = now_top  # a gift landed meanwhile: read again at the new state
        return None

    async def _unkept_tally(self, campaign_id: int) -> Tally:
        """The summary as it is now, not kept (its state is not known for sure)."""
        summary = await self.ledger.summary(campaign_id)
        row = await self.site.db.fetchone(_REVERSALS, {"c": campaign_id, "top": 1 << 62})
        return Tally.of(summary, top=-1, reversals=int(row[0]) if row else 0)

    async def _money_out(self, campaign: Campaign) -> MoneyOut:
        """The campaign's disbursements: their sum (as `Reports.spent`) and the payments shown.

        One read: the state, the sum and the list come from the same rows.
        """
        rows = await self.ledger.disbursements(campaign_id=campaign.id)
        reversed_ids = {row.reverses_id for row in rows if row.reverses_id is not None}
        payments = tuple(
            row for row in reversed(rows) if row.kind == "payment" and row.id not in reversed_ids
        )
        top = max((row.id for row in rows), default=0)
        return MoneyOut(top, sum(row.amount for row in rows), payments)

    async def gift_page(self, campaign_id: int, page: Pager, language: str) -> list[GiftRow]:
        """One page of the campaign's gifts, newest first (the reversed ones marked)."""
        rows = await self.site.db.fetchall(
            _GIFT_PAGE, {"c": campaign_id, "limit": page.size, "offset": page.offset}
        )
        wards = await self._ward_names({str(row["ward_id"]) for row in rows})
        anonymous = Translator(language)("donations.statement.anonymous")
        return [
            GiftRow(
                receipt=str(row["receipt"]),
                day=_day(date.fromisoformat(row["donated_on"]), language),
                donor=str(row["name"]) or anonymous,
                donor_type=str(row["donor_type"]),
                amount=_money(int(row["amount"]), language),
                method=str(row["method"]),
                goods=str(row["goods"]),
                quantity=str(row["quantity"]),
                ward=wards.get(str(row["ward_id"]), str(row["ward_id"])),
                reversed_by=str(row["reversed_by"] or ""),
            )
            for row in rows
        ]

    async def gift_table(
        self, campaign_id: int, figures: Figures, at: Pager, other: Pager, language: str
    ) -> Markup:
        """The page of gifts as HTML, kept per ledger state, page and language.

        The figures' state covers every gift row and reversal, so a kept table is the one a
        fresh read would give; the other list's page is in the key (the pager's links keep it).
        """

        async def make() -> Markup:
            gifts = await self.gift_page(campaign_id, at, language)
            html = self.site.env.get_template("public/_gifts.html").render(
                t=Translator(language), gifts=gifts, gifts_at=at, payments_at=other
            )
            return Markup(html)  # noqa: S704 - made by the autoescaping environment just above

        if figures.gift_top < 0:
            return await make()  # a state not known for sure is never kept
        key = (campaign_id, at.page, other.page, language)
        table: Markup = await self._tables.get(key, figures.gift_top, make)
        return table

    async def _ward_names(self, ids: set[str]) -> dict[str, str]:
        names: dict[str, str] = {}
        for ward_id in ids:
            ward = await self.site.services.users.ward(ward_id)
            names[ward_id] = ward.name if ward else ward_id
        return names

    async def _campaign(self, request: web.Request) -> Campaign:
        raw = request.match_info["id"]
        if not (raw.isascii() and raw.isdigit() and len(raw) <= 12):
            raise web.HTTPNotFound
        campaign = await self.ledger.campaign(int(raw))
        if campaign is None:
            raise web.HTTPNotFound
        return campaign

    async def _open_account(self, campaign: Campaign) -> Account | None:
        """The receiving account of an open campaign (the QR is offered only while open)."""
        today = to_local(self.site.clock()).date()
        if not campaign.is_open(today):
            return None
        return await self.bank.account(campaign.id)

    # --- pages ----------------------------------------------------------------------------

    async def campaigns(self, request: web.Request) -> web.StreamResponse:
        """Every campaign with its progress, or one ward's (with its province's)."""
        wards = await self.site.services.users.wards()
        chosen = request.query.get("phuong", "").strip()
        known = {ward.id for ward in wards}
        problem = ""
        if chosen and chosen not in known:
            problem = self.site.translator(request)(_P + "ward_unknown")
        if chosen and not problem:
            found = await self.ledger.campaigns(ward_id=chosen)
        else:
            found = await self.ledger.campaigns(all_wards=True)
        names = {ward.id: ward.name for ward in wards}
        cards = [(c, await self.figures(c)) for c in reversed(found)]
        return self.site.render(
            request,
            "public/campaigns.html",
            status=400 if problem else 200,
            cards=cards,
            wards=wards,
            chosen=chosen,
            problem=problem,
            ward_names=names,
            today=to_local(self.site.clock()).date(),
            **writers(self.site.language(request)),
        )

    async def campaign(self, request: web.Request) -> web.StreamResponse:
        """One campaign: progress, balance, chart, gifts, payments, QR and statement."""
        campaign = await self._campaign(request)
        language = self.site.language(request)
        figures = await self.figures(campaign)
        gifts_at = pager(request, "trang", figures.gift_rows)
        payments_at = pager(request, "trang_chi", len(figures.payments))
        gift_table = await self.gift_table(campaign.id, figures, gifts_at, payments_at, language)
        shown = figures.payments[payments_at.offset : payments_at.offset + payments_at.size]
        communes = await self._ward_names({row.ward_id for row in shown})
        account = await self._open_account(campaign)
        qr_lines: list[str] = []
        if account is not None:
            reply = self.qr.qr_reply(visitor_turn(self.site, language), campaign, account, None)
            qr_lines = reply.text.splitlines()
        ward = await self.site.services.users.ward(campaign.ward_id) if campaign.ward_id else None
        bars = month_bars(figures.summary.by_day, language)
        return self.site.render(
            request,
            "public/campaign.html",
            campaign=campaign,
            ward=ward,
            figures=figures,
            percent=_percent(figures.summary.raised, campaign.target),
            bars=bars,
            chart=_chart_box(chart_width(len(bars))),
            gift_rows=figures.gift_rows,
            gift_table=gift_table,
            gifts_at=gifts_at,
            payments=shown,
            payments_at=payments_at,
            communes=communes,
            account=account,
            bank=bank_label(account.bin) if account else "",
            qr_lines=qr_lines,
            today=to_local(self.site.clock()).date(),
            **writers(language),
        )

    async def qr_png(self, request: web.Request) -> web.StreamResponse:
        """The VietQR code of an open campaign with a receiving account, as a PNG."""
        campaign = await self._campaign(request)
        account = await self._open_account(campaign)
        if account is None:
            raise web.HTTPNotFound
        turn = visitor_turn(self.site, self.site.language(request))
        reply = self.qr.qr_reply(turn, campaign, account, None)
        assert reply.attachment is not None
        return web.Response(
            body=reply.attachment.data,
            content_type="image/png",
            headers={"Cache-Control": "public, max-age=300"},
        )

    async def statement_pdf(self, request: web.Request) -> web.StreamResponse:
        """The campaign's whole statement (sao kê) as a PDF, public like `/minhbach`'s."""
        campaign = await self._campaign(request)
        language = self.site.language(request)
        data, name = await self.statement(campaign, language)
        return web.Response(
            body=data,
            content_type="application/pdf",
            headers={"Content-Disposition": f'attachment; filename="{name}"'},
        )

    async def statement(self, campaign: Campaign, language: str) -> tuple[bytes, str]:
        """The PDF and its file name, made once per ledger state and language."""
        key = (campaign.id, language)
        lock = self._file_locks.setdefault(key, asyncio.Lock())

        async def make() -> tuple[bytes, str]:
            t = Translator(language)
            made = await make_statement(
                self.ledger,
                self.site.services.users,
                t,
                campaign=campaign,
                start=None,
                end=None,
                now=self.site.clock(),
            )
            data = await asyncio.to_thread(render, made, t, "pdf")
            return data, file_name(made, "pdf")

        async with lock:  # many readers at once wait for one build
            found: tuple[bytes, str] = await self._files.get(
                key, await self.state(campaign.id), make
            )
        return found

    async def lookup(self, request: web.Request) -> web.StreamResponse:
        """`/tra-cuu?so=…`: the chat's `/tracuu` answer; bad input told, the field kept."""
        typed = request.query.get("so")
        context: dict[str, Any] = {"typed": typed or "", "problem": "", "answer": []}
        if typed is None:
            return self.site.render(request, "public/lookup.html", **context)
        t = self.site.translator(request)
        receipt = typed.strip()
        if not receipt:
            context["problem"] = t(_P + "lookup_empty")
        elif len(receipt) > MAX_RECEIPT or not _RECEIPT.fullmatch(receipt):
            context["problem"] = t(_P + "lookup_malformed", most=MAX_RECEIPT)
        if context["problem"]:
            return self.site.render(request, "public/lookup.html", status=400, **context)
        turn = visitor_turn(self.site, self.site.language(request), receipt)
        replies = await self.tracuu(turn)
        context["answer"] = [line for reply in replies for line in reply.text.splitlines()]
        return self.site.render(request, "public/lookup.html", **context)


def _percent(raised: int, target: int) -> str:
    """Raised over target in percent with one decimal, as `/baocao` writes it (12,5)."""
    return f"{raised * 100 / target:.1f}".replace(".", ",") if target else "0"


def _chart_box(width: int) -> dict[str, int]:
    return {
        "width": width,
        "height": CHART_HEIGHT,
        "base": CHART_HEIGHT - CHART_BOTTOM,
        "label_y": CHART_HEIGHT - CHART_BOTTOM + 17,
    }


def routes(site: WebSite) -> None:
    """Add the campaigns, the campaign pages (QR, statement) and the receipt lookup."""
    pages = PublicPages(site)
    site.get("/chien-dich", pages.campaigns)
    site.get("/chien-dich/{id}", pages.campaign)
    site.get("/chien-dich/{id}/ma-qr.png", pages.qr_png)
    site.get("/chien-dich/{id}/sao-ke.pdf", pages.statement_pdf)
    site.get("/tra-cuu", pages.lookup)
