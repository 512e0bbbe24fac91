"""A campaign's receiving account (``/taikhoan``, flow ``acct``) and its VietQR for donors.

Officers give a campaign of their ward a receiving account: campaign → bank (a button for the
common banks, or the 6-digit NAPAS BIN typed) → account number → account name → confirm. The
campaign then has a transfer reference (``GN12``) that every QR note carries, so its statement
lines can be matched (``_import.py``). Anyone can ask ``/ungho`` (optionally with an amount:
``/ungho 500000``) and gets the QR code as a picture with the account in words; officers get a
printable A4 poster (``bq:poster:<id>``).

```mermaid
stateDiagram-v2
    [*] --> campaign: /taikhoan
    campaign --> bank: a campaign of the ward
    bank --> number: a bank button or a 6-digit BIN
    number --> name: 1-19 digits
    name --> confirm: the account holder's name
    confirm --> [*]: Xác nhận (saved once, the QR shown)
```
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
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
from bot.core.types import Attachment, Reply, Role
from handlers.donations._flow import read_amount, require_campaign, typed
from handlers.donations._qr import poster_pdf, qr_png
from handlers.donations._vietqr import fold_note, payload
from knowledge.text import strip_diacritics
from storage.bank import Account, BankStore
from storage.ledger import Campaign, Ledger

__all__ = ["BANKS", "AccountFlow", "DonorQR", "bank_label"]

MAX_ID = 10**12
BANKS: Mapping[str, str] = {
    "970436": "Vietcombank",
    "970415": "VietinBank",
    "970418": "BIDV",
    "970405": "Agribank",
    "970422": "MB Bank",
    "970407": "Techcombank",
    "970416": "ACB",
    "970432": "VPBank",
    "970423": "TPBank",
    "970403": "Sacombank",
}
"""Common banks by NAPAS BIN (as NAPAS publishes them); others are typed as a BIN."""
_BUTTON_BANKS = ("970436", "970415", "970418", "970405", "970422", "970407")
MAX_NAME = 70


def bank_label(bin_code: str) -> str:
    """The bank's short name and BIN ("Vietcombank (970436)"), or the BIN alone."""
    name = BANKS.get(bin_code)
    return f"{name} ({bin_code})" if name else bin_code


class AccountStep(StrEnum):
    """Steps of setting a campaign's receiving account (tài khoản nhận ủng hộ)."""

    CAMPAIGN = "campaign"
    """Asks which campaign of the ward the account is for."""
    BANK = "bank"
    """Asks the bank: a button for a common bank, or its 6-digit NAPAS BIN typed."""
    NUMBER = "number"
    """Asks the account number."""
    NAME = "name"
    """Asks the account holder's name, as the bank shows it."""
    CONFIRM = "confirm"
    """Shows the account and the campaign's transfer reference, and asks to confirm."""


@dataclass(frozen=True)
class PickAccountCampaign(Payload):
    """The campaign to give an account (``acct:c:<id>``)."""

    prefix = "acct:c"
    id: int = field(metadata={"min": 1, "max": MAX_ID})


@dataclass(frozen=True)
class PickBank(Payload):
    """A common bank (``acct:b:970436``)."""

    prefix = "acct:b"
    bin: str = field(metadata={"choices": tuple(BANKS)})


@dataclass(frozen=True)
class ConfirmAccount(Payload):
    """Save the account (``acct:ok``); pressed twice, saves it once."""

    prefix = "acct:ok"


@dataclass(frozen=True)
class ShowQR(Payload):
    """A campaign's QR for a donor (``bq:qr:<id>:<amount>``, amount empty for none)."""

    prefix = "bq:qr"
    id: int = field(metadata={"min": 1, "max": MAX_ID})
    amount: int | None = field(default=None, metadata={"min": 1000, "max": 100_000_000_000})


@dataclass(frozen=True)
class Poster(Payload):
    """A campaign's printable A4 poster (``bq:poster:<id>``; officers of its ward)."""

    prefix = "bq:poster"
    id: int = field(metadata={"min": 1, "max": MAX_ID})


