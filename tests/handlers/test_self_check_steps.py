"""The self-check on the step framework: stale and forged buttons, repeats, cancel, the result."""

from __future__ import annotations

from bot.app import App
from bot.core.i18n import Translator
from bot.core.types import Reply
from handlers.self_check import Prefilled
from handlers.self_check._payloads import (
    BackFrom,
    BackKeyed,
    IndicatorAnswer,
    back_item,
    back_payload,
    edit_item,
    edit_payload,
)
from handlers.self_check._steps import NATIONAL, SelfCheckData
from tests.handlers.test_self_check import (
    THREE,
    answer_facts,
    buttons,
    count_saved,
    run_to_summary,
)
from tests.harness import Chat

VI_T = Translator("vi")


async def stale_keeps(chat: Chat, payload: str) -> None:
    """Pressing `payload` says "that button is old" and asks the current question again."""
    before = chat.last
    replies = await chat.press(payload)
    assert replies[0].text == VI_T("self_check.stale"), payload
    assert replies[-1].text in before.text, payload
    assert buttons(replies[-1]) == buttons(before), payload


def first_payload(reply: Reply, part: str) -> str:
    """The first button payload of `reply` containing `part`."""
    return next(p for p in buttons(reply) if part in p)


async def test_forged_and_stale_buttons_at_every_kind_of_step(app: App, resident: Chat) -> None:
    """At each step a forged, old or other step's button repeats the question; nothing is lost."""
    await resident.press("menu:self_check")
    for payload in ("sc:area:moon", "sc:unit:99999", "sc:ans:water:yes", "sc:" + "x" * 70):
        await stale_keeps(resident, payload)
    await resident.press("sc:area:urban")
    for payload in ("sc:loc:zz", "sc:loc:national:extra", "sc:back:size"):
        await stale_keeps(resident, payload)
    await resident.press("sc:loc:national")
    await stale_keeps(resident, "sc:size:4")
    await resident.send("1")
    fact = first_payload(resident.last, ":fact:").split(":")[2]
    for payload in (f"sc:fact:{fact}:maybe", "sc:fact:has_pets:yes", f"sc:back:fact:{fact}x"):
        await stale_keeps(resident, payload)
    await answer_facts(resident)
    await stale_keeps(resident, "sc:mode:weekly")
    await resident.press("sc:mode:hm")
    await stale_keeps(resident, "sc:inc:ok")
    await resident.send("2000000")
    await stale_keeps(resident, "sc:inc:maybe")
    await resident.press("sc:inc:ok")
    code = first_payload(resident.last, ":ans:").split(":")[2]
    for payload in (f"sc:ans:{code}:perhaps", "sc:why:not_asked", "sc:ans:not_asked:yes"):
        await stale_keeps(resident, payload)
    while ":ans:" in " ".join(buttons(resident.last)):
        answer = first_payload(resident.last, ":ans:").rsplit(":", 1)[0]
        await resident.press(f"{answer}:no")
    for payload in ("sc:sum:delete", "sc:back:size", "sc:save:yes"):
        await stale_keeps(resident, payload)
    await resident.press("sc:sum:edit")
    for payload in ("sc:edit:ind:not_asked", "sc:edit:income", "sc:edit:foo:bar"):
        await stale_keeps(resident, payload)
    await resident.press("sc:back:edit")
    await resident.press("sc:sum:result")
    for payload in ("sc:save:maybe", "sc:sum:result", f"sc:ans:{code}:yes"):
        await stale_keeps(resident, payload)
    # Every answer survived: the result is the one of the answers given.
    assert VI_T("self_check.save_yes") == resident.last.choices[0].label
    await resident.press("sc:save:yes")
    assert await count_saved(app, resident) == 1


async def test_wrong_input_repeats_the_options_and_a_number_still_works(
    app: App, resident: Chat
) -> None:
    """A word at a button step shows the same options again; "1" then picks the first one."""
    await resident.press("menu:self_check")
    await resident.press("sc:area:rural")
    await resident.press("sc:loc:national")
    await resident.send("2")
    question = resident.last
    replies = await resident.send("không biết nữa")
    assert [r.text for r in replies] == [VI_T("common.choose_above")]
    assert buttons(replies[0]) == buttons(question)
    await resident.send("1")  # "Có" for the first fact
    assert resident.last.text != question.text and ":fact:" in " ".join(buttons(resident.last))
    await resident.send("Quay lại")
    assert VI_T("self_check.current_answer", answer=VI_T("self_check.fact_value.yes")) in (
        resident.last.text
    )


async def test_core_cancel_from_a_middle_step(app: App, resident: Chat) -> None:
    """Every question offers the core cancel; from an indicator it leaves, forgetting answers."""
    await resident.press("menu:self_check")
    await resident.press("sc:area:urban")
    await resident.press("sc:loc:national")
    await resident.send("1")
    await answer_facts(resident)
    await resident.press("sc:mode:hm")
    await resident.send("2000000")
    await resident.press("sc:inc:ok")
    assert "menu:cancel" in buttons(resident.last)
    old = first_payload(resident.last, ":ans:")
    replies = await resident.press("menu:cancel")
    assert replies[0].text == VI_T("menu.cancelled")
    assert "menu:self_check" in buttons(replies[-1])
    session = await app.services.sessions.load(
        resident.channel, resident.user_id, now=app.services.clock()
    )
    assert session.flow is None and session.data == {}
    stale = await resident.press(old)
    assert stale[0].text == VI_T("error.stale_button")


