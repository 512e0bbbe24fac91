"""The fund on the officers' desk (`/can-bo/quy`): campaigns, gifts, money out, sao kê, import.

Everything here is for the officers of one ward, re-checked on every request: the officer is
read afresh (`WebSite.officer`), and a campaign is shown only when the chat would let that
officer log to it (the ward's own campaigns and its province's); anything else, and any gift,
payment or bank statement of another ward, is a 404.

The pages use the chat's code paths, not a copy of them: gifts go through `Ledger.append`,
money out through `Ledger.disburse` (which refuses an amount above the balance at its date
inside the write transaction), reversals through `Ledger.reverse` / `reverse_disbursement`,
the statement through `make_statement` / `render`, and bank statements through the chat's
`Reconciler` (same ledger key `bank:<reference>`, so a line is recorded once whichever way).
The form rules are the chat's steps' rules, called from `handlers.donations.rules` (amounts,
dates against the campaign, decisions, the beneficiary's code) and read here from one form
instead of one question at a time (`_GiftForm`, `_OutForm`).

Double submit records once: the form carries an idempotency key drawn when it is rendered;
the ledger stores it unique, and a key already used shows the row it recorded. A receipt or
voucher number is shown only on the page the browser is sent to after the durable commit.
"""

from __future__ import annotations

import asyncio
import re
import secrets
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from aiohttp import web
from multidict import MultiDictProxy

from bot.core.i18n import Translator, format_vnd, to_local
from bot.core.types import Role, User
from bot.web.public import Kept
from bot.web.site import WebSite
from handlers.donations._dates import parse_day
from handlers.donations._flow import BIG_AMOUNT
from handlers.donations._import import (
    DuplicateTransfer,
    Reconciler,
    Report,
    StatementError,
    bank_key,
)
from handlers.donations._statement import file_name, make_statement, render
from handlers.donations.rules import (
    Problem,
    check_amount,
    check_decision,
    check_decision_day,
    check_gift_day,
    check_paid_day,
    has_letter,
    resolve_code,
)
from storage.bank import BankStore, StoredLine
from storage.ledger import (
    DONOR_TYPES,
    METHODS,
    PURPOSES,
    Balance,
    Campaign,
    Disbursement,
    Entry,
    Ledger,
    LedgerError,
    NewDisbursement,
    NewEntry,
)
from storage.registrations import RegistrationRepository

__all__ = ["routes"]

PAGE_SIZE = 20
MAX_TEXT = 200
"""Longest text kept from a field (the chat keeps as much of a typed message)."""
OUT_METHODS = ("cash", "transfer")
_KEY = re.compile(r"[0-9a-f]{24}")
_CID = r"{cid:\d{1,12}}"
_ID = r"{rid:\d{1,12}}"
_F = "web.fund."
_MIME = {
    "pdf": "application/pdf",
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
CHART_WIDTH = 640
CHART_ROW = 56

Form = Mapping[str, str]
_OUT_ERROR = "donations.disburse.error."
_WEB_WORDS = {"donations.disburse.beneficiary_bad": _F + "err.household"}
"""The chat's messages that name its buttons, said for the web's form instead."""


# ---- what an officer may see ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Scope:
    """Who asks, for which ward, about which campaign (checked on this request)."""

    officer: User
    ward_id: str
    campaign: Campaign


def _number(text: str) -> int:
    """A record id from the address (the route's pattern allows digits only)."""
    return int(text) if text.isascii() and text.isdigit() else 0


def _page(request: web.Request, name: str) -> int:
    """The page number asked for in the query (1 when missing or not a small number)."""
    text = request.query.get(name, "1")
    return max(1, int(text)) if text.isascii() and text.isdigit() and len(text) <= 6 else 1


def _fields(form: MultiDictProxy[Any]) -> dict[str, str]:
    """The text fields of a posted form, each trimmed and cut to `MAX_TEXT` characters."""
    return {k: str(v).strip()[:MAX_TEXT] for k, v in form.items() if isinstance(v, str)}


def _fresh_key() -> str:
    """A new idempotency key for a form (drawn when it is rendered)."""
    return secrets.token_hex(12)


def _ledger_key(officer: User, key: str) -> str:
    """The ledger's idempotency key for a form's key (an officer's keys are their own)."""
    return f"web:{officer.id}:{key}"


# ---- the forms' rules (the chat's steps, read from one form) ------------------------------


def read_amount(t: Translator, text: str) -> tuple[int, str]:
    """An amount of đồng typed by an officer (the chat's `check_amount`), or why not ("" = ok)."""
    if not text:
        return 0, t(_F + "err.required")
    amount, problem = check_amount(text)
    return amount, "" if problem is None else problem.text(t)


def read_day(text: str) -> date | None:
    """A date as an `<input type=date>` sends it (yyyy-mm-dd), or None."""
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text) is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def _day(text: str, today: date) -> date | None:
    """A date from the form: yyyy-mm-dd, or typed as in the chat (dd/mm/yyyy, hôm nay)."""
    if not text:
        return None
    found = read_day(text)
    return found if found is not None else parse_day(text, today)


