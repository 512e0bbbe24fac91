"""The guided flow an officer uses to log a gift (payload prefix `don`); see `flow.mmd`.

Every step re-checks on the server that the user is staff of the campaign's ward. The confirm
step carries an idempotency key stored in the session, so a double tap records one entry; the
receipt is shown only after the entry's transaction committed.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta

from bot.core.errors import UserFacingError
from bot.core.flow import FlowData, Signal, StepFlow, StepHandler, StepResult, cancel_choice
from bot.core.registry import STAFF
from bot.core.turn import Turn
from bot.core.types import Reply
from handlers.donations._dates import parse_day
from handlers.donations._payloads import (
    GIFT_SECTIONS,
    Anonymous,
    BigAmount,
    ConfirmGift,
    Consent,
    DuplicateRef,
    EditGift,
    FixGift,
    NameCheck,
    PickCampaign,
    PickDay,
    PickDonorType,
    PickMethod,
    SkipNote,
)
from handlers.donations._steps import LogStep
from handlers.donations.rules import check_amount, check_gift_day, has_letter
from storage.ledger import (
    DONOR_TYPES,
    METHODS,
    Campaign,
    Entry,
    Ledger,
    LedgerError,
    NewEntry,
)

BIG_AMOUNT = 1_000_000_000
MAX_TEXT = 200


def read_amount(turn: Turn, text: str) -> int:
    """An amount of đồng typed by an officer, within 1.000 ₫ – 100 tỷ ₫ (`check_amount`).

    Raises:
        UserFacingError: the text is not an amount, is ambiguous or is out of range.
    """
    amount, problem = check_amount(text)
    if problem is not None:
        raise problem.error(turn.language)
    return amount


async def require_campaign(turn: Turn, ledger: Ledger, campaign_id: object) -> Campaign:
    """The campaign with that id if the user is staff of its ward (ids come from payloads).

    Raises:
        UserFacingError: no such campaign.
        PermissionDenied: the user is not staff of the campaign's ward.
    """
    try:
        number = int(str(campaign_id))
    except ValueError:
        raise UserFacingError("donations.campaign_missing") from None
    campaign = await ledger.campaign(number)
    if campaign is None:
        raise UserFacingError("donations.campaign_missing")
    turn.require_staff(campaign.ward_id)
    return campaign


def is_button_number(text: str) -> bool:
    """Whether typed text is only a small number ("1", "2.") a button index may have meant."""
    stripped = text.strip().rstrip(".)")
    return stripped.isascii() and stripped.isdigit() and len(stripped) <= 2


def typed(turn: Turn) -> str:
    """The text typed at a step that waits for text ("" for a button press), cut to 200 chars."""
    return "" if turn.payload else turn.text[:MAX_TEXT]


@dataclass
class LogData(FlowData):
    """What the officer entered so far (stored in the session between steps)."""

    campaign: int = 0
    ward: str = ""
    donor_type: str = ""
    donor_name: str = ""
    amount: int = 0
    method: str = ""
    reference: str = ""
    date: str = ""
    public: bool = False
    note: str = ""
    key: str = ""
    """The idempotency key of the entry, drawn when the flow starts."""
    receipt: str = ""
    """The receipt number, once recorded (step DONE)."""
    goods: str = ""
    quantity: str = ""
    pending_name: str = ""
    """A number typed as the donor's name, until the officer says what it meant."""
    editing: str = ""
    """The part being changed after "Sửa" (one of `GIFT_SECTIONS`); "" otherwise."""
    duplicate_of: str = ""
    """The receipt already carrying the typed bank reference (step DUPLICATE)."""


Prompt = Callable[[Turn, LogData], Reply]

# The steps of each part "Sửa" can change; leaving them goes back to the confirm screen.
_SECTION_STEPS: Mapping[str, tuple[LogStep, ...]] = {
    "donor": (LogStep.DONOR_TYPE, LogStep.DONOR_NAME, LogStep.NAME_CHECK),
    "amount": (LogStep.AMOUNT, LogStep.AMOUNT_CONFIRM),
    "method": (
        LogStep.METHOD,
        LogStep.REFERENCE,
        LogStep.DUPLICATE,
        LogStep.GOODS,
        LogStep.QUANTITY,
    ),
    "date": (LogStep.DATE,),
    "public": (LogStep.PUBLIC,),
    "note": (LogStep.NOTE,),
}

