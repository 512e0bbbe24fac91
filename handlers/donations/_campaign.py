"""Creating a campaign (payload prefix `camp`); see `campaign.mmd`.

Officers create campaigns for their own ward (xã, phường or đặc khu); admins may also create
one for the whole province of their ward (ward left empty, the province's code kept). Since
01/07/2025 there is no district level, so no campaign is "district-wide".
"""

from __future__ import annotations

from datetime import date

from bot.core.errors import UserFacingError
from bot.core.registry import STAFF
from bot.core.turn import Turn
from bot.core.types import Choice, Reply, Role
from handlers.donations._dates import parse_day
from handlers.donations._flow import MAX_TEXT, cancel, read_amount
from handlers.donations._steps import CampaignStep
from storage.ledger import FUNDS, Ledger, LedgerError


class CampaignFlow:
    """Name → fund → scope (admins) → target → start → end → confirm."""

    name = "camp"
    roles = STAFF

    def __init__(self, ledger: Ledger) -> None:
        self.ledger = ledger

    async def start(self, turn: Turn) -> list[Reply]:
        """Asks the campaign name."""
        turn.require_staff()
        ward = await turn.services.users.ward(turn.user.ward_id) if turn.user.ward_id else None
        turn.session.enter(
            self.name,
            CampaignStep.NAME,
            {
                "ward_name": ward.name if ward else "",
                "province": ward.province if ward else "",
                "province_code": ward.province_code if ward else "",
            },
        )
        return [self.prompt(turn)]

    @staticmethod
    def _province_label(turn: Turn) -> str:
        province = str(turn.session.data.get("province", ""))
        if province:
            return turn.t("donations.camp_scope_province", province=province)
        return turn.t("donations.camp_scope_all")

    def prompt(self, turn: Turn) -> Reply:
        """The question of the current step."""
        step = turn.session.step
        data = turn.session.data
        if step == CampaignStep.NAME:
            return Reply(turn.t("donations.camp_ask_name"), (cancel(turn),), expects_text=True)
        if step == CampaignStep.FUND:
            choices = [turn.choice(f"donations.fund.{fund}", f"camp:f:{fund}") for fund in FUNDS]
            return Reply(turn.t("donations.camp_ask_fund"), (*choices, cancel(turn)))
        if step == CampaignStep.SCOPE:
            choices = [Choice(self._province_label(turn), "camp:s:province")]
            if turn.user.ward_id:
                choices.insert(0, turn.choice("donations.camp_scope_ward", "camp:s:ward"))
            return Reply(turn.t("donations.camp_ask_scope"), (*choices, cancel(turn)))
        if step == CampaignStep.TARGET:
            return Reply(turn.t("donations.camp_ask_target"), (cancel(turn),), expects_text=True)
        if step == CampaignStep.START:
            return Reply(turn.t("donations.camp_ask_start"), (cancel(turn),), expects_text=True)
        if step == CampaignStep.END:
            return Reply(turn.t("donations.camp_ask_end"), (cancel(turn),), expects_text=True)
        if step == CampaignStep.CONFIRM:
            scope = (
                self._province_label(turn)
                if data.get("ward") is None
                else str(data.get("ward_name") or data["ward"])
            )
            return Reply(
                turn.t(
                    "donations.camp_confirm",
                    name=data["name"],
                    fund=turn.t(f"donations.fund.{data['fund']}"),
                    scope=scope,
                    target=turn.money(int(data["target"])),
                    start=turn.day(date.fromisoformat(data["start"])),
                    end=turn.day(date.fromisoformat(data["end"])),
                ),
                (turn.choice("common.confirm", "camp:ok"), cancel(turn)),
            )
        return turn.reply("common.choose_above")

    async def handle(self, turn: Turn) -> list[Reply]:
        """Handles the answer to the current step."""
        turn.require_staff()
        session = turn.session
        data = session.data
        step = session.step
        payload = turn.payload or ""
        text = turn.text[:MAX_TEXT]
        if step == CampaignStep.NAME:
            if not text or payload:
                return [self.prompt(turn)]
            data["name"] = text
            return self._go(turn, CampaignStep.FUND)
        if step == CampaignStep.FUND:
            fund = payload.removeprefix("camp:f:")
            if fund not in FUNDS:
                return [self.prompt(turn)]
            data["fund"] = fund
            if turn.user.role is Role.ADMIN:
                return self._go(turn, CampaignStep.SCOPE)
            data["ward"] = turn.user.ward_id
            return self._go(turn, CampaignStep.TARGET)
        if step == CampaignStep.SCOPE:
            turn.require_staff(None)
            if payload == "camp:s:province" and turn.user.role is Role.ADMIN:
                data["ward"] = None
            elif payload == "camp:s:ward" and turn.user.ward_id:
                data["ward"] = turn.user.ward_id
            else:
                return [self.prompt(turn)]
            return self._go(turn, CampaignStep.TARGET)
        if step == CampaignStep.TARGET:
            try:
                data["target"] = read_amount(turn, text)
            except UserFacingError as exc:
                return [Reply(turn.t(exc.key, **exc.params)), self.prompt(turn)]
            return self._go(turn, CampaignStep.START)
        if step in (CampaignStep.START, CampaignStep.END):
            day = parse_day(text, turn.today)
            if day is None:
                return [turn.reply("donations.date_bad"), self.prompt(turn)]
            if step == CampaignStep.START:
                data["start"] = day.isoformat()
                return self._go(turn, CampaignStep.END)
            if day < date.fromisoformat(data["start"]):
                return [turn.reply("donations.camp_end_before_start"), self.prompt(turn)]
            data["end"] = day.isoformat()
            return self._go(turn, CampaignStep.CONFIRM)
        if step == CampaignStep.CONFIRM:
            if payload != "camp:ok":
                return [self.prompt(turn)]
            ward = data.get("ward")
            if ward is None and turn.user.role is not Role.ADMIN:
                raise UserFacingError("error.permission")
            turn.require_staff(ward)
            try:
                campaign = await self.ledger.create_campaign(
                    ward_id=ward,
                    name=str(data["name"]),
                    fund=str(data["fund"]),
                    target=int(data["target"]),
                    starts_on=date.fromisoformat(data["start"]),
                    ends_on=date.fromisoformat(data["end"]),
                    created_by=turn.user.id,
                    now=turn.now,
                    province_code=(str(data.get("province_code") or "") or None)
                    if ward is None
                    else None,
                )
            except LedgerError as exc:
                raise UserFacingError(f"donations.ledger.{exc.code}") from None
            session.clear()
            return [turn.reply("donations.camp_created", name=campaign.name, id=campaign.id)]
        session.clear()
        return [turn.reply("donations.flow_finished")]

    def _go(self, turn: Turn, step: CampaignStep) -> list[Reply]:
        turn.session.step = step
        return [self.prompt(turn)]