@dataclass
class AccountData(FlowData):
    """The account being entered (stored in the session between steps)."""

    campaign: int = 0
    campaign_name: str = ""
    bin: str = ""
    number: str = ""
    name: str = ""
    key: str = ""
    """The idempotency key, drawn when the flow starts: a double tap saves one account."""


Prompt = Callable[[Turn, AccountData], Reply]


def _text_prompt(key: str) -> Prompt:
    def ask(turn: Turn, data: AccountData) -> Reply:
        return Reply(turn.t(key), (cancel_choice(turn),), expects_text=True)

    return ask


def _own(turn: Turn, campaign: Campaign) -> bool:
    """Whether the user may set this campaign's account (its ward's officer, or an admin)."""
    if turn.user.role is Role.ADMIN:
        return True
    return campaign.ward_id is not None and campaign.ward_id == turn.user.ward_id


class DonorQR:
    """The QR code, account text and poster of a campaign with a receiving account."""

    def __init__(self, ledger: Ledger, bank: BankStore) -> None:
        self.ledger = ledger
        self.bank = bank

    def note(self, turn: Turn, account: Account) -> str:
        """The transfer note: the reference, then "Ung ho Quy ..." folded and capped."""
        return fold_note(turn.t("donations.bank.note_text"), reference=account.reference)

    def qr_reply(
        self, turn: Turn, campaign: Campaign, account: Account, amount: int | None
    ) -> Reply:
        """The QR picture with the account in words (and the amount when given)."""
        note = self.note(turn, account)
        data = payload(bin_code=account.bin, account=account.number, amount=amount, note=note)
        text = turn.t(
            "donations.bank.qr",
            campaign=campaign.name,
            bank=bank_label(account.bin),
            number=account.number,
            name=account.name,
            note=note,
            reference=account.reference,
        )
        if amount is not None:
            text += "\n" + turn.t("donations.bank.qr_amount", amount=turn.money(amount))
        image = Attachment(f"vietqr-{account.reference}.png", qr_png(data), kind="image")
        return Reply(text, attachment=image)

    async def donate(self, turn: Turn) -> list[Reply]:
        """`/ungho [amount]`: the campaigns one can transfer to, or the only one's QR."""
        amount: int | None = None
        if turn.argument:
            try:
                amount = read_amount(turn, turn.argument)
            except UserFacingError as exc:
                return [Reply(turn.t(exc.key, **exc.params)), turn.reply("donations.bank.usage")]
        found = await self._open(turn)
        if not found:
            return [turn.reply("donations.bank.none")]
        if len(found) == 1:
            campaign, account = found[0]
            return [self.qr_reply(turn, campaign, account, amount)]
        choices = [ShowQR(c.id, amount).choice(c.name) for c, _ in found[:8]]
        return [Reply(turn.t("donations.bank.pick"), tuple(choices))]

    async def _open(self, turn: Turn) -> list[tuple[Campaign, Account]]:
        """Open campaigns with an account: the user's ward's (and province's), else all."""
        accounts = {a.campaign_id: a for a in await self.bank.accounts()}
        if turn.user.ward_id:
            campaigns = await self.ledger.open_campaigns(ward_id=turn.user.ward_id, day=turn.today)
        else:
            every = await self.ledger.campaigns(all_wards=True)
            campaigns = [c for c in every if c.is_open(turn.today)]
        return [(c, accounts[c.id]) for c in campaigns if c.id in accounts]

    async def action(self, turn: Turn) -> list[Reply]:
        """`bq:qr:…` (anyone) and `bq:poster:…` (officers of the campaign's ward)."""
        show = ShowQR.unpack(turn.payload)
        if show is not None:
            campaign = await self.ledger.campaign(show.id)
            account = await self.bank.account(show.id) if campaign else None
            if campaign is None or account is None:
                return [turn.reply("donations.bank.none")]
            return [self.qr_reply(turn, campaign, account, show.amount)]
        poster = Poster.unpack(turn.payload)
        if poster is None:
            return [turn.reply("error.unknown_button")]
        campaign = await require_campaign(turn, self.ledger, poster.id)
        account = await self.bank.account(campaign.id)
        if account is None:
            return [turn.reply("donations.bank.none")]
        return [self.poster_reply(turn, campaign, account)]

    def poster_reply(self, turn: Turn, campaign: Campaign, account: Account) -> Reply:
        """The A4 poster of the campaign's QR as a PDF document."""
        note = self.note(turn, account)
        data = payload(bin_code=account.bin, account=account.number, note=note)
        lines = [
            turn.t("donations.bank.poster_bank", bank=bank_label(account.bin)),
            turn.t("donations.bank.poster_number", number=account.number),
            turn.t("donations.bank.poster_name", name=account.name),
            turn.t("donations.bank.poster_note", note=note),
        ]
        pdf = poster_pdf(
            title=turn.t("donations.bank.poster_title", campaign=campaign.name),
            png=qr_png(data, scale=10),
            lines=lines,
            footer=turn.t("donations.bank.poster_footer", reference=account.reference),
        )
        document = Attachment(f"ap-phich-{account.reference}.pdf", pdf, kind="document")
        return Reply(turn.t("donations.bank.poster_ready"), attachment=document)


