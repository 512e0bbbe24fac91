"""The guided flow an officer uses to log a gift (payload prefix `don`); see `flow.mmd`.

Every step re-checks on the server that the user is staff of the campaign's ward. The confirm
step carries an idempotency key stored in the session, so a double tap records one entry; the
receipt is shown only after the entry's transaction committed.
"""

from __future__ import annotations

import secrets
from datetime import date
from typing import Any

from bot.core.errors import UserFacingError
from bot.core.registry import STAFF
from bot.core.turn import Turn
from bot.core.types import Choice, Reply
from handlers.donations._dates import parse_day
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


def cancel(turn: Turn) -> Choice:
    """The universal Cancel button (back to the main menu)."""
    return turn.choice("common.cancel", "menu:main")


def read_amount(turn: Turn, text: str) -> int:
    """An amount of đồng typed by an officer, within 1.000 ₫ – 100 tỷ ₫."""
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
    """The campaign with that id if the user is staff of its ward (ids come from payloads)."""
    try:
        number = int(str(campaign_id))
    except ValueError:
        raise UserFacingError("donations.campaign_missing") from None
    campaign = await ledger.campaign(number)
    if campaign is None:
        raise UserFacingError("donations.campaign_missing")
    turn.require_staff(campaign.ward_id)
    return campaign


