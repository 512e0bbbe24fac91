"""Reports, transparency, receipt lookup and reversals of the donation ledger.

Commands: `/baocao` (officers), `/minhbach` (everyone), `/tracuu` (everyone), `/daobut`
(officers). Report buttons use the action prefix `rep`.
"""

from __future__ import annotations

from bot.core.errors import UserFacingError
from bot.core.flow import menu_choice
from bot.core.i18n import Translator
from bot.core.turn import Turn
from bot.core.types import Attachment, Choice, Reply, Role
from handlers.donations._account import AccountFlow, ShowQR
from handlers.donations._campaign import CampaignFlow
from handlers.donations._disburse import DisburseFlow, is_voucher, public_line
from handlers.donations._flow import LogFlow, require_campaign
from handlers.donations._import import StatementFlow
from handlers.donations._payloads import CampaignFile, HubAction
from handlers.donations._render import chart_png, export_rows, to_csv, to_xlsx
from handlers.donations._statement import statement_choices
from storage.bank import BankStore
from storage.ledger import FUNDS, Campaign, Disbursement, Ledger, LedgerError

MAX_PUBLIC_NAMES = 30
MAX_DAYS_SHOWN = 10
MAX_PUBLIC_DISBURSEMENTS = 20
MAX_QR_BUTTONS = 3


def short_name(name: str, limit: int = 28) -> str:
    """A campaign's name cut to fit a button."""
    return name if len(name) <= limit else name[: limit - 1] + "…"


def scope_of(turn: Turn, campaign: Campaign) -> str | None:
    """The ward whose entries the user may see in `campaign` (None: all of them)."""
    turn.require_staff(campaign.ward_id)
    if turn.user.role is Role.ADMIN or campaign.ward_id is not None:
        return None
    return turn.user.ward_id


async def export_bytes(
    ledger: Ledger,
    t: Translator,
    *,
    fmt: str,
    campaign_id: int | None,
    ward_id: str | None,
) -> bytes:
    """The entries as CSV or XLSX bytes."""
    entries = await ledger.entries(campaign_id=campaign_id, ward_id=ward_id)
    ids = {entry.id: entry.receipt for entry in entries}
    rows = export_rows(entries, t, ids)
    return to_xlsx(rows, t("donations.sheet")) if fmt == "xlsx" else to_csv(rows)


