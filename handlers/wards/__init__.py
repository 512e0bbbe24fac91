"""Wards served by the assistant (xã, phường, đặc khu): choosing one and `giamngheo ward`.

Since 01/07/2025 Vietnam has two levels of local government: 34 provinces and 3,321
commune-level units (`knowledge.admin_units`). A commune starts using the assistant when an
administrator adds it by its official code or name (`giamngheo ward add`); residents then pick
it by typing its name (`_match.py`) and officers are given it (`giamngheo officer add --ward`).
The CLI is in `_cli.py`.
"""

from __future__ import annotations

import argparse

from handlers.wards._match import WardChoice, choose_ward, demo_aware_label

__all__ = ["WardChoice", "add_cli", "choose_ward", "demo_aware_label"]


def add_cli(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `giamngheo ward add|list|remove`."""
    from handlers.wards._cli import add_cli as add

    add(sub)