_NO_CAMPAIGN_YET = (LogStep.CAMPAIGN, LogStep.DONE)


class LogFlow(StepFlow[LogData]):
    """Logging one gift: campaign → donor → amount → method → date → consent → note → confirm."""

    name = "don"
    roles = STAFF
    data_type = LogData

    def __init__(self, ledger: Ledger) -> None:
        self.ledger = ledger
        self._prompts: Mapping[str, Prompt] = {
            LogStep.DONOR_TYPE: self._ask_donor_type,
            LogStep.DONOR_NAME: self._ask_donor_name,
            LogStep.NAME_CHECK: self._ask_name_check,
            LogStep.DUPLICATE: self._ask_duplicate,
            LogStep.GOODS: self._ask_goods,
            LogStep.QUANTITY: self._ask_quantity,
            LogStep.EDIT: self._ask_edit,
            LogStep.AMOUNT: self._ask_amount,
            LogStep.AMOUNT_CONFIRM: self._ask_big_amount,
            LogStep.METHOD: self._ask_method,
            LogStep.REFERENCE: self._ask_reference,
            LogStep.DATE: self._ask_date,
            LogStep.PUBLIC: self._ask_public,
            LogStep.NOTE: self._ask_note,
            LogStep.CONFIRM: self._ask_confirm,
        }

    def steps(self) -> Mapping[str, StepHandler]:
        """The step table (see `flow.mmd`)."""
        return {
            LogStep.CAMPAIGN: self.on_campaign,
            LogStep.DONOR_TYPE: self.on_donor_type,
            LogStep.DONOR_NAME: self.on_donor_name,
            LogStep.NAME_CHECK: self.on_name_check,
            LogStep.AMOUNT: self.on_amount,
            LogStep.AMOUNT_CONFIRM: self.on_amount_confirm,
            LogStep.METHOD: self.on_method,
            LogStep.REFERENCE: self.on_reference,
            LogStep.DUPLICATE: self.on_duplicate,
            LogStep.GOODS: self.on_goods,
            LogStep.QUANTITY: self.on_quantity,
            LogStep.DATE: self.on_date,
            LogStep.PUBLIC: self.on_public,
            LogStep.NOTE: self.on_note,
            LogStep.CONFIRM: self.on_confirm,
            LogStep.EDIT: self.on_edit,
            LogStep.DONE: self.on_done,
        }

    async def start(self, turn: Turn) -> list[Reply]:
        """Enters the flow; skips the campaign question when exactly one campaign is open."""
        turn.require_staff()
        turn.session.clear()
        campaigns = await self.ledger.open_campaigns(ward_id=turn.user.ward_id, day=turn.today)
        if not campaigns:
            return [turn.reply("donations.no_open_campaign")]
        self.enter(turn, LogStep.CAMPAIGN, LogData())
        if len(campaigns) == 1:
            return self._pick_campaign(turn, campaigns[0])
        choices = [PickCampaign(c.id).choice(c.name) for c in campaigns]
        return [Reply(turn.t("donations.ask_campaign"), (*choices, cancel_choice(turn)))]

    async def handle(self, turn: Turn) -> StepResult:
        """Checks the user is staff (of the chosen campaign's ward), then runs the step."""
        turn.require_staff()
        if turn.session.step not in _NO_CAMPAIGN_YET:
            await self._campaign(turn, LogData.load(turn.session.data))
        return await super().handle(turn)

    # Steps. Each docstring says what the user sees after their input.

    async def on_campaign(self, turn: Turn, data: LogData) -> StepResult:
        """Campaign chosen: "Đợt …" and the donor-type question; anything else: the list again."""
        pick = PickCampaign.unpack(turn.payload)
        if pick is None:
            return Signal.REPEAT
        campaign = await require_campaign(turn, self.ledger, pick.id)
        if not campaign.is_open(turn.today):
            raise UserFacingError("donations.campaign_closed")
        return self._pick_campaign(turn, campaign)

    async def on_donor_type(self, turn: Turn, data: LogData) -> StepResult:
        """Type chosen: the donor-name question; anything else: the four types again."""
        pick = PickDonorType.unpack(turn.payload)
        if pick is None:
            return Signal.REPEAT
        data.donor_type = pick.kind
        return self._go(turn, LogStep.DONOR_NAME, data)

    async def on_donor_name(self, turn: Turn, data: LogData) -> StepResult:
        """Name typed or "Ẩn danh": the amount question; a number alone: what was meant."""
        if Anonymous.unpack(turn.payload) is not None:
            return self._take_name(turn, data, "")
        name = typed(turn).strip()
        if not name:
            return [self._prompt(turn, data)]
        if not has_letter(name):  # "1" was likely meant as button 1
            data.pending_name = name
            return self._go(turn, LogStep.NAME_CHECK, data)
        return self._take_name(turn, data, name)

    async def on_name_check(self, turn: Turn, data: LogData) -> StepResult:
        """Anonymous or "the name is …": the amount question; a new name typed: taken."""
        if Anonymous.unpack(turn.payload) is not None:
            return self._take_name(turn, data, "")
        if NameCheck.unpack(turn.payload) is not None:
            return self._take_name(turn, data, data.pending_name)
        if turn.payload is None and typed(turn).strip():
            return await self.on_donor_name(turn, data)
        return Signal.REPEAT

    async def on_amount(self, turn: Turn, data: LogData) -> StepResult:
        """Amount typed: the method question (or "rất lớn" from 1 tỷ ₫); else why, and again."""
        text = typed(turn)
        if not text:
            return [self._prompt(turn, data)]
        try:
            amount = read_amount(turn, text)
        except UserFacingError as exc:
            return [Reply(turn.t(exc.key, **exc.params)), self._prompt(turn, data)]
        data.amount = amount
        step = LogStep.AMOUNT_CONFIRM if amount >= BIG_AMOUNT else LogStep.METHOD
        return self._go(turn, step, data)

    async def on_amount_confirm(self, turn: Turn, data: LogData) -> StepResult:
        """Yes: the method question; "Nhập lại": the amount question; else the two again."""
        pick = BigAmount.unpack(turn.payload)
        if pick is None:
            return Signal.REPEAT
        if pick.answer == "no":
            data.amount = 0
            return self._go(turn, LogStep.AMOUNT, data)
        return self._go(turn, LogStep.METHOD, data)

    async def on_method(self, turn: Turn, data: LogData) -> StepResult:
        """Cash: the date question; transfer / in kind: the reference question; else again."""
        pick = PickMethod.unpack(turn.payload)
        if pick is None:
            return Signal.REPEAT
        data.method = pick.method
        data.reference = data.goods = data.quantity = ""
        step = {"cash": LogStep.DATE, "transfer": LogStep.REFERENCE}.get(pick.method, LogStep.GOODS)
        return self._go(turn, step, data)

    async def on_reference(self, turn: Turn, data: LogData) -> StepResult:
        """Bank reference typed: the date question, or a warning if it is already recorded."""
        text = typed(turn).strip()
        if not text:
            return [self._prompt(turn, data)]
        data.reference = text
        found = await self.ledger.gifts_with_reference(data.ward, text)
        if found:
            data.duplicate_of = found[0].receipt
            self.go(turn, LogStep.DUPLICATE)
            return [self._duplicate_warning(turn, found[0]), self._prompt(turn, data)]
        return self._go(turn, LogStep.DATE, data)

    async def on_duplicate(self, turn: Turn, data: LogData) -> StepResult:
        """Go on (another gift): the date question; retype: the reference question again."""
        pick = DuplicateRef.unpack(turn.payload)
        if pick is None:
            return Signal.REPEAT
        if pick.answer == "no":
            data.reference = data.duplicate_of = ""
            return self._go(turn, LogStep.REFERENCE, data)
        return self._go(turn, LogStep.DATE, data)

    async def on_goods(self, turn: Turn, data: LogData) -> StepResult:
        """Goods typed: the quantity question."""
        text = typed(turn).strip()
        if not text:
            return [self._prompt(turn, data)]
        data.goods = text
        return self._go(turn, LogStep.QUANTITY, data)

    async def on_quantity(self, turn: Turn, data: LogData) -> StepResult:
        """Quantity typed: the date question."""
        text = typed(turn).strip()
        if not text:
            return [self._prompt(turn, data)]
        data.quantity = text
        return self._go(turn, LogStep.DATE, data)

    async def on_date(self, turn: Turn, data: LogData) -> StepResult:
        """A valid date: the consent question (the note one if anonymous); else why, and again."""
        day = self._day_given(turn)
        if day is None:
            return [turn.reply("donations.date_bad"), self._prompt(turn, data)]
        campaign = await self._campaign(turn, data)
        problem = _day_problem(turn, day, campaign)
        if problem is not None:
            return [problem, self._prompt(turn, data)]
        data.date = day.isoformat()
        if not data.donor_name:
            data.public = False
            return self._go(turn, LogStep.NOTE, data)
        return self._go(turn, LogStep.PUBLIC, data)

    async def on_public(self, turn: Turn, data: LogData) -> StepResult:
        """Consent given or refused: the note question; anything else: the two choices again."""
        pick = Consent.unpack(turn.payload)
        if pick is None:
            return Signal.REPEAT
        data.public = pick.public
        return self._go(turn, LogStep.NOTE, data)

    async def on_note(self, turn: Turn, data: LogData) -> StepResult:
        """Note typed or "Bỏ qua": the confirm screen; a stale button: the question again."""
        if SkipNote.unpack(turn.payload) is not None:
            data.note = ""
        elif text := typed(turn):
            if is_button_number(text):  # "1" was likely meant as button 1, "Bỏ qua"
                return [turn.reply("donations.gift.note_is_number"), self._prompt(turn, data)]
            data.note = text
        else:
            return [self._prompt(turn, data)]
        data.key = data.key or secrets.token_hex(12)
        return self._go(turn, LogStep.CONFIRM, data)

    async def on_confirm(self, turn: Turn, data: LogData) -> StepResult:
        """Confirmed: the receipt once committed; "Sửa": what to change; else the buttons."""
        if FixGift.unpack(turn.payload) is not None:
            return self._go(turn, LogStep.EDIT, data)
        if ConfirmGift.unpack(turn.payload) is None:
            return Signal.REPEAT
        return await self._record(turn, data)

    async def on_edit(self, turn: Turn, data: LogData) -> StepResult:
        """A part chosen: its question(s) again, then the confirm screen."""
        pick = EditGift.unpack(turn.payload)
        if pick is None or (pick.section == "public" and not data.donor_name):
            return Signal.REPEAT
        data.editing = pick.section
        return self._go(turn, _SECTION_STEPS[pick.section][0], data)

    async def on_done(self, turn: Turn, data: LogData) -> StepResult:
        """Confirm again: the same receipt; typed text: the flow ends, the Q&A answers it."""
        if ConfirmGift.unpack(turn.payload) is not None:
            return [turn.reply("donations.already_recorded", receipt=data.receipt)]
        turn.session.clear()
        if turn.payload is None:
            return Signal.UNHANDLED
        return [turn.reply("donations.flow_finished")]

    # Helpers.

    async def _campaign(self, turn: Turn, data: LogData) -> Campaign:
        return await require_campaign(turn, self.ledger, data.campaign)

    def _pick_campaign(self, turn: Turn, campaign: Campaign) -> list[Reply]:
        ward = campaign.ward_id or turn.user.ward_id
        if ward is None:
            raise UserFacingError("donations.need_ward")
        data = LogData(campaign=campaign.id, ward=ward, key=secrets.token_hex(12))
        self.enter(turn, LogStep.DONOR_TYPE, data)
        return [
            turn.reply("donations.campaign_chosen", name=campaign.name),
            self._prompt(turn, data),
        ]

    @staticmethod
    def _day_given(turn: Turn) -> date | None:
        pick = PickDay.unpack(turn.payload)
        if pick is not None:
            return turn.today - timedelta(days=0 if pick.day == "today" else 1)
        return parse_day(typed(turn), turn.today)

    def _take_name(self, turn: Turn, data: LogData, name: str) -> list[Reply]:
        data.donor_name, data.pending_name = name, ""
        if not name:
            data.public = False
        elif data.editing == "donor":  # a new name: ask the consent for it
            data.editing = "public"
            return self._go(turn, LogStep.PUBLIC, data)
        return self._go(turn, LogStep.AMOUNT, data)

    def _go(self, turn: Turn, step: LogStep, data: LogData) -> list[Reply]:
        """Moves to `step`; while changing one part, leaving that part goes to the confirm."""
        if data.editing and step not in _SECTION_STEPS[data.editing]:
            step = LogStep.CONFIRM
        if step == LogStep.CONFIRM:
            data.editing = ""
        self.go(turn, step)
        return [self._prompt(turn, data)]

    @staticmethod
    def _duplicate_warning(turn: Turn, entry: Entry) -> Reply:
        return turn.reply(
            "donations.gift.duplicate",
            reference=entry.reference,
            receipt=entry.receipt,
            amount=turn.money(entry.amount),
            day=turn.day(entry.donated_on),
        )

    def _prompt(self, turn: Turn, data: LogData) -> Reply:
        """The question of the current step."""
        ask = self._prompts.get(turn.session.step or "")
        return turn.reply("common.choose_above") if ask is None else ask(turn, data)

    # Questions, one per step.

    @staticmethod
    def _ask_donor_type(turn: Turn, data: LogData) -> Reply:
        choices = [
            PickDonorType(kind).choice(turn.t(f"donations.type.{kind}")) for kind in DONOR_TYPES
        ]
        return Reply(turn.t("donations.ask_donor_type"), (*choices, cancel_choice(turn)))

    @staticmethod
    def _ask_donor_name(turn: Turn, data: LogData) -> Reply:
        return Reply(
            turn.t("donations.ask_donor_name"),
            (Anonymous().choice(turn.t("donations.anonymous")), cancel_choice(turn)),
            expects_text=True,
        )

    @staticmethod
    def _ask_name_check(turn: Turn, data: LogData) -> Reply:
        return Reply(
            turn.t("donations.gift.name_is_number", text=data.pending_name),
            (
                Anonymous().choice(turn.t("donations.anonymous")),
                NameCheck().choice(turn.t("donations.gift.name_keep", text=data.pending_name)),
                cancel_choice(turn),
            ),
            expects_text=True,
        )

    @staticmethod
    def _ask_duplicate(turn: Turn, data: LogData) -> Reply:
        return Reply(
            turn.t("donations.gift.dup_question", receipt=data.duplicate_of),
            (
                DuplicateRef("yes").choice(turn.t("donations.gift.dup_yes")),
                DuplicateRef("no").choice(turn.t("donations.gift.dup_no")),
                cancel_choice(turn),
            ),
        )

    @staticmethod
    def _ask_goods(turn: Turn, data: LogData) -> Reply:
        return Reply(turn.t("donations.gift.ask_goods"), (cancel_choice(turn),), expects_text=True)

    @staticmethod
    def _ask_quantity(turn: Turn, data: LogData) -> Reply:
        return Reply(
            turn.t("donations.gift.ask_quantity"), (cancel_choice(turn),), expects_text=True
        )

    @staticmethod
    def _ask_edit(turn: Turn, data: LogData) -> Reply:
        sections = [s for s in GIFT_SECTIONS if s != "public" or data.donor_name]
        choices = [EditGift(s).choice(turn.t(f"donations.gift.section.{s}")) for s in sections]
        return Reply(turn.t("donations.gift.ask_edit"), (*choices, cancel_choice(turn)))

    @staticmethod
    def _ask_amount(turn: Turn, data: LogData) -> Reply:
        return Reply(turn.t("donations.ask_amount"), (cancel_choice(turn),), expects_text=True)

    @staticmethod
    def _ask_big_amount(turn: Turn, data: LogData) -> Reply:
        return Reply(
            turn.t("donations.ask_big_amount", amount=turn.money(data.amount)),
            (
                BigAmount("yes").choice(turn.t("donations.big_yes")),
                BigAmount("no").choice(turn.t("donations.big_no")),
                cancel_choice(turn),
            ),
        )

    @staticmethod
    def _ask_method(turn: Turn, data: LogData) -> Reply:
        choices = [PickMethod(m).choice(turn.t(f"donations.method.{m}")) for m in METHODS]
        return Reply(turn.t("donations.ask_method"), (*choices, cancel_choice(turn)))

    @staticmethod
    def _ask_reference(turn: Turn, data: LogData) -> Reply:
        return Reply(turn.t("donations.ask_bank_ref"), (cancel_choice(turn),), expects_text=True)

    @staticmethod
    def _ask_date(turn: Turn, data: LogData) -> Reply:
        return Reply(
            turn.t("donations.ask_date"),
            (
                PickDay("today").choice(turn.t("donations.today")),
                PickDay("yesterday").choice(turn.t("donations.yesterday")),
                cancel_choice(turn),
            ),
            expects_text=True,
        )

    @staticmethod
    def _ask_public(turn: Turn, data: LogData) -> Reply:
        return Reply(
            turn.t("donations.ask_public"),
            (
                Consent(True).choice(turn.t("donations.public_yes")),
                Consent(False).choice(turn.t("donations.public_no")),
                cancel_choice(turn),
            ),
        )

    @staticmethod
    def _ask_note(turn: Turn, data: LogData) -> Reply:
        return Reply(
            turn.t("donations.ask_note"),
            (SkipNote().choice(turn.t("common.skip")), cancel_choice(turn)),
            expects_text=True,
        )

    def _ask_confirm(self, turn: Turn, data: LogData) -> Reply:
        return Reply(
            self.summary(turn, data),
            (
                ConfirmGift().choice(turn.t("common.confirm")),
                FixGift().choice(turn.t("donations.gift.fix")),
                cancel_choice(turn),
            ),
        )

    def summary(self, turn: Turn, data: LogData) -> str:
        """The confirmation screen's text."""
        return turn.t(
            "donations.confirm_text",
            donor_type=turn.t(f"donations.type.{data.donor_type}"),
            donor=data.donor_name or turn.t("donations.anonymous"),
            amount=turn.money(data.amount),
            method=turn.t(f"donations.method.{data.method}"),
            detail=_detail(turn, data),
            day=turn.day(date.fromisoformat(data.date)),
            public=turn.t("common.yes" if data.public else "common.no"),
            note=data.note or "—",
        )

    async def _record(self, turn: Turn, data: LogData) -> list[Reply]:
        """Appends the entry (once per idempotency key) and shows the receipt."""
        turn.require_staff(data.ward)
        campaign = await self._campaign(turn, data)
        new = NewEntry(
            campaign_id=campaign.id,
            ward_id=data.ward,
            donor_type=data.donor_type,
            donor_name=data.donor_name,
            public=data.public,
            amount=data.amount,
            method=data.method,
            reference=data.reference,
            donated_on=date.fromisoformat(data.date),
            note=data.note,
            recorded_by=turn.user.id,
            idempotency_key=data.key or None,
            goods=data.goods,
            quantity=data.quantity,
        )
        try:
            entry = await self.ledger.append(new, now=turn.now)
        except LedgerError as exc:
            raise UserFacingError(f"donations.ledger.{exc.code}") from None
        # The donor's details leave the session; the receipt stays for a second tap.
        self.enter(turn, LogStep.DONE, LogData(campaign=campaign.id, receipt=entry.receipt))
        raised = await self.ledger.total(campaign.id)
        shown = {
            "receipt": entry.receipt,
            "amount": turn.money(entry.amount),
            "campaign": campaign.name,
            "day": turn.day(entry.donated_on),
        }
        goods = (
            turn.t("donations.gift.goods_line", goods=entry.goods, quantity=entry.quantity or "—")
            if entry.goods
            else ""
        )
        recorded = turn.t(
            "donations.recorded",
            raised=turn.money(raised),
            target=turn.money(campaign.target),
            **shown,
        )
        if goods:
            recorded += "\n" + turn.t(
                "donations.gift.lookup_goods", goods=entry.goods, quantity=entry.quantity or "—"
            )
        return [Reply(recorded), turn.reply("donations.receipt_message", goods=goods, **shown)]


def _detail(turn: Turn, data: LogData) -> str:
    """The confirm screen's detail: the bank reference, or the goods and their quantity."""
    if data.goods:
        return turn.t("donations.gift.detail_goods", goods=data.goods, quantity=data.quantity)
    return data.reference or "—"


def _day_problem(turn: Turn, day: date, campaign: Campaign) -> Reply | None:
    """Why a gift cannot be dated `day` (in the future, before the campaign), or None."""
    problem = check_gift_day(day, turn.today, campaign)
    return None if problem is None else Reply(problem.text(turn.t))