@dataclass
class _GiftForm:
    """A gift form as posted: the entry it describes, or the problems of each field."""

    values: Form
    today: date
    campaign: Campaign
    t: Translator
    errors: dict[str, str] = field(default_factory=dict)
    amount: int = 0
    donated_on: date | None = None

    def check(self) -> None:
        """Apply the chat's rules to every field (errors by field name)."""
        v, t = self.values, self.t
        if not self.campaign.is_open(self.today):
            self.errors["campaign"] = t("donations.campaign_closed")
        if v.get("donor_type") not in DONOR_TYPES:
            self.errors["donor_type"] = t(_F + "err.choose")
        if v.get("named") not in ("yes", "no"):
            self.errors["named"] = t(_F + "err.choose")
        elif v["named"] == "yes" and not has_letter(v.get("donor_name", "")):
            self.errors["donor_name"] = t(_F + "err.donor_name")
        self._check_amount()
        self._check_method()
        self._check_day()

    def _check_amount(self) -> None:
        """The amount in range; from 1 tỷ ₫ only with the confirmation ticked."""
        self.amount, problem = read_amount(self.t, self.values.get("amount", ""))
        if problem:
            self.errors["amount"] = problem
        elif self.amount >= BIG_AMOUNT and self.values.get("big_ok") != "yes":
            self.errors["big_ok"] = self.t(
                "donations.ask_big_amount", amount=format_vnd(self.amount)
            )

    def _check_method(self) -> None:
        """The method, and what it needs: a bank reference, or the goods and quantity."""
        v, t = self.values, self.t
        method = v.get("method")
        if method not in METHODS:
            self.errors["method"] = t(_F + "err.choose")
        elif method == "transfer" and not v.get("reference"):
            self.errors["reference"] = t(_F + "err.reference")
        elif method == "in_kind":
            for name in ("goods", "quantity"):
                if not v.get(name):
                    self.errors[name] = t(_F + f"err.{name}")

    def _check_day(self) -> None:
        """The gift's date: not in the future, not before the campaign began."""
        day = _day(self.values.get("donated_on", ""), self.today)
        if day is None:
            problem: Problem | None = Problem("donations.date_bad")
        else:
            problem = check_gift_day(day, self.today, self.campaign)
        if problem is not None:
            self.errors["donated_on"] = problem.text(self.t)
        self.donated_on = day

    def entry(self, scope: Scope, key: str) -> NewEntry:
        """The entry to append (call after `check` found no problem)."""
        v = self.values
        named = v.get("named") == "yes"
        method = v["method"]
        assert self.donated_on is not None
        return NewEntry(
            campaign_id=scope.campaign.id,
            ward_id=scope.ward_id,
            donor_type=v["donor_type"],
            donor_name=v.get("donor_name", "") if named else "",
            public=named and v.get("public") == "yes",
            amount=self.amount,
            method=method,
            reference=v.get("reference", "") if method == "transfer" else "",
            donated_on=self.donated_on,
            recorded_by=scope.officer.id,
            note=v.get("note", ""),
            idempotency_key=_ledger_key(scope.officer, key),
            goods=v.get("goods", "") if method == "in_kind" else "",
            quantity=v.get("quantity", "") if method == "in_kind" else "",
        )


def day_text(day: date) -> str:
    """A date as dd/mm/yyyy."""
    return day.strftime("%d/%m/%Y")