async def run_poor(chat: Chat) -> list[Reply]:
    """Urban, 1 person, 2.000.000 a month, three deprivations; returns the result replies."""
    await chat.press("menu:self_check")
    await chat.press("sc:area:urban")
    await chat.press("sc:loc:national")
    await chat.send("1")
    await answer_facts(chat)
    await chat.press("sc:mode:hm")
    await chat.send("2000000")
    await chat.press("sc:inc:ok")
    while ":ans:" in " ".join(buttons(chat.last)):
        payload = first_payload(chat.last, ":ans:")
        code = payload.split(":")[2]
        await chat.press(IndicatorAnswer(code, "yes" if code in THREE else "no").pack())
    return await chat.press("sc:sum:result")


async def test_result_is_short_with_one_set_of_choices_and_details_on_request(
    app: App, resident: Chat
) -> None:
    """The result is a short summary and the consent question; "Xem chi tiết" shows the rest."""
    replies = await run_poor(resident)
    short, consent = replies
    assert short.choices == ()
    assert len(short.text.splitlines()) <= 12
    assert VI_T("self_check.result_title", category=VI_T("self_check.category.poor")) in short.text
    assert VI_T("self_check.official") in short.text
    assert "cần xác nhận với cán bộ xã/phường" in short.text
    assert "Nguồn nước sinh hoạt" not in short.text  # the indicator list is in the detail
    assert buttons(consent)[:3] == ["sc:save:yes", "sc:save:no", "sc:detail"]
    assert consent.text == VI_T("self_check.consent")
    [detail] = await resident.press("sc:detail")
    assert "Thiếu hụt “Nguồn nước sinh hoạt”" in detail.text
    assert "Từ 01/01/2027 áp dụng" in detail.text and "2.800.000 ₫" in detail.text
    assert VI_T("self_check.official") in detail.text
    assert detail.text.endswith(VI_T("self_check.consent"))
    assert buttons(detail)[:2] == ["sc:save:yes", "sc:save:no"]
    assert "faq:e:mau-so-01" in buttons(detail)
    await resident.send("1")  # a typed "1" after the detail still saves
    resident.expect("self_check.saved")
    assert await count_saved(app, resident) == 1


async def test_a_question_at_the_consent_step_is_answered_and_the_choice_kept(
    app: App, resident: Chat
) -> None:
    """Typed text after the result goes to the Q&A; the consent buttons come back after it."""
    await run_poor(resident)
    replies = await resident.send("vay vốn hộ nghèo thế nào")
    assert len(replies) >= 2
    assert replies[-1].text == VI_T("flow.continue")
    assert buttons(replies[-1])[:2] == ["sc:save:yes", "sc:save:no"]
    await resident.send("2")
    resident.expect("self_check.not_saved")
    assert await count_saved(app, resident) == 0


def test_payloads_keep_their_strings_and_refuse_forgeries() -> None:
    """The typed payloads pack to today's strings; out-of-range or odd values unpack to None."""
    assert Prefilled(5, 6_000_000, "hm").pack() == "scp:5:6000000:hm"
    assert Prefilled.unpack("scp:5:6000000:hm") == Prefilled(5, 6_000_000, "hm")
    for forged in ("scp:0:1:hm", "scp:31:1:hm", "scp:5:0:hm", "scp:5:6000000:week", "scp:5:x:hm"):
        assert Prefilled.unpack(forged) is None, forged
    assert Prefilled.unpack("scp:٥:6000000:hm") is None  # non-ASCII digits
    assert back_payload("ind:water") == BackKeyed("ind", "water")
    assert back_payload("summary") == BackFrom("summary")
    assert back_payload("ind:water").pack() == "sc:back:ind:water"
    assert back_item("sc:back:ind:water") == "ind:water"
    assert back_item("sc:back:income_confirm") == "income_confirm"
    assert back_item("sc:back:foo:bar") is None
    assert edit_payload("fact:has_children_under_16").pack() == "sc:edit:fact:has_children_under_16"
    assert edit_item("sc:edit:area") == "area"
    assert edit_item("sc:edit:foo:bar") is None


def test_data_from_an_older_session_loads() -> None:
    """An older version stored the national answer as None; it loads as "national"."""
    old = SelfCheckData.load({"at": "size", "area": "urban", "locality": None, "gone": 1})
    assert old.locality == NATIONAL and old.area == "urban" and old.at == "size"
    assert SelfCheckData.load(SelfCheckData().dump()).locality == ""
    assert SelfCheckData.load({}).facts == {} and SelfCheckData.load({}).at == "area"


async def test_session_saved_by_an_older_version_goes_on_to_the_result(
    app: App, resident: Chat
) -> None:
    """A summary stored with the old "locality: None" shows the result, no question asked."""
    await run_to_summary(resident, area="urban")
    session = await app.services.sessions.load(
        resident.channel, resident.user_id, now=app.services.clock()
    )
    session.data["locality"] = None
    await app.services.sessions.save(session, now=app.services.clock(), message_id=None)
    replies = await resident.press("sc:sum:result")
    assert "sc:save:yes" in buttons(replies[-1])
    assert VI_T("self_check.result_title", category=VI_T("self_check.category.near_poor")) in (
        replies[0].text
    )