class LogFlow:
    """Logging one gift: campaign → donor → amount → method → date → consent → note → confirm."""

    name = "don"
    roles = STAFF

    def __init__(self, ledger: Ledger) -> None:
        self.ledger = ledger

    async def start(self, turn: Turn) -> list[Reply]:
        """Enters the flow; skips the campaign question when exactly one campaign is open."""
        turn.require_staff()
        turn.session.clear()
        campaigns = await self.ledger.open_campaigns(ward_id=turn.user.ward_id, day=turn.today)
        if not campaigns:
            return [turn.reply("donations.no_open_campaign")]
        turn.session.enter(self.name, LogStep.CAMPAIGN)
        if len(campaigns) == 1:
            return await self._pick_campaign(turn, campaigns[0])
        choices = [Choice(c.name, f"don:c:{c.id}") for c in campaigns]
        return [Reply(turn.t("donations.ask_campaign"), (*choices, cancel(turn)))]

    async def _pick_campaign(self, turn: Turn, campaign: Campaign) -> list[Reply]:
        ward = campaign.ward_id or turn.user.ward_id
        if ward is None:
            raise UserFacingError("donations.need_ward")
        turn.session.enter(self.name, LogStep.DONOR_TYPE, {"campaign": campaign.id, "ward": ward})
        return [turn.reply("donations.campaign_chosen", name=campaign.name), self.prompt(turn)]

    def prompt(self, turn: Turn) -> Reply:
        """The question of the current step."""
        step = turn.session.step
        data = turn.session.data
        if step == LogStep.DONOR_TYPE:
            choices = [
                turn.choice(f"donations.type.{kind}", f"don:t:{kind}") for kind in DONOR_TYPES
            ]
            return Reply(turn.t("donations.ask_donor_type"), (*choices, cancel(turn)))
        if step == LogStep.DONOR_NAME:
            return Reply(
                turn.t("donations.ask_donor_name"),
                (turn.choice("donations.anonymous", "don:anon"), cancel(turn)),
                expects_text=True,
            )
        if step == LogStep.AMOUNT:
            return Reply(turn.t("donations.ask_amount"), (cancel(turn),), expects_text=True)
        if step == LogStep.AMOUNT_CONFIRM:
            return Reply(
                turn.t("donations.ask_big_amount", amount=turn.money(int(data["amount"]))),
                (
                    turn.choice("donations.big_yes", "don:big:yes"),
                    turn.choice("donations.big_no", "don:big:no"),
                    cancel(turn),
                ),
            )
        if step == LogStep.METHOD:
            choices = [turn.choice(f"donations.method.{m}", f"don:m:{m}") for m in METHODS]
            return Reply(turn.t("donations.ask_method"), (*choices, cancel(turn)))
        if step == LogStep.REFERENCE:
            key = (
                "donations.ask_bank_ref"
                if data.get("method") == "transfer"
                else "donations.ask_goods"
            )
            return Reply(turn.t(key), (cancel(turn),), expects_text=True)
        if step == LogStep.DATE:
            return Reply(
                turn.t("donations.ask_date"),
                (
                    turn.choice("donations.today", "don:d:today"),
                    turn.choice("donations.yesterday", "don:d:yesterday"),
                    cancel(turn),
                ),
                expects_text=True,
            )
        if step == LogStep.PUBLIC:
            return Reply(
                turn.t("donations.ask_public"),
                (
                    turn.choice("donations.public_yes", "don:p:1"),
                    turn.choice("donations.public_no", "don:p:0"),
                    cancel(turn),
                ),
            )
        if step == LogStep.NOTE:
            return Reply(
                turn.t("donations.ask_note"),
                (turn.choice("common.skip", "don:note:skip"), cancel(turn)),
                expects_text=True,
            )
        if step == LogStep.CONFIRM:
            return Reply(
                self.summary(turn, data),
                (turn.choice("common.confirm", "don:ok"), cancel(turn)),
            )
        return turn.reply("common.choose_above")

    def summary(self, turn: Turn, data: dict[str, Any]) -> str:
        """The confirmation screen's text."""
        name = data.get("donor_name") or turn.t("donations.anonymous")
        detail = str(data.get("reference", ""))
        return turn.t(
            "donations.confirm_text",
            donor_type=turn.t(f"donations.type.{data['donor_type']}"),
            donor=name,
            amount=turn.money(int(data["amount"])),
            method=turn.t(f"donations.method.{data['method']}"),
            detail=detail or "—",
            day=turn.day(date.fromisoformat(data["date"])),
            public=turn.t("common.yes" if data.get("public") else "common.no"),
            note=data.get("note") or "—",
        )

    async def handle(self, turn: Turn) -> list[Reply]:
        """Handles the answer to the current step."""
        turn.require_staff()
        session = turn.session
        step = session.step
        payload = turn.payload or ""
        text = turn.text[:MAX_TEXT]
        data = session.data
        if step == LogStep.CAMPAIGN:
            if payload.startswith("don:c:"):
                campaign = await require_campaign(turn, self.ledger, payload.removeprefix("don:c:"))
                if not campaign.is_open(turn.today):
                    raise UserFacingError("donations.campaign_closed")
                return await self._pick_campaign(turn, campaign)
            return [turn.reply("common.choose_above")]
        if step == LogStep.DONE:
            if payload == "don:ok":
                return [turn.reply("donations.already_recorded", receipt=data.get("receipt", ""))]
            session.clear()
            return [turn.reply("donations.flow_finished")]
        campaign = await require_campaign(turn, self.ledger, data.get("campaign"))
        if step == LogStep.DONOR_TYPE:
            kind = payload.removeprefix("don:t:")
            if kind not in DONOR_TYPES:
                return [turn.reply("common.choose_above"), self.prompt(turn)]
            data["donor_type"] = kind
            return self._go(turn, LogStep.DONOR_NAME)
        if step == LogStep.DONOR_NAME:
            if payload == "don:anon":
                data["donor_name"] = ""
                data["public"] = False
                return self._go(turn, LogStep.AMOUNT)
            if not text or payload:
                return [self.prompt(turn)]
            data["donor_name"] = text
            return self._go(turn, LogStep.AMOUNT)
        if step == LogStep.AMOUNT:
            if not text:
                return [self.prompt(turn)]
            try:
                amount = read_amount(turn, text)
            except UserFacingError as exc:
                return [Reply(turn.t(exc.key, **exc.params)), self.prompt(turn)]
            data["amount"] = amount
            return self._go(
                turn, LogStep.AMOUNT_CONFIRM if amount >= BIG_AMOUNT else LogStep.METHOD
            )
        if step == LogStep.AMOUNT_CONFIRM:
            if payload == "don:big:yes":
                return self._go(turn, LogStep.METHOD)
            if payload == "don:big:no":
                data.pop("amount", None)
                return self._go(turn, LogStep.AMOUNT)
            return [self.prompt(turn)]
        if step == LogStep.METHOD:
            method = payload.removeprefix("don:m:")
            if method not in METHODS:
                return [turn.reply("common.choose_above"), self.prompt(turn)]
            data["method"] = method
            data["reference"] = ""
            return self._go(turn, LogStep.DATE if method == "cash" else LogStep.REFERENCE)
        if step == LogStep.REFERENCE:
            if not text or payload:
                return [self.prompt(turn)]
            data["reference"] = text
            return self._go(turn, LogStep.DATE)
        if step == LogStep.DATE:
            if payload == "don:d:today":
                text = "hôm nay"
            elif payload == "don:d:yesterday":
                text = "hôm qua"
            day = parse_day(text, turn.today)
            if day is None:
                return [turn.reply("donations.date_bad"), self.prompt(turn)]
            if day > turn.today:
                return [turn.reply("donations.date_future"), self.prompt(turn)]
            if day < campaign.starts_on:
                return [
                    turn.reply("donations.date_before_start", start=turn.day(campaign.starts_on)),
                    self.prompt(turn),
                ]
            data["date"] = day.isoformat()
            if not data.get("donor_name"):
                data["public"] = False
                return self._go(turn, LogStep.NOTE)
            return self._go(turn, LogStep.PUBLIC)
        if step == LogStep.PUBLIC:
            if payload not in ("don:p:1", "don:p:0"):
                return [self.prompt(turn)]
            data["public"] = payload == "don:p:1"
            return self._go(turn, LogStep.NOTE)
        if step == LogStep.NOTE:
            if payload == "don:note:skip":
                data["note"] = ""
            elif text and not payload:
                data["note"] = text
            else:
                return [self.prompt(turn)]
            data["key"] = secrets.token_hex(12)
            return self._go(turn, LogStep.CONFIRM)
        if step == LogStep.CONFIRM:
            if payload != "don:ok":
                return [self.prompt(turn)]
            return await self._record(turn, campaign)
        session.clear()
        return [turn.reply("donations.flow_finished")]

    def _go(self, turn: Turn, step: LogStep) -> list[Reply]:
        turn.session.step = step
        return [self.prompt(turn)]

    async def _record(self, turn: Turn, campaign: Campaign) -> list[Reply]:
        data = turn.session.data
        ward = str(data["ward"])
        turn.require_staff(ward)
        new = NewEntry(
            campaign_id=campaign.id,
            ward_id=ward,
            donor_type=str(data["donor_type"]),
            donor_name=str(data.get("donor_name", "")),
            public=bool(data.get("public")),
            amount=int(data["amount"]),
            method=str(data["method"]),
            reference=str(data.get("reference", "")),
            donated_on=date.fromisoformat(str(data["date"])),
            note=str(data.get("note", "")),
            recorded_by=turn.user.id,
            idempotency_key=str(data["key"]),
        )
        try:
            entry = await self.ledger.append(new, now=turn.now)
        except LedgerError as exc:
            raise UserFacingError(f"donations.ledger.{exc.code}") from None
        turn.session.step = LogStep.DONE
        turn.session.data = {"receipt": entry.receipt, "campaign": campaign.id}
        raised = await self.ledger.total(campaign.id)
        return [
            turn.reply(
                "donations.recorded",
                receipt=entry.receipt,
                amount=turn.money(entry.amount),
                campaign=campaign.name,
                day=turn.day(entry.donated_on),
                raised=turn.money(raised),
                target=turn.money(campaign.target),
            ),
            turn.reply(
                "donations.receipt_message",
                receipt=entry.receipt,
                amount=turn.money(entry.amount),
                campaign=campaign.name,
                day=turn.day(entry.donated_on),
            ),
        ]