@dataclass
class _OutForm:
    """A disbursement form as posted: the payment it describes, or each field's problem."""

    values: Form
    today: date
    t: Translator
    errors: dict[str, str] = field(default_factory=dict)
    amount: int = 0
    paid_on: date | None = None
    decision_date: date | None = None
    registration_id: int | None = None
    household: str = ""

    def check(self) -> None:
        """Apply the chat's rules to every field, but the beneficiary (see `beneficiary`)."""
        v, t = self.values, self.t
        if v.get("source") not in ("campaign", "fund"):
            self.errors["source"] = t(_F + "err.choose")
        if v.get("purpose") not in PURPOSES:
            self.errors["purpose"] = t(_F + "err.choose")
        self.amount, wrong = read_amount(t, v.get("amount", ""))
        if wrong:
            self.errors["amount"] = wrong
        if v.get("kind") == "goods":
            for name in ("goods", "quantity"):
                if not v.get(name):
                    self.errors[name] = t(_F + f"err.{name}")
        elif v.get("method") not in OUT_METHODS:
            self.errors["method"] = t(_F + "err.choose")
        self._check_days()
        problem = check_decision(v.get("decision", ""))
        if problem is not None:
            self.errors["decision"] = problem.text(t)

    def _check_days(self) -> None:
        """The payment's date (not in the future) and its decision's (not after it)."""
        v, t = self.values, self.t
        bad = Problem("donations.date_bad")
        self.paid_on = _day(v.get("paid_on", ""), self.today)
        paid = bad if self.paid_on is None else check_paid_day(self.paid_on, self.today)
        self.decision_date = _day(v.get("decision_date", ""), self.today)
        decided = bad if self.decision_date is None else None
        if decided is None and self.paid_on is not None and self.decision_date is not None:
            decided = check_decision_day(self.decision_date, self.paid_on)
        for name, problem in (("paid_on", paid), ("decision_date", decided)):
            if problem is not None:
                self.errors[name] = problem.text(t)

    async def beneficiary(self, registrations: RegistrationRepository, ward_id: str) -> None:
        """The household paid: a registration (TN code), a household code, or a name."""
        v, t = self.values, self.t
        how = v.get("beneficiary")
        code = v.get("code", "")
        if how == "name":
            if not has_letter(v.get("name", "")):
                self.errors["name"] = t("donations.disburse.name_bad")
            return
        if how not in ("code",):
            self.errors["beneficiary"] = t(_F + "err.choose")
            return
        found = await resolve_code(registrations, ward_id, code)
        if isinstance(found, Problem):  # the web's words for a form (a list, not buttons)
            self.errors["code"] = t(_WEB_WORDS.get(found.key, found.key))
            return
        self.registration_id, self.household = found.registration_id, found.household

    def payment(self, scope: Scope, key: str) -> NewDisbursement:
        """The payment to record (call when no field has a problem)."""
        v = self.values
        in_kind = v.get("kind") == "goods"
        by_name = v.get("beneficiary") == "name"
        assert self.paid_on is not None and self.decision_date is not None
        return NewDisbursement(
            ward_id=scope.ward_id,
            fund=scope.campaign.fund,
            campaign_id=scope.campaign.id if v.get("source") == "campaign" else None,
            purpose=v["purpose"],
            amount=self.amount,
            method="in_kind" if in_kind else v["method"],
            paid_on=self.paid_on,
            decision_number=v["decision"],
            decision_date=self.decision_date,
            recorded_by=scope.officer.id,
            registration_id=self.registration_id,
            household_code=self.household,
            beneficiary_name=v.get("name", "") if by_name else "",
            name_public=by_name and v.get("public") == "yes",
            goods=v.get("goods", "") if in_kind else "",
            quantity=v.get("quantity", "") if in_kind else "",
            note=v.get("note", ""),
            idempotency_key=_ledger_key(scope.officer, _form_key(v)),
        )


def _form_key(values: Form) -> str:
    """The form's idempotency key, or "" when it is missing or malformed."""
    key = values.get("key", "")
    return key if _KEY.fullmatch(key) else ""


def _gift_problem(code: str) -> str:
    """What to say when the ledger refuses a gift's reversal."""
    return "donations.gift.reverse_balance" if code == "balance" else f"donations.ledger.{code}"


def _out_problem(code: str) -> str:
    """What to say when the ledger refuses a payment or its reversal."""
    return _OUT_ERROR + code


@dataclass(frozen=True, slots=True)
class _Shown:
    """A form page's state: the field problems, the values shown again, the HTTP status."""

    errors: Mapping[str, str]
    values: Form
    status: int = 200


@dataclass(frozen=True, slots=True)
class _Reversing:
    """What differs between reversing a gift and reversing a payment on the desk."""

    path: str
    """The record's address part: `thu` or `phieu-chi`."""
    reason_key: str
    """The message when no reason is given."""
    used: Callable[[str], Awaitable[int | None]]
    """The row already recorded with a ledger key (a second submit)."""
    reverse: Callable[..., Awaitable[Entry | Disbursement]]
    """The ledger's reversal (`Ledger.reverse` or `reverse_disbursement`)."""
    problem: Callable[[str], str]
    """The message key for a `LedgerError` code."""
    view: Callable[..., Awaitable[web.Response]]
    """The record's page (request, scope, row, problems, values, status)."""


# ---- the chart ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Bar:
    """One campaign's row in the progress chart (widths in the chart's units)."""

    name: str
    y: int
    raised: int
    spent: int
    percent: int


@dataclass(frozen=True, slots=True)
class Progress:
    """A campaign's figures for its ward: target, raised, spent, available."""

    campaign: Campaign
    target: int
    raised: int
    spent: int
    available: int

    @property
    def percent(self) -> int:
        """How much of the target was raised, in whole percent."""
        return self.raised * 100 // self.target if self.target > 0 else 0


def _width(amount: int, scale: float) -> int:
    """A bar's width: within the chart, and at least 2 units when there is anything."""
    if amount <= 0:
        return 0
    return min(CHART_WIDTH, max(2, round(amount * scale)))


