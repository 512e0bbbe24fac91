"""Creating a campaign (payload prefix `camp`); see `campaign.mmd`.

Officers create campaigns for their own ward (xã, phường or đặc khu); admins may also create
one for the whole province of their ward (ward left empty, the province's code kept). Since
01/07/2025 there is no district level, so no campaign is "district-wide".
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date

from bot.core.errors import UserFacingError
from bot.core.flow import FlowData, Signal, StepFlow, StepHandler, StepResult, cancel_choice
from bot.core.registry import STAFF
from bot.core.turn import Turn
from bot.core.types import Reply, Role
from handlers.donations._dates import parse_day
from handlers.donations._flow import read_amount, typed
from handlers.donations._payloads import ConfirmCampaign, PickFund, PickScope
from handlers.donations._steps import CampaignStep
from storage.ledger import FUNDS, Campaign, Ledger, LedgerError


@dataclass
class CampaignData(FlowData):
    """The campaign being created (stored in the session between steps)."""

    ward_name: str = ""
    """The name of the creator's ward, shown on the confirm screen."""
    province: str = ""
    """The name of the creator's province, for the "whole province" choice."""
    province_code: str = ""
    name: str = ""
    fund: str = ""
    ward: str | None = None
    """The campaign's ward; None for a province-wide campaign (admins only)."""
    target: int = 0
    start: str = ""
    end: str = ""


Prompt = Callable[[Turn, CampaignData], Reply]


def _province_label(turn: Turn, data: CampaignData) -> str:
    """The "whole province" label: "Toàn <province>", or "all" when the ward has none."""
    if data.province:
        return turn.t("donations.camp_scope_province", province=data.province)
    return turn.t("donations.camp_scope_all")


