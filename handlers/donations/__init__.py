"""Feature package `donations`: install(ctx) registers it, add_cli(sub) adds subcommands."""

from __future__ import annotations

import argparse

from bot.core.feature import FeatureContext


def install(ctx: FeatureContext) -> None:
    """Register this feature's menu items, commands, flows and erasers (none yet)."""
    del ctx


def add_cli(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add this feature's `giamngheo` subcommands (none yet)."""
    del sub