class AccountFlow(StepFlow[AccountData]):
    """Campaign → bank → number → name → confirm; saves the account once."""

    name = "acct"
    roles = STAFF
    data_type = AccountData

    def __init__(self, ledger: Ledger, bank: BankStore, qr: DonorQR) -> None:
        self.ledger = ledger
        self.bank = bank
        self.qr = qr
        self._prompts: Mapping[str, Prompt] = {
            AccountStep.CAMPAIGN: lambda turn, data: turn.reply("common.choose_above"),
            AccountStep.BANK: self._ask_bank,
            AccountStep.NUMBER: _text_prompt("donations.bank.ask_number"),
            AccountStep.NAME: _text_prompt("donations.bank.ask_name"),
            AccountStep.CONFIRM: self._ask_confirm,
        }

    def steps(self) -> Mapping[str, StepHandler]:
        """The step table (see the diagram in the module docstring)."""
        return {
            AccountStep.CAMPAIGN: self.on_campaign,
            AccountStep.BANK: self.on_bank,
            AccountStep.NUMBER: self.on_number,
            AccountStep.NAME: self.on_name,
            AccountStep.CONFIRM: self.on_confirm,
        }

    async def start(self, turn: Turn) -> list[Reply]:
        """Asks which of the ward's campaigns (the bank question if there is only one)."""
        turn.require_staff()
        every = await self.ledger.campaigns(
            ward_id=turn.user.ward_id, all_wards=turn.user.role is Role.ADMIN
        )
        own = [c for c in every if _own(turn, c) and c.ends_on >= turn.today]
        if not own:
            return [turn.reply("donations.bank.no_campaign")]
        data = AccountData(key=secrets.token_hex(8))
        if len(own) == 1:
            data.campaign, data.campaign_name = own[0].id, own[0].name
            self.enter(turn, AccountStep.BANK, data)
            return [self._ask_bank(turn, data)]
        self.enter(turn, AccountStep.CAMPAIGN, data)
        choices = [PickAccountCampaign(c.id).choice(c.name) for c in own[:10]]
        return [Reply(turn.t("donations.bank.ask_campaign"), (*choices, cancel_choice(turn)))]

    async def handle(self, turn: Turn) -> StepResult:
        """Checks the user is staff, then runs the step."""
        turn.require_staff()
        return await super().handle(turn)

    async def on_campaign(self, turn: Turn, data: AccountData) -> StepResult:
        """A campaign of the ward picked: the bank question; else the campaigns again."""
        pick = PickAccountCampaign.unpack(turn.payload)
        if pick is None:
            return Signal.REPEAT
        campaign = await require_campaign(turn, self.ledger, pick.id)
        if not _own(turn, campaign):
            raise UserFacingError("error.permission")
        data.campaign, data.campaign_name = campaign.id, campaign.name
        return self._go(turn, AccountStep.BANK, data)

    async def on_bank(self, turn: Turn, data: AccountData) -> StepResult:
        """A bank button or a typed 6-digit BIN: the number question; else why, same step."""
        pick = PickBank.unpack(turn.payload)
        if pick is not None:
            data.bin = pick.bin
            return self._go(turn, AccountStep.NUMBER, data)
        if turn.payload:
            return Signal.REPEAT
        text = re.sub(r"\s", "", typed(turn))
        if not (len(text) == 6 and text.isascii() and text.isdigit()):
            return [turn.reply("donations.bank.bin_bad"), self._ask_bank(turn, data)]
        data.bin = text
        return self._go(turn, AccountStep.NUMBER, data)

    async def on_number(self, turn: Turn, data: AccountData) -> StepResult:
        """A number of 1-19 digits (spaces and dots dropped): the name question; else why."""
        text = re.sub(r"[\s.\-]", "", typed(turn)).upper()
        if not re.fullmatch(r"[0-9A-Z]{1,19}", text) or not text.isascii():
            return [turn.reply("donations.bank.number_bad"), self._prompt(turn, data)]
        data.number = text
        return self._go(turn, AccountStep.NAME, data)

    async def on_name(self, turn: Turn, data: AccountData) -> StepResult:
        """A name: the confirm screen (the name as banks print it, no diacritics); else why."""
        folded = " ".join(re.sub(r"[^A-Z0-9 ]", " ", strip_diacritics(typed(turn)).upper()).split())
        if not folded or len(folded) > MAX_NAME:
            return [turn.reply("donations.bank.name_bad", limit=MAX_NAME), self._prompt(turn, data)]
        data.name = folded
        return self._go(turn, AccountStep.CONFIRM, data)

    async def on_confirm(self, turn: Turn, data: AccountData) -> StepResult:
        """Confirmed: "Đã lưu" with the reference and the QR; anything else: the buttons again."""
        if ConfirmAccount.unpack(turn.payload) is None:
            return Signal.REPEAT
        campaign = await require_campaign(turn, self.ledger, data.campaign)
        if not _own(turn, campaign):
            raise UserFacingError("error.permission")
        account = await self.bank.set_account(
            campaign.id,
            bin_code=data.bin,
            number=data.number,
            name=data.name,
            actor=turn.user.id,
            now=turn.now,
            key=data.key,
        )
        turn.session.clear()
        done = turn.reply(
            "donations.bank.saved", campaign=campaign.name, reference=account.reference
        )
        # The poster button rides on the last reply: a typed "1" picks from the last one offered.
        qr = self.qr.qr_reply(turn, campaign, account, None)
        poster = Poster(campaign.id).choice(turn.t("donations.bank.poster_button"))
        return [done, replace(qr, choices=(poster,))]

    def _go(self, turn: Turn, step: AccountStep, data: AccountData) -> list[Reply]:
        self.go(turn, step)
        return [self._prompt(turn, data)]

    def _prompt(self, turn: Turn, data: AccountData) -> Reply:
        ask = self._prompts.get(turn.session.step or "")
        return turn.reply("common.choose_above") if ask is None else ask(turn, data)

    @staticmethod
    def _ask_bank(turn: Turn, data: AccountData) -> Reply:
        choices = [PickBank(code).choice(BANKS[code]) for code in _BUTTON_BANKS]
        text = turn.t("donations.bank.ask_bank", campaign=data.campaign_name)
        return Reply(text, (*choices, cancel_choice(turn)), expects_text=True)

    @staticmethod
    def _ask_confirm(turn: Turn, data: AccountData) -> Reply:
        text = turn.t(
            "donations.bank.confirm",
            campaign=data.campaign_name,
            bank=bank_label(data.bin),
            number=data.number,
            name=data.name,
        )
        return Reply(text, (ConfirmAccount().choice(turn.t("common.confirm")), cancel_choice(turn)))
