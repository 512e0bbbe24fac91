"""Choices as text, for channels without buttons (console, Zalo Bot) or beyond their buttons.

A choice becomes a numbered line ("1. Hỏi đáp"), which the dispatcher resolves when the user
types the number or the label; where text is expected, the choices are shown as
`[label]` hints on one line instead.
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.core.types import Choice, Reply


def choice_lines(
    choices: Sequence[Choice], *, expects_text: bool, start: int = 1, indent: str = ""
) -> list[str]:
    """Numbered lines from `start` (or one line of `[label]` hints when text is expected)."""
    if not choices:
        return []
    if expects_text:
        return [indent + "  ".join(f"[{choice.label}]" for choice in choices)]
    return [f"{indent}{index}. {choice.label}" for index, choice in enumerate(choices, start)]


def render(reply: Reply, *, indent: str = "   ") -> str:
    """A reply as plain text: the message, then its choices numbered from 1."""
    lines = [
        reply.text,
        *choice_lines(reply.choices, expects_text=reply.expects_text, indent=indent),
    ]
    return "\n".join(lines)