class Reports:
    """Officers' reports and everyone's transparency and receipt lookup."""

    def __init__(
        self,
        ledger: Ledger,
        log_flow: LogFlow,
        campaign_flow: CampaignFlow,
        disburse_flow: DisburseFlow,
        bank: BankStore,
        *,
        account_flow: AccountFlow | None = None,
        statement_flow: StatementFlow | None = None,
    ) -> None:
        self.ledger = ledger
        self.log_flow = log_flow
        self.campaign_flow = campaign_flow
        self.disburse_flow = disburse_flow
        self.bank = bank
        self.account_flow = account_flow
        self.statement_flow = statement_flow

    async def hub(self, turn: Turn) -> list[Reply]:
        """The officers' fund menu: gifts, payments, reports, campaigns, account, statements."""
        turn.require_staff()
        turn.session.clear()
        choices = [
            HubAction("log").choice(turn.t("donations.hub_log")),
            HubAction("disburse").choice(turn.t("donations.disburse.hub")),
            HubAction("report").choice(turn.t("donations.hub_report")),
            HubAction("camp").choice(turn.t("donations.hub_campaign")),
        ]
        if self.account_flow is not None:
            choices.append(HubAction("account").choice(turn.t("donations.hub_account")))
        if self.statement_flow is not None:
            choices.append(HubAction("import").choice(turn.t("donations.hub_import")))
        return [turn.reply("donations.hub", *choices, menu_choice(turn))]

    async def action(self, turn: Turn) -> list[Reply]:
        """Report buttons: `rep:log`, `rep:camp`, `rep:report`, `rep:chart|csv|xlsx:<id>`."""
        turn.require_staff()
        hub = HubAction.unpack(turn.payload)
        if hub is not None:
            return await self._hub_action(turn, hub)
        file = CampaignFile.unpack(turn.payload)
        if file is None:
            return [turn.reply("error.unknown_button")]
        campaign = await require_campaign(turn, self.ledger, file.id)
        ward = scope_of(turn, campaign)
        if file.fmt == "chart":
            return [await self.chart(turn, campaign, ward)]
        return [await self._export(turn, campaign, ward, file.fmt)]

    async def _hub_action(self, turn: Turn, hub: HubAction) -> list[Reply]:
        if hub.what == "log":
            return await self.log_flow.start(turn)
        if hub.what == "camp":
            return await self.campaign_flow.start(turn)
        if hub.what == "disburse":
            return await self.disburse_flow.start(turn)
        if hub.what == "account" and self.account_flow is not None:
            return await self.account_flow.start(turn)
        if hub.what == "import" and self.statement_flow is not None:
            return await self.statement_flow.start(turn)
        return await self.report(turn)

    async def _export(self, turn: Turn, campaign: Campaign, ward: str | None, fmt: str) -> Reply:
        """The campaign's entries as a CSV or XLSX document (audited)."""
        data = await export_bytes(
            self.ledger, turn.t, fmt=fmt, campaign_id=campaign.id, ward_id=ward
        )
        await turn.services.audit.record(
            actor_user_id=turn.user.id,
            action="donations.exported",
            target=f"campaign:{campaign.id}",
            detail={"format": fmt, "ward": ward},
            now=turn.now,
        )
        filename = f"so-thu-{campaign.id}-{turn.today.isoformat()}.{fmt}"
        return Reply(
            turn.t("donations.export_ready", name=campaign.name),
            attachment=Attachment(filename, data, kind="document"),
        )

    async def chart(self, turn: Turn, campaign: Campaign, ward: str | None) -> Reply:
        """The cumulative chart of a campaign as an image reply."""
        summary = await self.ledger.summary(campaign.id, ward_id=ward)
        png = chart_png(
            title=turn.t("donations.chart_title", name=campaign.name),
            raised_label=turn.t("donations.chart_raised"),
            target_label=turn.t("donations.chart_target"),
            y_label=turn.t("donations.chart_y"),
            campaign=campaign,
            by_day=summary.by_day,
            until=turn.today,
        )
        return Reply(
            turn.t("donations.chart_caption", name=campaign.name),
            attachment=Attachment(f"bieu-do-{campaign.id}.png", png, kind="image"),
        )

    async def report(self, turn: Turn) -> list[Reply]:
        """Per campaign: raised vs target, by donor type, by method, by day; with buttons."""
        turn.require_staff()
        admin = turn.user.role is Role.ADMIN
        campaigns = await self.ledger.campaigns(ward_id=turn.user.ward_id, all_wards=admin)
        if not campaigns:
            return [turn.reply("donations.report_empty")]
        replies: list[Reply] = []
        if turn.user.ward_id is not None:
            funds = sorted({c.fund for c in campaigns}, key=list(FUNDS).index)
            replies.append(await self._fund_report(turn, turn.user.ward_id, funds))
        for campaign in campaigns:
            ward = scope_of(turn, campaign)
            replies.append(await self._campaign_report(turn, campaign, ward))
        return replies

    async def _fund_report(self, turn: Turn, ward_id: str, funds: list[str]) -> Reply:
        """The ward's funds as a whole: gifts, disbursements and balance, exact."""
        named = await turn.services.users.ward(ward_id)
        lines = []
        for fund in funds:
            balance = await self.ledger.balance(ward_id=ward_id, fund=fund)
            lines.append(
                turn.t(
                    "donations.disburse.report_fund",
                    fund=turn.t(f"donations.fund.{fund}"),
                    ward=named.name if named else ward_id,
                    gifts=turn.money(balance.gifts),
                    spent=turn.money(balance.spent),
                    available=turn.money(balance.available),
                )
            )
        return Reply("\n".join(lines))

    async def spent(self, campaign: Campaign, ward: str | None) -> int:
        """The sum of a campaign's disbursements (reversals subtract), one ward's or all."""
        rows = await self.ledger.disbursements(campaign_id=campaign.id, ward_id=ward)
        return sum(row.amount for row in rows)

    async def _campaign_report(self, turn: Turn, campaign: Campaign, ward: str | None) -> Reply:
        summary = await self.ledger.summary(campaign.id, ward_id=ward)
        percent = summary.raised * 100 / campaign.target
        remaining = max(campaign.target - summary.raised, 0)
        days_left = max((campaign.ends_on - turn.today).days, 0)
        lines = [
            turn.t(
                "donations.report_head",
                name=campaign.name,
                fund=turn.t(f"donations.fund.{campaign.fund}"),
                start=turn.day(campaign.starts_on),
                end=turn.day(campaign.ends_on),
                raised=turn.money(summary.raised),
                target=turn.money(campaign.target),
                percent=f"{percent:.1f}".replace(".", ","),
                remaining=turn.money(remaining),
                days_left=days_left,
                gifts=summary.gifts,
            )
        ]
        spent = await self.spent(campaign, ward)
        lines.append(
            turn.t(
                "donations.disburse.report_line",
                spent=turn.money(spent),
                available=turn.money(summary.raised - spent),
            )
        )
        if ward is not None:
            named = await turn.services.users.ward(ward)
            lines.append(turn.t("donations.report_ward_part", ward=named.name if named else ward))
        lines.append(turn.t("donations.report_by_type"))
        lines += [
            f"• {turn.t(f'donations.type.{kind}')}: {turn.money(amount)}"
            for kind, amount in summary.by_donor_type.items()
        ]
        lines.append(turn.t("donations.report_by_method"))
        lines += [
            f"• {turn.t(f'donations.method.{method}')}: {turn.money(amount)}"
            for method, amount in summary.by_method.items()
        ]
        lines.append(turn.t("donations.report_by_day", count=MAX_DAYS_SHOWN))
        lines += [
            f"• {turn.day(day)}: {turn.money(amount)}"
            for day, amount in summary.by_day[-MAX_DAYS_SHOWN:]
        ]
        return Reply(
            "\n".join(lines),
            (
                CampaignFile("chart", campaign.id).choice(turn.t("donations.btn_chart")),
                CampaignFile("csv", campaign.id).choice(turn.t("donations.btn_csv")),
                CampaignFile("xlsx", campaign.id).choice(turn.t("donations.btn_xlsx")),
            ),
        )

    async def transparency(self, turn: Turn) -> list[Reply]:
        """For everyone: per campaign the total, the number of gifts and consenting names."""
        campaigns = await self.ledger.campaigns(all_wards=True)
        if not campaigns:
            return [turn.reply("donations.report_empty")]
        lines = [turn.t("donations.public_title")]
        lines += await self._public_funds(turn, campaigns)
        for campaign in campaigns:
            summary = await self.ledger.summary(campaign.id)
            names = await self.ledger.public_donors(campaign.id)
            spent = await self.spent(campaign, None)
            lines.append(
                turn.t(
                    "donations.public_campaign",
                    name=campaign.name,
                    fund=turn.t(f"donations.fund.{campaign.fund}"),
                    start=turn.day(campaign.starts_on),
                    end=turn.day(campaign.ends_on),
                    raised=turn.money(summary.raised),
                    target=turn.money(campaign.target),
                    gifts=summary.gifts,
                )
                + "\n"
                + turn.t(
                    "donations.disburse.public_spent",
                    spent=turn.money(spent),
                    available=turn.money(summary.raised - spent),
                )
            )
            if names:
                shown = ", ".join(names[:MAX_PUBLIC_NAMES])
                more = len(names) - MAX_PUBLIC_NAMES
                lines.append(turn.t("donations.public_names", names=shown))
                if more > 0:
                    lines.append(turn.t("donations.public_more", count=more))
        paid = await self._public_disbursements(turn)
        if paid:
            lines.append(paid)
        lines.append(turn.t("donations.public_footer"))
        lines.append(turn.t("donations.statement.offer"))  # the statement (sao kê) buttons
        choices = (*statement_choices(turn, campaigns), *await self._qr_choices(turn, campaigns))
        return [Reply("\n\n".join(lines), choices)]

    async def _public_funds(self, turn: Turn, campaigns: list[Campaign]) -> list[str]:
        """Each ward fund's gifts, disbursements and balance (fund-wide payments included)."""
        funds: dict[str, set[str]] = {}
        for campaign in campaigns:
            if campaign.ward_id is not None:
                funds.setdefault(campaign.ward_id, set()).add(campaign.fund)
        return [
            (await self._fund_report(turn, ward, sorted(kinds, key=list(FUNDS).index))).text
            for ward, kinds in sorted(funds.items())
        ]

    async def _qr_choices(self, turn: Turn, campaigns: list[Campaign]) -> list[Choice]:
        """A "give by QR" button per open campaign with a receiving account (`/ungho`'s QR)."""
        with_account = {account.campaign_id for account in await self.bank.accounts()}
        open_ones = [c for c in campaigns if c.id in with_account and c.is_open(turn.today)]
        return [
            ShowQR(campaign.id, None).choice(
                turn.t("donations.bank.qr_button", name=short_name(campaign.name))
            )
            for campaign in open_ones[-MAX_QR_BUTTONS:]
        ]

    async def _public_disbursements(self, turn: Turn) -> str:
        """The latest payments not reversed: date, purpose, commune, amount; names by consent."""
        rows = await self.ledger.disbursements()
        reversed_ids = {row.reverses_id for row in rows if row.reverses_id is not None}
        payments = [r for r in rows if r.kind == "payment" and r.id not in reversed_ids]
        if not payments:
            return ""
        communes: dict[str, str] = {}
        lines = [turn.t("donations.disburse.public_title")]
        for row in payments[-MAX_PUBLIC_DISBURSEMENTS:]:
            lines.append(public_line(turn, row, await self._commune(turn, row, communes)))
        more = len(payments) - MAX_PUBLIC_DISBURSEMENTS
        if more > 0:
            lines.append(turn.t("donations.disburse.public_more", count=more))
        return "\n".join(lines)

    @staticmethod
    async def _commune(turn: Turn, row: Disbursement, known: dict[str, str]) -> str:
        if row.ward_id not in known:
            named = await turn.services.users.ward(row.ward_id)
            known[row.ward_id] = named.name if named else row.ward_id
        return known[row.ward_id]

    async def lookup(self, turn: Turn) -> list[Reply]:
        """`/tracuu <số biên nhận>`: amount, date and campaign of a gift (name only if public)."""
        receipt = turn.argument.strip()
        if not receipt:
            return [turn.reply("donations.lookup_usage")]
        if is_voucher(receipt):
            return await self.disburse_flow.lookup(turn, receipt[:40])
        entry = await self.ledger.by_receipt(receipt[:40])
        if entry is None:
            return [turn.reply("donations.lookup_missing", receipt=receipt[:40])]
        campaign = await self.ledger.campaign(entry.campaign_id)
        assert campaign is not None
        if entry.kind == "reversal":
            return [turn.reply("donations.lookup_reversal", receipt=entry.receipt)]
        lines = [
            turn.t(
                "donations.lookup_found",
                receipt=entry.receipt,
                amount=turn.money(entry.amount),
                day=turn.day(entry.donated_on),
                campaign=campaign.name,
            )
        ]
        if entry.goods:
            lines.append(
                turn.t("donations.gift.lookup_goods", goods=entry.goods, quantity=entry.quantity)
            )
        if entry.public and entry.donor_name:
            lines.append(turn.t("donations.lookup_donor", name=entry.donor_name))
        reversal = await self.ledger.reversal_of(entry.id)
        if reversal is not None:
            lines.append(turn.t("donations.lookup_reversed", receipt=reversal.receipt))
        return [Reply("\n".join(lines))]

    async def reverse(self, turn: Turn) -> list[Reply]:
        """`/daobut <số biên nhận> <lý do>`: record the reversal of a gift (staff of its ward)."""
        turn.require_staff()
        receipt, _, reason = turn.argument.strip().partition(" ")
        if not receipt or not reason.strip():
            return [turn.reply("donations.reverse_usage")]
        if is_voucher(receipt):
            return await self.disburse_flow.reverse(turn, receipt, reason)
        entry = await self.ledger.by_receipt(receipt)
        if entry is None:
            return [turn.reply("donations.lookup_missing", receipt=receipt[:40])]
        turn.require_staff(entry.ward_id)
        if entry.kind == "reversal":
            return [turn.reply("donations.gift.reverse_is_reversal", receipt=entry.receipt)]
        if await self.ledger.reversal_of(entry.id) is not None:
            raise UserFacingError("donations.ledger.already_reversed")
        try:
            reversal = await self.ledger.reverse(
                entry.id,
                reason=reason.strip()[:200],
                recorded_by=turn.user.id,
                now=turn.now,
            )
        except LedgerError as exc:
            if exc.code == "balance":
                raise UserFacingError("donations.gift.reverse_balance") from None
            raise UserFacingError(f"donations.ledger.{exc.code}") from None
        return [
            turn.reply(
                "donations.reversed",
                receipt=entry.receipt,
                reversal=reversal.receipt,
                amount=turn.money(entry.amount),
            )
        ]
