"""The guided flow an officer uses to record money out of the fund (phiếu chi); `disburse.mmd`.

Payload prefix `chi`. The flow always asks the first part still missing (source, purpose,
beneficiary, amount or goods, method, date, decision, note), so "Sửa" on the confirmation
screen clears one part and the flow asks just that part again before confirming. Every step
re-checks on the server that the user is staff of the ward; the idempotency key is drawn when
the flow starts, so a double tap records one disbursement; the voucher number is shown only
after the row's transaction committed. The ledger refuses an amount above the available
balance (gifts − disbursements) at the payment's date, inside the write transaction.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta

from bot.core.errors import UserFacingError
from bot.core.flow import FlowData, Signal, StepFlow, StepHandler, StepResult, cancel_choice
from bot.core.registry import STAFF
from bot.core.turn import Turn
from bot.core.types import Choice, Reply
from handlers.donations._dates import parse_day
from handlers.donations._flow import is_button_number, read_amount, typed
from handlers.donations._payloads import (
    OUT_METHODS,
    OUT_SECTIONS,
    OutByName,
    OutConfirm,
    OutConsent,
    OutDay,
    OutEdit,
    OutFix,
    OutGoods,
    OutMethod,
    OutPurpose,
    OutRegistration,
    OutSkipNote,
    OutSource,
)
from handlers.donations._steps import OutStep
from handlers.donations.rules import (
    Problem,
    check_decision,
    check_decision_day,
    check_paid_day,
    has_letter,
    resolve_code,
)
from storage.ledger import FUNDS, PURPOSES, Campaign, Disbursement, Ledger, LedgerError
from storage.ledger import NewDisbursement as NewOut
from storage.registrations import RegistrationRepository, Status

MAX_REGISTRATIONS_SHOWN = 5
_VOUCHER = re.compile(r"^[A-Z]+-[A-Z0-9]+-\d{4}-C\d{6}$", re.IGNORECASE)
_P = "donations.disburse."


def is_voucher(text: str) -> bool:
    """Whether `text` looks like a disbursement voucher number (VNN-HC-2026-C000012)."""
    return _VOUCHER.match(text.strip()) is not None


@dataclass
class OutData(FlowData):
    """What the officer entered so far (stored in the session between steps)."""

    ward: str = ""
    campaign: int = 0
    fund: str = ""
    purpose: str = ""
    registration: int = 0
    reg_code: str = ""
    household: str = ""
    by_name: bool = False
    name: str = ""
    consent_asked: bool = False
    public: bool = False
    in_kind: bool = False
    goods: str = ""
    quantity: str = ""
    amount: int = 0
    method: str = ""
    date: str = ""
    decision: str = ""
    decision_date: str = ""
    note: str = ""
    note_done: bool = False
    key: str = ""
    """The idempotency key, drawn when the flow starts."""
    voucher: str = ""
    """The voucher number, once recorded (step DONE)."""


Needed = Callable[[OutData], bool]

# The parts in order, each with "still missing?"; the flow asks the first missing one.
_ORDER: tuple[tuple[OutStep, Needed], ...] = (
    (OutStep.SOURCE, lambda d: not d.fund),
    (OutStep.PURPOSE, lambda d: not d.purpose),
    (OutStep.BENEFICIARY, lambda d: not (d.registration or d.household or d.by_name)),
    (OutStep.NAME, lambda d: d.by_name and not d.name),
    (OutStep.CONSENT, lambda d: d.by_name and not d.consent_asked),
    (OutStep.AMOUNT, lambda d: not d.in_kind and not d.amount),
    (OutStep.GOODS, lambda d: d.in_kind and not d.goods),
    (OutStep.QUANTITY, lambda d: d.in_kind and not d.quantity),
    (OutStep.VALUE, lambda d: d.in_kind and not d.amount),
    (OutStep.METHOD, lambda d: not d.method),
    (OutStep.DATE, lambda d: not d.date),
    (OutStep.DECISION, lambda d: not d.decision),
    (OutStep.DECISION_DATE, lambda d: not d.decision_date),
    (OutStep.NOTE, lambda d: not d.note_done),
)

_CLEARS: Mapping[str, tuple[str, ...]] = {
    "source": ("campaign", "fund"),
    "purpose": ("purpose",),
    "beneficiary": (
        "registration",
        "reg_code",
        "household",
        "by_name",
        "name",
        "consent_asked",
        "public",
    ),
    "amount": ("in_kind", "goods", "quantity", "amount", "method"),
    "method": ("method",),
    "date": ("date",),
    "decision": ("decision", "decision_date"),
    "note": ("note", "note_done"),
}


def next_step(data: OutData) -> OutStep:
    """The first part still missing, or the confirmation screen."""
    return next((step for step, needed in _ORDER if needed(data)), OutStep.CONFIRM)


def clear_section(data: OutData, section: str) -> None:
    """Forget one part of the entry (for "Sửa"), so the flow asks it again."""
    blank = OutData()
    for name in _CLEARS[section]:
        setattr(data, name, getattr(blank, name))


Prompt = Callable[[Turn, OutData], Reply]


class DisburseFlow(StepFlow[OutData]):
    """Recording one disbursement: source → purpose → beneficiary → amount → … → confirm."""

    name = "chi"
    roles = STAFF
    data_type = OutData

    def __init__(self, ledger: Ledger, registrations: RegistrationRepository) -> None:
        self.ledger = ledger
        self.registrations = registrations

    def steps(self) -> Mapping[str, StepHandler]:
        """The step table (see `disburse.mmd`)."""
        return {
            OutStep.SOURCE: self.on_source,
            OutStep.PURPOSE: self.on_purpose,
            OutStep.BENEFICIARY: self.on_beneficiary,
            OutStep.NAME: self.on_name,
            OutStep.CONSENT: self.on_consent,
            OutStep.AMOUNT: self.on_amount,
            OutStep.GOODS: self.on_goods,
            OutStep.QUANTITY: self.on_quantity,
            OutStep.VALUE: self.on_value,
            OutStep.METHOD: self.on_method,
            OutStep.DATE: self.on_date,
            OutStep.DECISION: self.on_decision,
            OutStep.DECISION_DATE: self.on_decision_date,
            OutStep.NOTE: self.on_note,
            OutStep.CONFIRM: self.on_confirm,
            OutStep.EDIT: self.on_edit,
            OutStep.DONE: self.on_done,
        }

    async def start(self, turn: Turn) -> list[Reply]:
        """Enters the flow at the source question (the ward's campaigns and funds)."""
        turn.require_staff()
        turn.session.clear()
        ward = turn.user.ward_id
        if ward is None:
            raise UserFacingError("donations.need_ward")
        data = OutData(ward=ward, key=secrets.token_hex(12))
        self.enter(turn, OutStep.SOURCE, data)
        return [await self._ask_source(turn, data)]

    async def handle(self, turn: Turn) -> StepResult:
        """Checks the user is staff of the ward being paid from, then runs the step."""
        turn.require_staff()
        ward = OutData.load(turn.session.data).ward
        if ward:
            turn.require_staff(ward)
        return await super().handle(turn)

    # Steps. Each docstring says what the user sees after their input.

    async def on_source(self, turn: Turn, data: OutData) -> StepResult:
        """A campaign or fund of the ward: the purpose question; anything else: the list."""
        pick = OutSource.unpack(turn.payload)
        if pick is None:
            return Signal.REPEAT
        if pick.scope == "f":
            if pick.ref not in FUNDS:
                return Signal.REPEAT
            data.campaign, data.fund = 0, pick.ref
        else:
            campaign = await self._own_campaign(turn, data, pick.ref)
            data.campaign, data.fund = campaign.id, campaign.fund
        return await self._advance(turn, data)

    async def on_purpose(self, turn: Turn, data: OutData) -> StepResult:
        """Purpose chosen: the beneficiary question; anything else: the purposes again."""
        pick = OutPurpose.unpack(turn.payload)
        if pick is None:
            return Signal.REPEAT
        data.purpose = pick.purpose
        return await self._advance(turn, data)

    async def on_beneficiary(self, turn: Turn, data: OutData) -> StepResult:
        """A registration (button or TN code), a household code or "by name": next part."""
        if OutByName.unpack(turn.payload) is not None:
            data.by_name = True
            return await self._advance(turn, data)
        pick = OutRegistration.unpack(turn.payload)
        if pick is not None:
            return await self._take_registration(turn, data, pick.id)
        text = typed(turn).strip()
        if not text:
            return [await self._prompt(turn, data)]
        found = await resolve_code(self.registrations, data.ward, text)
        if isinstance(found, Problem):
            return [Reply(found.text(turn.t)), await self._prompt(turn, data)]
        data.registration = found.registration_id or 0
        data.reg_code, data.household = found.registration_code, found.household
        return await self._advance(turn, data)

    async def on_name(self, turn: Turn, data: OutData) -> StepResult:
        """Name typed: the consent question; a number alone: why, and the question again."""
        name = typed(turn).strip()
        if not name:
            return [await self._prompt(turn, data)]
        if not has_letter(name):
            return [turn.reply(_P + "name_bad"), await self._prompt(turn, data)]
        data.name = name
        return await self._advance(turn, data)

    async def on_consent(self, turn: Turn, data: OutData) -> StepResult:
        """Consent given or not: the amount question; anything else: the two choices."""
        pick = OutConsent.unpack(turn.payload)
        if pick is None:
            return Signal.REPEAT
        data.public, data.consent_asked = pick.public, True
        return await self._advance(turn, data)

    async def on_amount(self, turn: Turn, data: OutData) -> StepResult:
        """Amount typed (within the balance): the method question; "Hiện vật": goods."""
        if OutGoods.unpack(turn.payload) is not None:
            data.in_kind, data.method = True, "in_kind"
            return await self._advance(turn, data)
        return await self._take_amount(turn, data)

    async def on_goods(self, turn: Turn, data: OutData) -> StepResult:
        """Goods typed: the quantity question."""
        return await self._take_text(turn, data, "goods")

    async def on_quantity(self, turn: Turn, data: OutData) -> StepResult:
        """Quantity typed: the value question."""
        return await self._take_text(turn, data, "quantity")

    async def on_value(self, turn: Turn, data: OutData) -> StepResult:
        """Value typed (within the balance): the date question."""
        return await self._take_amount(turn, data)

    async def on_method(self, turn: Turn, data: OutData) -> StepResult:
        """Cash or transfer: the date question; anything else: the two again."""
        pick = OutMethod.unpack(turn.payload)
        if pick is None:
            return Signal.REPEAT
        data.method = pick.method
        return await self._advance(turn, data)

    async def on_date(self, turn: Turn, data: OutData) -> StepResult:
        """A date not in the future: the decision question; else why, and again."""
        day = _day_given(turn)
        if day is None:
            return [turn.reply("donations.date_bad"), await self._prompt(turn, data)]
        problem = check_paid_day(day, turn.today)
        if problem is not None:
            return [Reply(problem.text(turn.t)), await self._prompt(turn, data)]
        data.date = day.isoformat()
        if data.decision_date and data.decision_date > data.date:
            data.decision_date = ""  # the decision must come first: asked again
        return await self._advance(turn, data)

    async def on_decision(self, turn: Turn, data: OutData) -> StepResult:
        """A decision number (with a digit): the decision-date question; else why, again."""
        text = typed(turn).strip()
        if not text:
            return [await self._prompt(turn, data)]
        problem = check_decision(text)
        if problem is not None:
            return [Reply(problem.text(turn.t)), await self._prompt(turn, data)]
        data.decision = text
        return await self._advance(turn, data)

    async def on_decision_date(self, turn: Turn, data: OutData) -> StepResult:
        """A date on or before the payment: the note question; else why, and again."""
        day = _day_given(turn)
        if day is None:
            return [turn.reply("donations.date_bad"), await self._prompt(turn, data)]
        problem = check_decision_day(day, date.fromisoformat(data.date))
        if problem is not None:
            return [Reply(problem.text(turn.t)), await self._prompt(turn, data)]
        data.decision_date = day.isoformat()
        return await self._advance(turn, data)

    async def on_note(self, turn: Turn, data: OutData) -> StepResult:
        """Note typed or "Bỏ qua": the confirmation screen."""
        if OutSkipNote.unpack(turn.payload) is not None:
            data.note = ""
        elif text := typed(turn):
            if is_button_number(text):
                return [turn.reply("donations.gift.note_is_number"), await self._prompt(turn, data)]
            data.note = text
        else:
            return [await self._prompt(turn, data)]
        data.note_done = True
        return await self._advance(turn, data)

    async def on_confirm(self, turn: Turn, data: OutData) -> StepResult:
        """Confirm: the voucher once committed; "Sửa": what to change; else the buttons."""
        if OutFix.unpack(turn.payload) is not None:
            self.go(turn, OutStep.EDIT)
            return [await self._prompt(turn, data)]
        if OutConfirm.unpack(turn.payload) is None:
            return Signal.REPEAT
        return await self._record(turn, data)

    async def on_edit(self, turn: Turn, data: OutData) -> StepResult:
        """A part chosen: its question again (then the confirmation screen)."""
        pick = OutEdit.unpack(turn.payload)
        if pick is None:
            return Signal.REPEAT
        clear_section(data, pick.section)
        return await self._advance(turn, data)

    async def on_done(self, turn: Turn, data: OutData) -> StepResult:
        """Confirm again: the same voucher; typed text: the flow ends, the Q&A answers it."""
        if OutConfirm.unpack(turn.payload) is not None:
            return [turn.reply(_P + "already_recorded", voucher=data.voucher)]
        turn.session.clear()
        if turn.payload is None:
            return Signal.UNHANDLED
        return [turn.reply("donations.flow_finished")]

    # Helpers.

    async def _advance(self, turn: Turn, data: OutData) -> list[Reply]:
        self.go(turn, next_step(data))
        return [await self._prompt(turn, data)]

    async def _own_campaign(self, turn: Turn, data: OutData, ref: str) -> Campaign:
        """A campaign the ward may pay from (its own or its province's); ids are forgeable."""
        number = int(ref) if ref.isascii() and ref.isdigit() else 0
        for campaign in await self.ledger.campaigns(ward_id=data.ward):
            if campaign.id == number:
                turn.require_staff(campaign.ward_id)
                return campaign
        raise UserFacingError("donations.campaign_missing")

    async def _take_registration(self, turn: Turn, data: OutData, number: int) -> list[Reply]:
        found = await self.registrations.get(number)
        if found is None or found.ward_id != data.ward:
            return [turn.reply(_P + "registration_missing"), await self._prompt(turn, data)]
        data.registration, data.reg_code = found.id, found.code
        return await self._advance(turn, data)

    async def _take_text(self, turn: Turn, data: OutData, field: str) -> list[Reply]:
        text = typed(turn).strip()
        if not text:
            return [await self._prompt(turn, data)]
        setattr(data, field, text)
        return await self._advance(turn, data)

    async def _take_amount(self, turn: Turn, data: OutData) -> list[Reply]:
        text = typed(turn)
        if not text:
            return [await self._prompt(turn, data)]
        try:
            amount = read_amount(turn, text)
        except UserFacingError as exc:
            return [Reply(turn.t(exc.key, **exc.params)), await self._prompt(turn, data)]
        if amount > await self._available(data, None):
            return [
                await self._over(turn, data, _P + "over_balance", None),
                await self._prompt(turn, data),
            ]
        data.amount = amount
        return await self._advance(turn, data)

    async def _available(self, data: OutData, on: date | None) -> int:
        balance = await self.ledger.balance(
            ward_id=data.ward, fund=data.fund or "vnn", campaign_id=data.campaign or None, on=on
        )
        available = balance.available
        if data.campaign:  # a campaign's money is also within the ward's fund
            whole = await self.ledger.balance(ward_id=data.ward, fund=data.fund, on=on)
            available = min(available, whole.available)
        return max(available, 0)

    async def _over(self, turn: Turn, data: OutData, key: str, on: date | None) -> Reply:
        """Why an amount is refused: over the source's balance, or the ward fund's when less."""
        if data.campaign:
            own = await self.ledger.balance(ward_id=data.ward, campaign_id=data.campaign, on=on)
            whole = await self.ledger.balance(ward_id=data.ward, fund=data.fund, on=on)
            if whole.available < own.available:
                return turn.reply(
                    _P + "over_fund",
                    fund=turn.t(f"donations.fund.{data.fund or 'vnn'}"),
                    available=turn.money(max(whole.available, 0)),
                )
        return turn.reply(key, available=turn.money(await self._available(data, on)))

    async def _record(self, turn: Turn, data: OutData) -> list[Reply]:
        """Records the disbursement (once per idempotency key) and shows the voucher."""
        turn.require_staff(data.ward)
        if data.campaign:
            await self._own_campaign(turn, data, str(data.campaign))
        new = NewOut(
            ward_id=data.ward,
            fund=data.fund,
            campaign_id=data.campaign or None,
            purpose=data.purpose,
            amount=data.amount,
            method=data.method,
            paid_on=date.fromisoformat(data.date),
            decision_number=data.decision,
            decision_date=date.fromisoformat(data.decision_date),
            recorded_by=turn.user.id,
            registration_id=data.registration or None,
            household_code=data.household,
            beneficiary_name=data.name,
            name_public=data.public and bool(data.name),
            goods=data.goods,
            quantity=data.quantity,
            note=data.note,
            idempotency_key=data.key,
        )
        try:
            row = await self.ledger.disburse(new, now=turn.now)
        except LedgerError as exc:
            if exc.code != "balance":
                raise UserFacingError(f"{_P}error.{exc.code}") from None
            return [
                await self._over(turn, data, _P + "error.balance", new.paid_on),
                await self._prompt(turn, data),
            ]
        source = await self._source_label(turn, data)
        # The source's own balance, as /baocao, /minhbach and the sao kê show it (what may be
        # spent next can be less: a campaign's money is also within the ward's fund).
        left = await self.ledger.balance(
            ward_id=data.ward, fund=data.fund or "vnn", campaign_id=data.campaign or None
        )
        self.enter(turn, OutStep.DONE, OutData(ward=data.ward, voucher=row.voucher))
        return [
            turn.reply(
                _P + "recorded",
                voucher=row.voucher,
                amount=turn.money(row.amount),
                purpose=turn.t(f"{_P}purpose.{row.purpose}"),
                day=turn.day(row.paid_on),
                source=source,
                available=turn.money(left.available),
            )
        ]

    async def _source_label(self, turn: Turn, data: OutData) -> str:
        if data.campaign:
            campaign = await self.ledger.campaign(data.campaign)
            if campaign is not None:
                return campaign.name
        return turn.t(_P + "whole_fund", fund=turn.t(f"donations.fund.{data.fund or 'vnn'}"))

    # Questions, one per step.

    async def _prompt(self, turn: Turn, data: OutData) -> Reply:
        """The question of the current step."""
        step = turn.session.step or ""
        if step == OutStep.SOURCE:
            return await self._ask_source(turn, data)
        if step == OutStep.BENEFICIARY:
            return await self._ask_beneficiary(turn, data)
        if step == OutStep.CONFIRM:
            return await self._ask_confirm(turn, data)
        ask = _QUESTIONS.get(step)
        return turn.reply("common.choose_above") if ask is None else ask(turn, data)

    async def _ask_source(self, turn: Turn, data: OutData) -> Reply:
        campaigns = await self.ledger.campaigns(ward_id=data.ward)
        choices: list[Choice] = []
        funds: list[str] = []
        for campaign in campaigns:
            balance = await self.ledger.balance(ward_id=data.ward, campaign_id=campaign.id)
            label = turn.t(
                _P + "source_campaign",
                name=campaign.name,
                available=turn.money(balance.available),
            )
            choices.append(OutSource("c", str(campaign.id)).choice(label))
            if campaign.fund not in funds:
                funds.append(campaign.fund)
        for fund in funds:
            balance = await self.ledger.balance(ward_id=data.ward, fund=fund)
            label = turn.t(
                _P + "source_fund",
                fund=turn.t(f"donations.fund.{fund}"),
                available=turn.money(balance.available),
            )
            choices.append(OutSource("f", fund).choice(label))
        key = _P + ("ask_source" if choices else "no_source")
        return Reply(turn.t(key), (*choices, cancel_choice(turn)))

    async def _ask_beneficiary(self, turn: Turn, data: OutData) -> Reply:
        found = await self.registrations.in_ward(data.ward, limit=1000)
        shown = [r for r in found if r.status is not Status.WITHDRAWN][-MAX_REGISTRATIONS_SHOWN:]
        choices = [OutRegistration(r.id).choice(r.code) for r in reversed(shown)]
        return Reply(
            turn.t(_P + "ask_beneficiary"),
            (*choices, OutByName().choice(turn.t(_P + "by_name")), cancel_choice(turn)),
            expects_text=True,
        )

    async def _ask_confirm(self, turn: Turn, data: OutData) -> Reply:
        available = await self._available(data, date.fromisoformat(data.date))
        return Reply(
            turn.t(
                _P + "confirm_text",
                source=await self._source_label(turn, data),
                purpose=turn.t(f"{_P}purpose.{data.purpose}"),
                beneficiary=beneficiary_text(turn, data),
                amount=turn.money(data.amount),
                goods=goods_text(turn, data.goods, data.quantity),
                method=turn.t(f"donations.method.{data.method}"),
                day=turn.day(date.fromisoformat(data.date)),
                decision=data.decision,
                decision_day=turn.day(date.fromisoformat(data.decision_date)),
                note=data.note or "—",
                available=turn.money(available),
            ),
            (
                OutConfirm().choice(turn.t("common.confirm")),
                OutFix().choice(turn.t(_P + "fix")),
                cancel_choice(turn),
            ),
        )

    async def lookup(self, turn: Turn, voucher: str) -> list[Reply]:
        """`/tracuu <số phiếu chi>` for everyone: what the public may see of a payment."""
        row = await self.ledger.by_voucher(voucher)
        if row is None:
            return [turn.reply("donations.lookup_missing", receipt=voucher[:40])]
        if row.kind == "reversal":
            return [turn.reply(_P + "lookup_reversal", voucher=row.voucher)]
        named = await turn.services.users.ward(row.ward_id)
        lines = [
            turn.t(
                _P + "lookup_found",
                voucher=row.voucher,
                line=public_line(turn, row, named.name if named else row.ward_id),
                decision=row.decision_number,
                decision_day=turn.day(row.decision_date),
            )
        ]
        if row.goods:
            lines.append(
                turn.t("donations.gift.lookup_goods", goods=row.goods, quantity=row.quantity)
            )
        reversal = await self.ledger.disbursement_reversal_of(row.id)
        if reversal is not None:
            lines.append(turn.t(_P + "lookup_reversed", voucher=reversal.voucher))
        return [Reply("\n".join(lines))]

    async def reverse(self, turn: Turn, voucher: str, reason: str) -> list[Reply]:
        """`/daobut <số phiếu chi> <lý do>`: the reversal of a payment (staff of its ward)."""
        row = await self.ledger.by_voucher(voucher)
        if row is None:
            return [turn.reply("donations.lookup_missing", receipt=voucher[:40])]
        turn.require_staff(row.ward_id)
        if row.kind == "reversal":
            return [turn.reply(_P + "reverse_is_reversal", voucher=row.voucher)]
        try:
            reversal = await self.ledger.reverse_disbursement(
                row.id, reason=reason.strip()[:200], recorded_by=turn.user.id, now=turn.now
            )
        except LedgerError as exc:
            raise UserFacingError(f"{_P}error.{exc.code}") from None
        return [
            turn.reply(
                _P + "reversed",
                voucher=row.voucher,
                reversal=reversal.voucher,
                amount=turn.money(row.amount),
            )
        ]


def beneficiary_text(turn: Turn, data: OutData) -> str:
    """The beneficiary as the officer sees it on the confirmation screen."""
    if data.registration:
        shown = turn.t(_P + "beneficiary_registration", code=data.reg_code)
        return f"{shown}, {data.household}" if data.household else shown
    if data.household:
        return turn.t(_P + "beneficiary_household", code=data.household)
    public = turn.t("common.yes" if data.public else "common.no")
    return turn.t(_P + "beneficiary_name", name=data.name, public=public)


def goods_text(turn: Turn, goods: str, quantity: str) -> str:
    """The goods line of a disbursement in kind ("" for money)."""
    if not goods:
        return ""
    return turn.t("donations.gift.goods_line", goods=goods, quantity=quantity or "—")


def public_line(turn: Turn, row: Disbursement, commune: str) -> str:
    """A disbursement as the public sees it: date, purpose, commune, amount (name if agreed)."""
    line = turn.t(
        _P + "public_line",
        day=turn.day(row.paid_on),
        purpose=turn.t(f"{_P}purpose.{row.purpose}"),
        commune=commune,
        amount=turn.money(row.amount),
    )
    if row.beneficiary_label:
        line += turn.t(_P + "public_name", name=row.beneficiary_label)
    return line


def _day_given(turn: Turn) -> date | None:
    pick = OutDay.unpack(turn.payload)
    if pick is not None:
        return turn.today - timedelta(days=0 if pick.day == "today" else 1)
    return parse_day(typed(turn), turn.today)


def _text_question(key: str, *extra: Callable[[Turn], Choice]) -> Prompt:
    def ask(turn: Turn, data: OutData) -> Reply:
        choices = [make(turn) for make in extra]
        return Reply(turn.t(key), (*choices, cancel_choice(turn)), expects_text=True)

    return ask


def _day_question(key: str) -> Prompt:
    def ask(turn: Turn, data: OutData) -> Reply:
        return Reply(
            turn.t(key),
            (
                OutDay("today").choice(turn.t("donations.today")),
                OutDay("yesterday").choice(turn.t("donations.yesterday")),
                cancel_choice(turn),
            ),
            expects_text=True,
        )

    return ask


def _ask_purpose(turn: Turn, data: OutData) -> Reply:
    choices = [OutPurpose(p).choice(turn.t(f"{_P}purpose.{p}")) for p in PURPOSES]
    return Reply(turn.t(_P + "ask_purpose"), (*choices, cancel_choice(turn)))


def _ask_consent(turn: Turn, data: OutData) -> Reply:
    return Reply(
        turn.t(_P + "ask_consent", name=data.name),
        (
            OutConsent(True).choice(turn.t(_P + "consent_yes")),
            OutConsent(False).choice(turn.t(_P + "consent_no")),
            cancel_choice(turn),
        ),
    )


def _ask_method(turn: Turn, data: OutData) -> Reply:
    choices = [OutMethod(m).choice(turn.t(f"donations.method.{m}")) for m in OUT_METHODS]
    return Reply(turn.t(_P + "ask_method"), (*choices, cancel_choice(turn)))


def _ask_edit(turn: Turn, data: OutData) -> Reply:
    sections = [s for s in OUT_SECTIONS if not (s == "method" and data.in_kind)]
    choices = [OutEdit(s).choice(turn.t(f"{_P}section.{s}")) for s in sections]
    return Reply(turn.t(_P + "ask_edit"), (*choices, cancel_choice(turn)))


_QUESTIONS: Mapping[str, Prompt] = {
    OutStep.PURPOSE: _ask_purpose,
    OutStep.NAME: _text_question(_P + "ask_name"),
    OutStep.CONSENT: _ask_consent,
    OutStep.AMOUNT: _text_question(
        _P + "ask_amount", lambda turn: OutGoods().choice(turn.t(_P + "in_goods"))
    ),
    OutStep.GOODS: _text_question(_P + "ask_goods"),
    OutStep.QUANTITY: _text_question(_P + "ask_quantity"),
    OutStep.VALUE: _text_question(_P + "ask_value"),
    OutStep.METHOD: _ask_method,
    OutStep.DATE: _day_question(_P + "ask_date"),
    OutStep.DECISION: _text_question(_P + "ask_decision"),
    OutStep.DECISION_DATE: _day_question(_P + "ask_decision_date"),
    OutStep.NOTE: _text_question(
        _P + "ask_note", lambda turn: OutSkipNote().choice(turn.t("common.skip"))
    ),
    OutStep.EDIT: _ask_edit,
}
