"""Quỹ "Vì người nghèo" donation ledger: campaigns, logging gifts, reports and transparency.

`install` builds one `Ledger` (group-committing, append-only) and registers the officers' fund
menu, the logging flow (`don`), the campaign flow (`camp`), report buttons (`rep`), the commands
and the demo campaign. The work is in `_flow.py`, `_campaign.py`, `_reports.py`, `_render.py`.
"""

from __future__ import annotations

import argparse
from datetime import date, datetime

from bot.core.feature import FeatureContext
from bot.core.registry import EVERYONE, STAFF, Action, Command, MenuItem
from bot.core.turn import Services
from handlers.donations._account import AccountFlow, DonorQR
from handlers.donations._bank_cli import add_bank_cli as _add_bank_cli
from handlers.donations._campaign import CampaignFlow
from handlers.donations._cli import add_cli as _add_cli
from handlers.donations._disburse import DisburseFlow
from handlers.donations._flow import LogFlow
from handlers.donations._import import LineActions, Reconciler, StatementFlow
from handlers.donations._reports import Reports
from handlers.donations._statement import Statements
from storage.bank import BankStore
from storage.ledger import Ledger, NewEntry
from storage.registrations import RegistrationRepository

__all__ = ["add_cli", "install", "load_demo"]

DEMO_WARD = "20257"  # bot.demo.DEMO_WARD_CODE (handlers do not import bot)
DEMO_GIFTS = (
    (
        "salary",
        "Cán bộ, công chức UBND phường Hòa Cường (một ngày lương)",
        True,
        18_500_000,
        "cash",
        "",
        3,
        20,
    ),
    (
        "business",
        "Công ty TNHH Xây dựng Hòa Cường (mẫu)",
        True,
        50_000_000,
        "transfer",
        "FT2026",
        5,
        12,
    ),
    ("person", "", False, 2_000_000, "cash", "", 10, 17),
    ("organisation", "Chi hội Phụ nữ tổ 12 (mẫu)", True, 7_300_000, "cash", "", 10, 18),
    ("person", "Nguyễn Văn An (mẫu)", False, 500_000, "in_kind", "", 11, 2),
)
DEMO_GOODS = {4: ("gạo và mì tôm", "10 kg gạo, 1 thùng mì")}
"""Goods and quantity of the demo gifts in kind, by their index in `DEMO_GIFTS`."""


async def load_demo(ledger: Ledger, services: Services, now: datetime) -> None:
    """Create the demo campaign of "20257" and a handful of gifts (once)."""
    del services
    if await ledger.campaigns(ward_id=DEMO_WARD):
        return
    campaign = await ledger.create_campaign(
        ward_id=DEMO_WARD,
        name="Vận động Quỹ Vì người nghèo năm 2026",
        target=3_700_000_000,
        starts_on=date(2026, 3, 1),
        ends_on=date(2026, 12, 31),
        created_by=None,
        now=now,
    )
    for index, (kind, name, public, amount, method, ref, month, day) in enumerate(DEMO_GIFTS):
        gift_day = date(2026, month, day)
        if gift_day > now.date():
            continue
        goods, quantity = DEMO_GOODS.get(index, ("", ""))
        await ledger.append(
            NewEntry(
                campaign_id=campaign.id,
                ward_id=DEMO_WARD,
                donor_type=kind,
                donor_name=name,
                public=public,
                amount=amount,
                method=method,
                reference=ref,
                donated_on=gift_day,
                recorded_by=None,
                goods=goods,
                quantity=quantity,
                idempotency_key=f"demo-{index}",
            ),
            now=now,
        )


def install(ctx: FeatureContext) -> None:
    """Register the fund menu, flows, report actions, commands and the demo loader."""
    ledger = Ledger(ctx.services.db)
    log_flow = LogFlow(ledger)
    campaign_flow = CampaignFlow(ledger)
    disburse_flow = DisburseFlow(ledger, RegistrationRepository(ctx.services.db))
    bank = BankStore(ctx.services.db)
    donor_qr = DonorQR(ledger, bank)
    reconciler = Reconciler(ledger, bank)
    account_flow = AccountFlow(ledger, bank, donor_qr)
    statement_flow = StatementFlow(ledger, reconciler)
    reports = Reports(
        ledger,
        log_flow,
        campaign_flow,
        disburse_flow,
        bank,
        account_flow=account_flow,
        statement_flow=statement_flow,
    )
    registry = ctx.registry
    registry.add_menu_item(MenuItem("donations", "donations.menu", reports.hub, STAFF, order=50))
    registry.add_menu_item(
        MenuItem("transparency", "donations.menu_public", reports.transparency, EVERYONE, order=40)
    )
    registry.add_flow(log_flow)
    registry.add_flow(campaign_flow)
    registry.add_flow(disburse_flow)
    registry.add_action(Action("rep", reports.action, STAFF))
    registry.add_action(Action("sk", Statements(ledger).action, EVERYONE))  # sao kê files
    registry.add_command(
        Command(("/ghinhan",), log_flow.start, STAFF, help_key="donations.help_log")
    )
    registry.add_command(
        Command(("/taodot",), campaign_flow.start, STAFF, help_key="donations.help_campaign")
    )
    registry.add_command(
        Command(("/chi",), disburse_flow.start, STAFF, help_key="donations.disburse.help")
    )
    registry.add_command(
        Command(("/baocao",), reports.report, STAFF, help_key="donations.help_report")
    )
    registry.add_command(
        Command(("/daobut",), reports.reverse, STAFF, "donations.help_reverse", takes_argument=True)
    )
    registry.add_command(
        Command(("/minhbach",), reports.transparency, EVERYONE, help_key="donations.help_public")
    )
    registry.add_command(
        Command(
            ("/tracuu",), reports.lookup, EVERYONE, "donations.help_lookup", takes_argument=True
        )
    )

    # Paying by bank transfer: accounts, donors' VietQR, statement reconciliation.
    registry.add_flow(account_flow)
    registry.add_flow(statement_flow)
    registry.add_action(Action("bq", donor_qr.action, EVERYONE))
    registry.add_action(Action("bk", LineActions(ledger, bank, reconciler).action, STAFF))
    registry.add_command(
        Command(("/taikhoan",), account_flow.start, STAFF, help_key="donations.bank.help_account")
    )
    registry.add_command(
        Command(("/doisoat",), statement_flow.start, STAFF, help_key="donations.bank.help_import")
    )
    registry.add_command(
        Command(
            ("/ungho",),
            donor_qr.donate,
            EVERYONE,
            "donations.bank.help_donate",
            takes_argument=True,
        )
    )

    async def demo(services: Services, now: datetime) -> None:
        await load_demo(ledger, services, now)

    ctx.demo_loaders.append(demo)


def add_cli(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """`giamngheo donations export [--ward W] [--campaign ID] [--format csv|xlsx] [-o PATH]`."""
    _add_cli(sub)
    _add_bank_cli(sub)
