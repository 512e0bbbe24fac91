"""The flow framework: typed payloads, typed data, the step table and the dispatcher's signals."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Literal

import pytest

from bot.core.dispatcher import Dispatcher
from bot.core.flow import (
    CANCEL,
    MAX_PAYLOAD_BYTES,
    FlowData,
    Payload,
    PayloadError,
    Signal,
    StepFlow,
    StepHandler,
    StepResult,
    cancel_choice,
)
from bot.core.i18n import Translator
from bot.core.registry import EVERYONE, Command, Registry
from bot.core.turn import Turn
from bot.core.types import Reply
from tests.harness import Chat, FakeClock, new_app


class Colour(StrEnum):
    RED = "red"
    BLUE = "blue"


@dataclass(frozen=True)
class Pick(Payload):
    prefix = "tf:pick"
    item: int = field(metadata={"min": 1, "max": 30})
    colour: Colour
    mode: Literal["a", "b"]
    sure: bool


@dataclass(frozen=True)
class Word(Payload):
    prefix = "tf:word"
    word: str


@dataclass(frozen=True)
class Done(Payload):
    prefix = "tf:done"


def test_a_payload_packs_and_unpacks_to_the_same_value() -> None:
    """Every field type survives the round trip."""
    pick = Pick(7, Colour.BLUE, "b", True)
    assert pick.pack() == "tf:pick:7:blue:b:1"
    assert Pick.unpack(pick.pack()) == pick
    assert Done.unpack(Done().pack()) == Done()


@pytest.mark.parametrize(
    "raw",
    [
        None,
        "",
        "tf:pick",
        "tf:pick:7:blue:b",  # a field missing
        "tf:pick:7:blue:b:1:extra",  # one too many
        "tf:pick:0:blue:b:1",  # below the range
        "tf:pick:31:blue:b:1",  # above it
        "tf:pick:-1:blue:b:1",
        "tf:pick:+7:blue:b:1",
        "tf:pick:²:blue:b:1",  # a superscript is a digit to str.isdigit, not to us
        "tf:pick:٧:blue:b:1",  # Arabic-Indic seven
        "tf:pick:7:green:b:1",  # not a member
        "tf:pick:7:blue:c:1",  # not in the Literal
        "tf:pick:7:blue:b:yes",
        "tf:pick:99999999999999999999:blue:b:1",
        "tf:pickx:7:blue:b:1",
        "tf:done:1",
        "x" * 200,
    ],
)
def test_a_stale_or_forged_payload_unpacks_to_none(raw: str | None) -> None:
    """Anything but a well-formed payload of this kind is refused, never half-read."""
    assert Pick.unpack(raw) is None
    assert Done.unpack(raw) is None


def test_words_are_plain_and_short() -> None:
    """A free word field takes letters, digits and _.- only, up to 40."""
    assert Word.unpack("tf:word:hoa-cuong_2") == Word("hoa-cuong_2")
    assert Word.unpack("tf:word:hòa") is None
    assert Word.unpack("tf:word:" + "a" * 41) is None
    assert Word.unpack("tf:word:<script>") is None


def test_packing_refuses_separators_and_long_payloads() -> None:
    """A value with ':' or a payload past 64 bytes fails loudly when the button is made."""
    with pytest.raises(PayloadError):
        Word("a:b").pack()
    with pytest.raises(PayloadError):
        Word("a" * MAX_PAYLOAD_BYTES).pack()


@dataclass
class Counting(FlowData):
    count: int = 0
    words: list[str] = field(default_factory=list)


def test_flow_data_loads_old_sessions_and_dumps_json() -> None:
    """Unknown keys are ignored, missing ones take defaults, the dump is a plain dict."""
    data = Counting.load({"count": 2, "gone": "x"})
    assert data == Counting(count=2)
    data.words.append("mot")
    assert data.dump() == {"count": 2, "words": ["mot"]}


class CountFlow(StepFlow[Counting]):
    """A two-step test flow: count buttons, then type a word."""

    name = "tf"
    roles = EVERYONE
    data_type = Counting

    async def start(self, turn: Turn) -> list[Reply]:
        """Shows the counter's buttons."""
        self.enter(turn, "count", Counting())
        return self.buttons(turn, Counting())

    def buttons(self, turn: Turn, data: Counting) -> list[Reply]:
        """The counter and its buttons."""
        return [
            Reply(
                f"count {data.count}",
                (
                    Pick(1, Colour.RED, "a", True).choice("one"),
                    Done().choice("done"),
                    cancel_choice(turn),
                ),
            )
        ]

    def steps(self) -> Mapping[str, StepHandler]:
        """The table."""
        return {"count": self.on_count, "word": self.on_word}

    async def on_count(self, turn: Turn, data: Counting) -> StepResult:
        """Counts a press; "done" asks for a word; text goes to the Q&A."""
        if Done.unpack(turn.payload) is not None:
            self.go(turn, "word")
            return [Reply("type a word", expects_text=True)]
        pick = Pick.unpack(turn.payload)
        if pick is not None:
            data.count += pick.item
            return self.buttons(turn, data)
        return Signal.UNHANDLED if turn.payload is None else Signal.REPEAT

    async def on_word(self, turn: Turn, data: Counting) -> StepResult:
        """Keeps a word."""
        if turn.payload is not None or not turn.text.isalpha():
            return Signal.REPEAT
        data.words.append(turn.text)
        return [Reply(f"words {' '.join(data.words)}")]


