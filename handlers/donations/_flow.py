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
    Anonymous,
    BigAmount,
    ConfirmGift,
    Consent,
    PickCampaign,
    PickDay,
    PickDonorType,
    PickMethod,
    SkipNote,
)
from handlers.donations._steps import LogStep
from knowledge.money import parse_money
from storage.ledger import (
    DONOR_TYPES,
    MAX_AMOUNT,
    METHODS,
    MIN_AMOUNT,
    Campaign,
    Ledger,
    LedgerError,
    NewEntry,
)

BIG_AMOUNT = 1_000_000_000
MAX_TEXT = 200


def read_amount(turn: Turn, text: str) -> int:
    """An amount of đồng typed by an officer, within 1.000 ₫ – 100 tỷ ₫.

    Raises:
        UserFacingError: the text is not an amount, is ambiguous or is out of range.
    """
    parsed = parse_money(text)
    if parsed.amount is None:
        key = (
            "donations.amount_ambiguous"
            if parsed.problem == "ambiguous"
            else "donations.amount_bad"
        )
        raise UserFacingError(key)
    if not MIN_AMOUNT <= parsed.amount <= MAX_AMOUNT:
        raise UserFacingError(
            "donations.amount_range", low=turn.money(MIN_AMOUNT), high=turn.money(MAX_AMOUNT)
        )
    return parsed.amount


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
    """The idempotency key of the entry, made when the confirm screen is shown."""
    receipt: str = ""
    """The receipt number, once recorded (step DONE)."""


Prompt = Callable[[Turn, LogData], Reply]

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
            LogStep.AMOUNT: self.on_amount,
            LogStep.AMOUNT_CONFIRM: self.on_amount_confirm,
            LogStep.METHOD: self.on_method,
            LogStep.REFERENCE: self.on_reference,
            LogStep.DATE: self.on_date,
            LogStep.PUBLIC: self.on_public,
            LogStep.NOTE: self.on_note,
            LogStep.CONFIRM: self.on_confirm,
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
        """Name typed or "Ẩn danh": the amount question; a stale button: the question again."""
        if Anonymous.unpack(turn.payload) is not None:
            data.donor_name = ""
            data.public = False
            return self._go(turn, LogStep.AMOUNT, data)
        name = typed(turn)
        if not name:
            return [self._prompt(turn, data)]
        data.donor_name = name
        return self._go(turn, LogStep.AMOUNT, data)

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
        data.reference = ""
        step = LogStep.DATE if pick.method == "cash" else LogStep.REFERENCE
        return self._go(turn, step, data)

    async def on_reference(self, turn: Turn, data: LogData) -> StepResult:
        """Bank reference or goods typed: the date question; a stale button: the question."""
        text = typed(turn)
        if not text:
            return [self._prompt(turn, data)]
        data.reference = text
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
            data.note = text
        else:
            return [self._prompt(turn, data)]
        data.key = secrets.token_hex(12)
        return self._go(turn, LogStep.CONFIRM, data)

    async def on_confirm(self, turn: Turn, data: LogData) -> StepResult:
        """Confirmed: the receipt once committed; anything else: the buttons again."""
        if ConfirmGift.unpack(turn.payload) is None:
            return Signal.REPEAT
        return await self._record(turn, data)

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
        data = LogData(campaign=campaign.id, ward=ward)
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

    def _go(self, turn: Turn, step: LogStep, data: LogData) -> list[Reply]:
        self.go(turn, step)
        return [self._prompt(turn, data)]

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
        key = "donations.ask_bank_ref" if data.method == "transfer" else "donations.ask_goods"
        return Reply(turn.t(key), (cancel_choice(turn),), expects_text=True)

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
            (ConfirmGift().choice(turn.t("common.confirm")), cancel_choice(turn)),
        )

    def summary(self, turn: Turn, data: LogData) -> str:
        """The confirmation screen's text."""
        return turn.t(
            "donations.confirm_text",
            donor_type=turn.t(f"donations.type.{data.donor_type}"),
            donor=data.donor_name or turn.t("donations.anonymous"),
            amount=turn.money(data.amount),
            method=turn.t(f"donations.method.{data.method}"),
            detail=data.reference or "—",
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
            idempotency_key=data.key,
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
        return [
            turn.reply(
                "donations.recorded",
                raised=turn.money(raised),
                target=turn.money(campaign.target),
                **shown,
            ),
            turn.reply("donations.receipt_message", **shown),
        ]


def _day_problem(turn: Turn, day: date, campaign: Campaign) -> Reply | None:
    """Why a gift cannot be dated `day` (in the future, before the campaign), or None."""
    if day > turn.today:
        return turn.reply("donations.date_future")
    if day < campaign.starts_on:
        return turn.reply("donations.date_before_start", start=turn.day(campaign.starts_on))
    return None