class CampaignFlow(StepFlow[CampaignData]):
    """Name → fund → scope (admins) → target → start → end → confirm."""

    name = "camp"
    roles = STAFF
    data_type = CampaignData

    def __init__(self, ledger: Ledger) -> None:
        self.ledger = ledger
        self._prompts: Mapping[str, Prompt] = {
            CampaignStep.NAME: self._ask_text("donations.camp_ask_name"),
            CampaignStep.FUND: self._ask_fund,
            CampaignStep.SCOPE: self._ask_scope,
            CampaignStep.TARGET: self._ask_text("donations.camp_ask_target"),
            CampaignStep.START: self._ask_text("donations.camp_ask_start"),
            CampaignStep.END: self._ask_text("donations.camp_ask_end"),
            CampaignStep.CONFIRM: self._ask_confirm,
        }

    def steps(self) -> Mapping[str, StepHandler]:
        """The step table (see `campaign.mmd`)."""
        return {
            CampaignStep.NAME: self.on_name,
            CampaignStep.FUND: self.on_fund,
            CampaignStep.SCOPE: self.on_scope,
            CampaignStep.TARGET: self.on_target,
            CampaignStep.START: self.on_start,
            CampaignStep.END: self.on_end,
            CampaignStep.CONFIRM: self.on_confirm,
        }

    async def start(self, turn: Turn) -> list[Reply]:
        """Asks the campaign name."""
        turn.require_staff()
        ward = await turn.services.users.ward(turn.user.ward_id) if turn.user.ward_id else None
        data = CampaignData()
        if ward is not None:
            data = CampaignData(
                ward_name=ward.name, province=ward.province, province_code=ward.province_code
            )
        self.enter(turn, CampaignStep.NAME, data)
        return [self._prompt(turn, data)]

    async def handle(self, turn: Turn) -> StepResult:
        """Checks the user is staff, then runs the step."""
        turn.require_staff()
        return await super().handle(turn)

    # Steps. Each docstring says what the user sees after their input.

    async def on_name(self, turn: Turn, data: CampaignData) -> StepResult:
        """Name typed: the fund question; a stale button: the question again."""
        name = typed(turn)
        if not name:
            return [self._prompt(turn, data)]
        data.name = name
        return self._go(turn, CampaignStep.FUND, data)

    async def on_fund(self, turn: Turn, data: CampaignData) -> StepResult:
        """Fund chosen: the scope question (admins) or the target one; else the funds again."""
        pick = PickFund.unpack(turn.payload)
        if pick is None:
            return Signal.REPEAT
        data.fund = pick.fund
        if turn.user.role is Role.ADMIN:
            return self._go(turn, CampaignStep.SCOPE, data)
        data.ward = turn.user.ward_id
        return self._go(turn, CampaignStep.TARGET, data)

    async def on_scope(self, turn: Turn, data: CampaignData) -> StepResult:
        """Ward or whole province chosen: the target question; else the choices again."""
        turn.require_staff(None)
        pick = PickScope.unpack(turn.payload)
        if pick is not None and pick.scope == "province" and turn.user.role is Role.ADMIN:
            data.ward = None
        elif pick is not None and pick.scope == "ward" and turn.user.ward_id:
            data.ward = turn.user.ward_id
        else:
            return Signal.REPEAT
        return self._go(turn, CampaignStep.TARGET, data)

    async def on_target(self, turn: Turn, data: CampaignData) -> StepResult:
        """Amount typed: the start-date question; else why, and the question again."""
        text = typed(turn)
        if not text:
            return [self._prompt(turn, data)]
        try:
            data.target = read_amount(turn, text)
        except UserFacingError as exc:
            return [Reply(turn.t(exc.key, **exc.params)), self._prompt(turn, data)]
        return self._go(turn, CampaignStep.START, data)

    async def on_start(self, turn: Turn, data: CampaignData) -> StepResult:
        """A valid date: the end-date question; else "chưa đúng" and the question again."""
        text = typed(turn)
        if not text:
            return [self._prompt(turn, data)]
        day = parse_day(text, turn.today)
        if day is None:
            return [turn.reply("donations.date_bad"), self._prompt(turn, data)]
        data.start = day.isoformat()
        return self._go(turn, CampaignStep.END, data)

    async def on_end(self, turn: Turn, data: CampaignData) -> StepResult:
        """A date from the start on: the confirm screen; else why, and the question again."""
        text = typed(turn)
        if not text:
            return [self._prompt(turn, data)]
        day = parse_day(text, turn.today)
        if day is None:
            return [turn.reply("donations.date_bad"), self._prompt(turn, data)]
        if day < date.fromisoformat(data.start):
            return [turn.reply("donations.camp_end_before_start"), self._prompt(turn, data)]
        data.end = day.isoformat()
        return self._go(turn, CampaignStep.CONFIRM, data)

    async def on_confirm(self, turn: Turn, data: CampaignData) -> StepResult:
        """Confirmed: "Đã tạo" with the campaign's number; anything else: the buttons again."""
        if ConfirmCampaign.unpack(turn.payload) is None:
            return Signal.REPEAT
        if data.ward is None and turn.user.role is not Role.ADMIN:
            raise UserFacingError("error.permission")
        turn.require_staff(data.ward)
        campaign = await self._create(turn, data)
        turn.session.clear()
        return [turn.reply("donations.camp_created", name=campaign.name, id=campaign.id)]

    # Helpers.

    async def _create(self, turn: Turn, data: CampaignData) -> Campaign:
        province_code = (data.province_code or None) if data.ward is None else None
        try:
            return await self.ledger.create_campaign(
                ward_id=data.ward,
                name=data.name,
                fund=data.fund,
                target=data.target,
                starts_on=date.fromisoformat(data.start),
                ends_on=date.fromisoformat(data.end),
                created_by=turn.user.id,
                now=turn.now,
                province_code=province_code,
            )
        except LedgerError as exc:
            raise UserFacingError(f"donations.ledger.{exc.code}") from None

    def _go(self, turn: Turn, step: CampaignStep, data: CampaignData) -> list[Reply]:
        self.go(turn, step)
        return [self._prompt(turn, data)]

    def _prompt(self, turn: Turn, data: CampaignData) -> Reply:
        """The question of the current step."""
        ask = self._prompts.get(turn.session.step or "")
        return turn.reply("common.choose_above") if ask is None else ask(turn, data)

    # Questions, one per step.

    @staticmethod
    def _ask_text(key: str) -> Prompt:
        """A question answered by typing, with only the cancel button."""

        def ask(turn: Turn, data: CampaignData) -> Reply:
            return Reply(turn.t(key), (cancel_choice(turn),), expects_text=True)

        return ask

    @staticmethod
    def _ask_fund(turn: Turn, data: CampaignData) -> Reply:
        choices = [PickFund(fund).choice(turn.t(f"donations.fund.{fund}")) for fund in FUNDS]
        return Reply(turn.t("donations.camp_ask_fund"), (*choices, cancel_choice(turn)))

    @staticmethod
    def _ask_scope(turn: Turn, data: CampaignData) -> Reply:
        choices = [PickScope("province").choice(_province_label(turn, data))]
        if turn.user.ward_id:
            choices.insert(0, PickScope("ward").choice(turn.t("donations.camp_scope_ward")))
        return Reply(turn.t("donations.camp_ask_scope"), (*choices, cancel_choice(turn)))

    @staticmethod
    def _ask_confirm(turn: Turn, data: CampaignData) -> Reply:
        scope = _province_label(turn, data) if data.ward is None else data.ward_name or data.ward
        return Reply(
            turn.t(
                "donations.camp_confirm",
                name=data.name,
                fund=turn.t(f"donations.fund.{data.fund}"),
                scope=scope,
                target=turn.money(data.target),
                start=turn.day(date.fromisoformat(data.start)),
                end=turn.day(date.fromisoformat(data.end)),
            ),
            (ConfirmCampaign().choice(turn.t("common.confirm")), cancel_choice(turn)),
        )