def chart(progress: Sequence[Progress]) -> tuple[list[Bar], int]:
    """Bars of raised and spent against each target (widths capped at the target); height."""
    bars: list[Bar] = []
    for index, item in enumerate(progress):
        scale = CHART_WIDTH / item.target if item.target > 0 else 0.0
        bars.append(
            Bar(
                name=item.campaign.name[:70],
                y=index * CHART_ROW,
                raised=_width(item.raised, scale),
                spent=_width(item.spent, scale),
                percent=item.percent,
            )
        )
    return bars, max(1, len(bars)) * CHART_ROW


# ---- the pages ----------------------------------------------------------------------------


class FundDesk:
    """The fund pages of one site."""

    def __init__(self, site: WebSite) -> None:
        """The pages over the site's database (the same ledger tables the chat writes)."""
        self.site = site
        self.ledger = Ledger(site.db)
        self.bank = BankStore(site.db)
        self.reconciler = Reconciler(self.ledger, self.bank)
        self.registrations = RegistrationRepository(site.db)
        self.kept = Kept(256)
        self.files = Kept(4)

    # --- scope ---

    async def scope(self, request: web.Request) -> Scope:
        """The officer, their ward and the campaign of the address; 404 if not theirs.

        Raises:
            web.HTTPNotFound: No such campaign, or not one the officer's ward may log to.
        """
        officer = await self.site.officer(request)
        campaign = await self.ledger.campaign(_number(request.match_info["cid"]))
        if campaign is None:
            raise web.HTTPNotFound
        ward = officer.ward_id or campaign.ward_id
        if ward is None:
            raise web.HTTPNotFound
        self.site.require_ward(officer, ward)
        allowed = await self.ledger.campaigns(ward_id=ward)
        if campaign.id not in {c.id for c in allowed}:
            raise web.HTTPNotFound
        return Scope(officer, ward, campaign)

    async def state(self) -> tuple[int, int]:
        """The ledger's state: its highest gift and disbursement ids (it is append-only)."""
        return await self.ledger.state()

    async def _used_entry(self, key: str) -> int | None:
        """The id of the entry already recorded with this ledger key (a second submit)."""
        found = await self.ledger.entry_by_key(key)
        return found.id if found is not None else None

    async def _used_out(self, key: str) -> int | None:
        """The id of the payment already recorded with this ledger key (a second submit)."""
        found = await self.ledger.disbursement_by_key(key)
        return found.id if found is not None else None

    async def balance(
        self, ward_id: str, fund: str, campaign_id: int | None, state: tuple[int, int]
    ) -> Balance:
        """`Ledger.balance` (today, all dates), kept until the ledger changes."""
        key = ("balance", ward_id, fund, campaign_id)

        async def make() -> Balance:
            return await self.ledger.balance(ward_id=ward_id, fund=fund, campaign_id=campaign_id)

        found: Balance = await self.kept.get(key, state, make)
        return found

    async def progress(
        self, campaign: Campaign, ward_id: str, state: tuple[int, int] | None = None
    ) -> Progress:
        """The campaign's figures for the ward (gifts minus disbursements, exact)."""
        state = state or await self.state()
        balance = await self.balance(ward_id, campaign.fund, campaign.id, state)
        return Progress(campaign, campaign.target, balance.gifts, balance.spent, balance.available)

    def page(self, request: web.Request, template: str, **context: Any) -> web.Response:
        """A fund page (status from `context["status"]`, default 200)."""
        status = int(context.pop("status", 200))
        return self.site.render(request, f"fund/{template}", status=status, **context)

    # --- the list of campaigns ---

    async def index(self, request: web.Request) -> web.StreamResponse:
        """The ward's campaigns with their progress (chart and table) and its funds."""
        officer = await self.site.officer(request)
        if officer.ward_id is not None:
            campaigns = [
                (c, officer.ward_id) for c in await self.ledger.campaigns(ward_id=officer.ward_id)
            ]
        elif officer.role is Role.ADMIN:
            every = await self.ledger.campaigns(all_wards=True)
            campaigns = [(c, c.ward_id) for c in every if c.ward_id is not None]
        else:
            raise web.HTTPNotFound
        state = await self.state()
        progress = [await self.progress(c, ward, state) for c, ward in campaigns]
        funds = []
        if officer.ward_id is not None:
            for fund in sorted({c.fund for c, _ in campaigns}):
                funds.append((fund, await self.balance(officer.ward_id, fund, None, state)))
        ward = await self.site.services.users.ward(officer.ward_id) if officer.ward_id else None
        bars, height = chart(progress)
        return self.page(
            request,
            "index.html",
            progress=progress,
            funds=funds,
            ward=ward,
            bars=bars,
            chart_height=height,
            chart_width=CHART_WIDTH,
        )

    # --- one campaign ---

    async def campaign(self, request: web.Request) -> web.StreamResponse:
        """A campaign: its figures, gifts and disbursements (paged), the actions."""
        scope = await self.scope(request)
        figures = await self.progress(scope.campaign, scope.ward_id)
        campaign = scope.campaign
        own = campaign.ward_id == scope.ward_id  # a ward's own campaign has only its gifts
        gifts = await self.ledger.entry_page(
            campaign.id,
            ward_id=None if own else scope.ward_id,
            page=_page(request, "trang-thu"),
            size=PAGE_SIZE,
        )
        outs = await self.ledger.disbursement_page(
            campaign.id, ward_id=scope.ward_id, page=_page(request, "trang-chi"), size=PAGE_SIZE
        )
        bars, height = chart([figures])
        return self.page(
            request,
            "campaign.html",
            scope=scope,
            c=scope.campaign,
            figures=figures,
            gifts=gifts,
            outs=outs,
            bars=bars,
            chart_height=height,
            chart_width=CHART_WIDTH,
            is_open=scope.campaign.is_open(self._today()),
        )

    # --- a gift ---

    def _today(self) -> date:
        """Today's date in Vietnam (as the chat's `Turn.today`)."""
        return to_local(self.site.clock()).date()

    async def gift_form(self, request: web.Request) -> web.StreamResponse:
        """The form to log a gift, with a fresh idempotency key."""
        scope = await self.scope(request)
        values = {"key": _fresh_key(), "named": "yes", "donated_on": self._today().isoformat()}
        return self._gift_page(request, scope, values, {}, "")

    def _gift_page(
        self,
        request: web.Request,
        scope: Scope,
        values: Form,
        errors: Mapping[str, str],
        warning: str,
        status: int = 200,
    ) -> web.Response:
        return self.page(
            request,
            "gift_form.html",
            status=status,
            c=scope.campaign,
            v=values,
            errors=errors,
            warning=warning,
            donor_types=DONOR_TYPES,
            methods=METHODS,
            today=self._today().isoformat(),
            big=BIG_AMOUNT,
        )

    async def gift_post(self, request: web.Request) -> web.StreamResponse:
        """Check and record a gift; the receipt page once committed, else the form again."""
        scope = await self.scope(request)
        values = _fields(await request.post())
        t = self.site.translator(request)
        key = _form_key(values)
        if not key:
            values["key"] = _fresh_key()
            return self._gift_page(request, scope, values, {"form": t(_F + "err.key")}, "", 400)
        done = await self._used_entry(_ledger_key(scope.officer, key))
        if done is not None:  # a second press of the same form
            raise web.HTTPSeeOther(f"/can-bo/quy/{scope.campaign.id}/thu/{done}")
        form = _GiftForm(values, self._today(), scope.campaign, t)
        form.check()
        if form.errors:
            return self._gift_page(request, scope, values, form.errors, "", 400)
        warning = await self._duplicate(scope, values, t)
        if warning:
            done = await self._used_entry(_ledger_key(scope.officer, key))
            if done is not None:  # the reference is this form's own gift, pressed twice
                raise web.HTTPSeeOther(f"/can-bo/quy/{scope.campaign.id}/thu/{done}")
            return self._gift_page(request, scope, values, {}, warning, 400)
        try:
            entry = await self.ledger.append(form.entry(scope, key), now=self.site.clock())
        except LedgerError as exc:
            errors = {"form": t(f"donations.ledger.{exc.code}")}
            return self._gift_page(request, scope, values, errors, "", 400)
        raise web.HTTPSeeOther(f"/can-bo/quy/{scope.campaign.id}/thu/{entry.id}?moi=1")

    async def _duplicate(self, scope: Scope, values: Form, t: Translator) -> str:
        """The chat's warning when the bank reference is already recorded ("" if not, or ok)."""
        if values.get("method") != "transfer" or values.get("dup_ok") == "yes":
            return ""
        found = await self.ledger.gifts_with_reference(scope.ward_id, values.get("reference", ""))
        if not found:
            return ""
        first = found[0]
        return t(
            "donations.gift.duplicate",
            reference=first.reference,
            receipt=first.receipt,
            amount=format_vnd(first.amount),
            day=day_text(first.donated_on),
        )

    async def _own_entry(self, scope: Scope, request: web.Request) -> Entry:
        entry = await self.ledger.entry(_number(request.match_info["rid"]))
        if entry is None or entry.ward_id != scope.ward_id:
            raise web.HTTPNotFound
        if entry.campaign_id != scope.campaign.id:
            raise web.HTTPNotFound
        return entry

    async def gift(self, request: web.Request) -> web.StreamResponse:
        """A recorded gift (its receipt), and the reversal form when it can be reversed."""
        scope = await self.scope(request)
        entry = await self._own_entry(scope, request)
        return await self._gift_view(request, scope, entry, {}, {"key": _fresh_key()})

    async def _gift_view(
        self,
        request: web.Request,
        scope: Scope,
        entry: Entry,
        errors: Mapping[str, str],
        values: Form,
        status: int = 200,
    ) -> web.Response:
        reversal = await self.ledger.reversal_of(entry.id) if entry.kind == "gift" else None
        original = (
            await self.ledger.entry(entry.reverses_id) if entry.reverses_id is not None else None
        )
        shown = _Shown(errors, values, status)
        return self._record_page(
            request, scope, "gift.html", shown, e=entry, reversal=reversal, original=original
        )

    def _record_page(
        self,
        request: web.Request,
        scope: Scope,
        template: str,
        shown: _Shown,
        **context: Any,
    ) -> web.Response:
        """A recorded gift's or payment's page (see `fund/_record.html`)."""
        return self.page(
            request,
            template,
            status=shown.status,
            c=scope.campaign,
            fresh=request.query.get("moi") == "1",
            errors=shown.errors,
            v=shown.values,
            **context,
        )

    async def _reverse_form(
        self, request: web.Request, scope: Scope, row: Entry | Disbursement, how: _Reversing
    ) -> web.StreamResponse:
        """Record a reversal from its posted form (a reason required), once per form key."""
        values = _fields(await request.post())
        t = self.site.translator(request)
        key = _form_key(values)
        ledger_key = _ledger_key(scope.officer, key) if key else None
        done = await how.used(ledger_key) if ledger_key else None
        base = f"/can-bo/quy/{scope.campaign.id}/{how.path}"
        if done is not None:
            raise web.HTTPSeeOther(f"{base}/{done}")
        problem = "" if values.get("reason") else t(how.reason_key)
        if not problem:
            try:
                made = await how.reverse(
                    row.id,
                    reason=values["reason"],
                    recorded_by=scope.officer.id,
                    now=self.site.clock(),
                    idempotency_key=ledger_key,
                )
            except LedgerError as exc:
                problem = t(how.problem(exc.code))
            else:
                raise web.HTTPSeeOther(f"{base}/{made.id}?moi=1")
        values = {**values, "key": key or _fresh_key()}
        return await how.view(request, scope, row, {"reason": problem}, values, 400)

    async def gift_reverse(self, request: web.Request) -> web.StreamResponse:
        """Record the reversal of a gift (a reason required), once per form."""
        scope = await self.scope(request)
        entry = await self._own_entry(scope, request)
        how = _Reversing(
            "thu",
            "donations.ledger.reason",
            self._used_entry,
            self.ledger.reverse,
            _gift_problem,
            self._gift_view,
        )
        return await self._reverse_form(request, scope, entry, how)

    # --- a disbursement ---

    async def out_form(self, request: web.Request) -> web.StreamResponse:
        """The form to record money out, with the balances and a fresh idempotency key."""
        scope = await self.scope(request)
        today = self._today().isoformat()
        values = {"key": _fresh_key(), "source": "campaign", "kind": "money", "paid_on": today}
        return await self._out_page(request, scope, values, {})

    async def _out_page(
        self,
        request: web.Request,
        scope: Scope,
        values: Form,
        errors: Mapping[str, str],
        status: int = 200,
    ) -> web.Response:
        campaign = scope.campaign
        return self.page(
            request,
            "out_form.html",
            status=status,
            c=campaign,
            v=values,
            errors=errors,
            purposes=PURPOSES,
            methods=OUT_METHODS,
            part=await self.available(scope, campaign.id, None),
            whole=await self.available(scope, None, None),
            today=self._today().isoformat(),
        )

    async def available(self, scope: Scope, campaign_id: int | None, on: date | None) -> int:
        """What may be paid out (the chat's rule: a campaign's part within the ward's fund)."""
        fund = scope.campaign.fund
        if on is None:  # today: the kept balances
            state = await self.state()
            balance = await self.balance(scope.ward_id, fund, campaign_id, state)
            whole = await self.balance(scope.ward_id, fund, None, state)
        else:
            balance = await self.ledger.balance(
                ward_id=scope.ward_id, fund=fund, campaign_id=campaign_id, on=on
            )
            whole = await self.ledger.balance(ward_id=scope.ward_id, fund=fund, on=on)
        available = balance.available
        if campaign_id is not None:  # a campaign's money is also within the ward's fund
            available = min(available, whole.available)
        return max(available, 0)

    async def out_post(self, request: web.Request) -> web.StreamResponse:
        """Check and record a disbursement; refused with the balance when it exceeds it."""
        scope = await self.scope(request)
        values = _fields(await request.post())
        t = self.site.translator(request)
        key = _form_key(values)
        if not key:
            values["key"] = _fresh_key()
            return await self._out_page(request, scope, values, {"form": t(_F + "err.key")}, 400)
        done = await self._used_out(_ledger_key(scope.officer, key))
        if done is not None:
            raise web.HTTPSeeOther(f"/can-bo/quy/{scope.campaign.id}/phieu-chi/{done}")
        form = _OutForm(values, self._today(), t)
        form.check()
        await form.beneficiary(self.registrations, scope.ward_id)
        if form.errors:
            return await self._out_page(request, scope, values, form.errors, 400)
        new = form.payment(scope, key)
        try:
            row = await self.ledger.disburse(new, now=self.site.clock())
        except LedgerError as exc:
            if exc.code == "balance":
                left = await self.available(scope, new.campaign_id, new.paid_on)
                problem = t(_F + "err.balance", available=format_vnd(left))
                return await self._out_page(request, scope, values, {"amount": problem}, 400)
            problem = t(_out_problem(exc.code))
            return await self._out_page(request, scope, values, {"form": problem}, 400)
        raise web.HTTPSeeOther(f"/can-bo/quy/{scope.campaign.id}/phieu-chi/{row.id}?moi=1")

    async def _own_out(self, scope: Scope, request: web.Request) -> Disbursement:
        row = await self.ledger.disbursement(_number(request.match_info["rid"]))
        if row is None or row.ward_id != scope.ward_id:
            raise web.HTTPNotFound
        same = row.campaign_id == scope.campaign.id or (
            row.campaign_id is None and row.fund == scope.campaign.fund
        )
        if not same:
            raise web.HTTPNotFound
        return row

    async def out(self, request: web.Request) -> web.StreamResponse:
        """A recorded disbursement (its voucher), and the reversal form."""
        scope = await self.scope(request)
        row = await self._own_out(scope, request)
        return await self._out_view(request, scope, row, {}, {"key": _fresh_key()})

    async def _out_view(
        self,
        request: web.Request,
        scope: Scope,
        row: Disbursement,
        errors: Mapping[str, str],
        values: Form,
        status: int = 200,
    ) -> web.Response:
        reversal = (
            await self.ledger.disbursement_reversal_of(row.id) if row.kind == "payment" else None
        )
        original = (
            await self.ledger.disbursement(row.reverses_id) if row.reverses_id is not None else None
        )
        left = await self.available(scope, row.campaign_id, None)
        shown = _Shown(errors, values, status)
        return self._record_page(
            request,
            scope,
            "out.html",
            shown,
            d=row,
            reversal=reversal,
            original=original,
            available=left,
        )

    async def out_reverse(self, request: web.Request) -> web.StreamResponse:
        """Record the reversal of a payment (a reason required), once per form."""
        scope = await self.scope(request)
        row = await self._own_out(scope, request)
        how = _Reversing(
            "phieu-chi",
            _OUT_ERROR + "reason",
            self._used_out,
            self.ledger.reverse_disbursement,
            _out_problem,
            self._out_view,
        )
        return await self._reverse_form(request, scope, row, how)

    # --- the statement (sao kê) ---

    async def statement(self, request: web.Request) -> web.StreamResponse:
        """The campaign's statement as PDF, CSV or XLSX (period from `tu` / `den`, optional).

        The file is kept until the ledger changes (it would be the same, but for the time it
        says it was made); every download is audited with its checksum, as in the chat.
        """
        scope = await self.scope(request)
        fmt = request.match_info["fmt"]
        t = self.site.translator(request)
        start = read_day(request.query.get("tu", ""))
        end = read_day(request.query.get("den", ""))
        now = self.site.clock()
        campaign = scope.campaign

        async def make() -> tuple[bytes, str, str]:
            made = await make_statement(
                self.ledger,
                self.site.services.users,
                t,
                campaign=campaign,
                start=start,
                end=end,
                now=now,
            )
            data = await asyncio.to_thread(render, made, t, fmt)
            return data, file_name(made, fmt), made.checksum

        key = ("statement", campaign.id, fmt, t.language, start, end)
        data, name, checksum = await self.files.get(key, await self.state(), make)
        await self.site.services.audit.record(
            actor_user_id=scope.officer.id,
            action="donations.statement_exported",
            target=f"campaign:{campaign.id}",
            detail={"format": fmt, "checksum": checksum, "via": "web"},
            now=now,
        )
        return web.Response(
            body=data,
            content_type=_MIME[fmt].split(";")[0],
            charset="utf-8" if fmt == "csv" else None,
            headers={"Content-Disposition": f'attachment; filename="{name}"'},
        )

    # --- bank statement import (đối soát) ---

    async def import_form(self, request: web.Request) -> web.StreamResponse:
        """The upload form for a bank statement of the campaign's account."""
        scope = await self.scope(request)
        return self.page(request, "import.html", c=scope.campaign, error="")

    async def import_post(self, request: web.Request) -> web.StreamResponse:
        """Read and store the statement; its lines sorted on the result page."""
        scope = await self.scope(request)
        t = self.site.translator(request)
        posted = await request.post()
        upload = posted.get("file")
        data = upload.file.read() if isinstance(upload, web.FileField) else b""
        if not data:
            error = t(_F + "import.no_file")
            return self.page(request, "import.html", status=400, c=scope.campaign, error=error)
        filename = str(getattr(upload, "filename", "") or "")[:120]
        try:
            report = await self.reconciler.import_file(
                data,
                filename=filename,
                campaign=scope.campaign,
                ward_id=scope.ward_id,
                actor=scope.officer.id,
                now=self.site.clock(),
            )
        except StatementError as exc:
            error = t(f"donations.bank.file_{exc.code}")
            return self.page(request, "import.html", status=400, c=scope.campaign, error=error)
        return await self._report_page(request, scope, report, [])

    async def _statement_scope(self, request: web.Request) -> tuple[Scope, int]:
        scope = await self.scope(request)
        statement_id = _number(request.match_info["rid"])
        if await self.bank.statement_ward(statement_id) != scope.ward_id:
            raise web.HTTPNotFound
        return scope, statement_id

    async def import_result(self, request: web.Request) -> web.StreamResponse:
        """A stored statement's lines, sorted again (what is left to record)."""
        scope, statement_id = await self._statement_scope(request)
        report = await self._sorted(statement_id)
        return await self._report_page(request, scope, report, [])

    async def _sorted(self, statement_id: int) -> Report:
        refs = await self.bank.statement_refs(statement_id)
        report = await self.reconciler.sort(refs)
        return Report(
            statement_id,
            0,
            report.lines,
            0,
            report.proposed,
            report.recorded,
            report.duplicates,
            report.unmatched,
        )

    async def _report_page(
        self, request: web.Request, scope: Scope, report: Report, notices: list[str]
    ) -> web.Response:
        today = self._today()
        options: dict[int, list[Campaign]] = {}
        for line in report.unmatched:
            options[line.id] = await self.ledger.open_campaigns(
                ward_id=scope.ward_id, day=line.posted_on
            )
        return self.page(
            request,
            "import_result.html",
            c=scope.campaign,
            report=report,
            notices=notices,
            options=options,
            today=today,
        )

    async def import_record(self, request: web.Request) -> web.StreamResponse:
        """Record one proposed line, every proposed line, or an unmatched line to a campaign."""
        scope, statement_id = await self._statement_scope(request)
        values = _fields(await request.post())
        t = self.site.translator(request)
        report = await self._sorted(statement_id)
        wanted = values.get("line", "")
        if wanted == "all":
            lines = [(line, line.matched_campaign_id or 0) for line in report.proposed]
        else:
            line = await self.bank.line(_number(wanted))
            if line is None or line.statement_id != statement_id:
                raise web.HTTPNotFound
            target = line.matched_campaign_id or _number(values.get("campaign", ""))
            lines = [(line, target)]
        notices = [await self._record_line(scope, line, target, t) for line, target in lines]
        if not notices:
            notices = [t("donations.bank.nothing_left")]
        return await self._report_page(request, scope, await self._sorted(statement_id), notices)

    async def _record_line(
        self, scope: Scope, line: StoredLine, campaign_id: int, t: Translator
    ) -> str:
        """Record one statement line as a gift (once: the chat's key); what happened."""
        allowed = {c.id: c for c in await self.ledger.campaigns(ward_id=scope.ward_id)}
        campaign = allowed.get(campaign_id)
        if campaign is None:
            return t(_F + "import.choose_campaign", ref=line.bank_ref)
        known = (await self.bank.recorded([line.bank_ref])).get(line.bank_ref.strip().upper())
        if known is not None and known.idempotency_key == bank_key(line.bank_ref):
            return t("donations.bank.already", ref=line.bank_ref, receipt=known.receipt)
        try:
            entry = await self.reconciler.record(
                line,
                campaign,
                ward_id=scope.ward_id,
                actor=scope.officer.id,
                now=self.site.clock(),
            )
        except DuplicateTransfer as exc:
            return t(_F + "import.duplicate", ref=line.bank_ref, receipt=exc.recorded.receipt)
        except LedgerError as exc:
            return t(f"donations.ledger.{exc.code}")
        return t(
            "donations.bank.recorded",
            receipt=entry.receipt,
            amount=format_vnd(entry.amount),
            campaign=campaign.name,
            ref=line.bank_ref,
        )


def routes(site: WebSite) -> None:
    """Add the fund pages under `/can-bo/quy`."""
    desk = FundDesk(site)
    base = f"/can-bo/quy/{_CID}"
    site.get("/can-bo/quy", desk.index)
    site.get(base, desk.campaign)
    site.get(f"{base}/ghi-nhan", desk.gift_form)
    site.post(f"{base}/ghi-nhan", desk.gift_post)
    site.get(f"{base}/thu/{_ID}", desk.gift)
    site.post(f"{base}/thu/{_ID}/dao", desk.gift_reverse)
    site.get(f"{base}/chi", desk.out_form)
    site.post(f"{base}/chi", desk.out_post)
    site.get(f"{base}/phieu-chi/{_ID}", desk.out)
    site.post(f"{base}/phieu-chi/{_ID}/dao", desk.out_reverse)
    site.get(f"{base}/sao-ke.{{fmt:pdf|csv|xlsx}}", desk.statement)
    site.get(f"{base}/doi-soat", desk.import_form)
    site.post(f"{base}/doi-soat", desk.import_post)
    site.get(f"{base}/doi-soat/{_ID}", desk.import_result)
    site.post(f"{base}/doi-soat/{_ID}/ghi", desk.import_record)
