"""Household self-check (tự kiểm tra hộ nghèo, hộ cận nghèo): questionnaire, `/ketqua`, CLI.

`install` registers the menu item, the flow (payload prefix `sc`), `/ketqua` and the eraser for
saved results; `add_cli` adds `giamngheo classify`. The questionnaire is in `_flow.py` (input and
cursor), `_steps.py` (order of questions, pure) and `_render.py` (texts and buttons); the rules
themselves are `knowledge.assessment`.
"""

from __future__ import annotations

import argparse

from bot.core.feature import FeatureContext
from bot.core.registry import EVERYONE, Action, Command, MenuItem
from handlers.self_check._cli import add_classify
from handlers.self_check._flow import SelfCheckFlow
from storage.self_check import SelfCheckRepository, erase_self_checks

__all__ = ["add_cli", "install"]


def install(ctx: FeatureContext) -> None:
    """Register the self-check menu item, flow, `/ketqua` and the eraser of saved results."""
    flow = SelfCheckFlow(ctx.dispatcher, SelfCheckRepository(ctx.services.db))
    registry = ctx.registry
    registry.add_menu_item(
        MenuItem("self_check", "self_check.menu", flow.start, EVERYONE, order=20)
    )
    registry.add_flow(flow)
    # `scp:<members>:<amount>:<mode>`: offered by the Q&A for a message naming size and income.
    registry.add_action(Action("scp", flow.start_prefilled, EVERYONE))
    registry.add_command(
        Command(
            ("/tukiemtra", "tự kiểm tra"), flow.start, EVERYONE, help_key="self_check.help_start"
        )
    )
    registry.add_command(
        Command(
            ("/ketqua", "kết quả"), flow.saved_results, EVERYONE, help_key="self_check.help_results"
        )
    )
    registry.add_eraser("self_check", erase_self_checks)


def add_cli(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `giamngheo classify INPUT [--date] [--locality] [-o OUTPUT]`."""
    add_classify(sub)