def _install(registry: Registry, dispatcher: Dispatcher) -> None:
    flow = CountFlow()

    async def answer(turn: Turn) -> list[Reply]:
        return [Reply(f"q&a: {turn.text}")]

    registry.add_flow(flow)
    registry.add_command(Command(("/dem",), flow.start))
    registry.fallback = answer  # in place of the real Q&A, to see that it was asked


async def test_steps_keep_typed_data_and_signals_reach_the_dispatcher(
    tmp_path: Path, clock: FakeClock
) -> None:
    """Data persists between steps; REPEAT repeats the options; UNHANDLED asks the Q&A."""
    app = await new_app(tmp_path / "f.sqlite3", clock, extensions=[_install])
    try:
        chat = Chat(app, "u1")
        await chat.send("/dem")
        await chat.press("tf:pick:1:red:a:1")
        replies = await chat.press("tf:pick:1:red:a:1")
        assert replies[-1].text == "count 2"
        forged = await chat.press("tf:pick:99:red:a:1")
        assert forged[-1].choices == replies[-1].choices  # the same options again
        assert forged[-1].text == Translator("vi")("common.choose_above")
        answered = await chat.send("chuẩn nghèo là gì")
        assert answered[0].text == "q&a: chuẩn nghèo là gì"
        assert answered[-1].text == Translator("vi")("flow.continue")
        assert answered[-1].choices == replies[-1].choices  # the flow's options stay on offer
        again = await chat.send("1")  # "1" still means the first option
        assert again[-1].text == "count 3"
        await chat.press("tf:done")
        await chat.send("mot")
        assert chat.last.text == "words mot"
        session = await app.services.sessions.load("test", "u1", now=clock())
        assert session.data == {"count": 3, "words": ["mot"]}
    finally:
        await app.close()


async def test_the_one_cancel_leaves_any_step(tmp_path: Path, clock: FakeClock) -> None:
    """`menu:cancel` clears the flow and its data and shows the menu."""
    app = await new_app(tmp_path / "f.sqlite3", clock, extensions=[_install])
    try:
        chat = Chat(app, "u2")
        await chat.send("/dem")
        await chat.press("tf:pick:1:red:a:1")
        replies = await chat.press(CANCEL)
        session = await app.services.sessions.load("test", "u2", now=clock())
        assert (session.flow, session.data) == (None, {})
        assert any(choice.payload.startswith("menu:") for choice in replies[-1].choices)
        stale = await chat.press("tf:pick:1:red:a:1")  # the old button after cancelling
        assert "count" not in stale[0].text
    finally:
        await app.close()


async def test_repeat_keeps_a_typed_step_typed(tmp_path: Path, clock: FakeClock) -> None:
    """REPEAT at a step waiting for typed input keeps waiting for it (no numbered options)."""
    app = await new_app(tmp_path / "f.sqlite3", clock, extensions=[_install])
    try:
        chat = Chat(app, "u3")
        await chat.send("/dem")
        await chat.press("tf:done")
        assert chat.last.expects_text
        replies = await chat.send("2 3")  # not a word: REPEAT
        assert replies[-1].expects_text
        await chat.send("hai")
        assert chat.last.text == "words hai"
    finally:
        await app.close()
