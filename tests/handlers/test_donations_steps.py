"""The donation flows' steps: typed payloads, forged or stale buttons, repeats and the cancel."""

from __future__ import annotations

import re
from datetime import date

import pytest

from bot.app import App
from bot.core.flow import CANCEL, Payload
from bot.core.i18n import Translator, format_vnd
from handlers.donations._payloads import (
    Anonymous,
    BigAmount,
    CampaignFile,
    ConfirmCampaign,
    ConfirmGift,
    Consent,
    HubAction,
    PickCampaign,
    PickDay,
    PickDonorType,
    PickFund,
    PickMethod,
    PickScope,
    SkipNote,
)
from storage.ledger import MAX_AMOUNT, MIN_AMOUNT, Ledger
from tests.harness import Chat, make_officer, text_of

RECEIPT = re.compile(r"VNN-HC-2026-\d{6}")
METHOD_PAYLOADS = ["don:m:cash", "don:m:transfer", "don:m:in_kind", CANCEL]


async def count_entries(app: App) -> int:
    """How many ledger rows are stored."""
    row = await app.db.fetchone("SELECT COUNT(*) FROM donation_entries")
    assert row is not None
    return int(row[0])


async def step_of(app: App, chat: Chat) -> tuple[str | None, str | None, dict[str, object]]:
    """The flow, step and data stored in the chat's session."""
    session = await app.services.sessions.load(chat.channel, chat.user_id, now=app.services.clock())
    return session.flow, session.step, dict(session.data)


async def to_method(officer: Chat) -> None:
    """Start logging a gift and answer up to the method question."""
    await officer.send("/ghinhan")
    await officer.tap("Cá nhân")
    await officer.send("Lê Văn Cường")
    await officer.send("300 nghìn")
    assert [c.payload for c in officer.last.choices] == METHOD_PAYLOADS


def test_payloads_keep_the_stored_strings() -> None:
    """Every button packs to the string sessions and channels already carry, and back."""
    packed = {
        PickCampaign(12): "don:c:12",
        PickDonorType("salary"): "don:t:salary",
        Anonymous(): "don:anon",
        BigAmount("yes"): "don:big:yes",
        PickMethod("in_kind"): "don:m:in_kind",
        PickDay("yesterday"): "don:d:yesterday",
        Consent(False): "don:p:0",
        SkipNote(): "don:note:skip",
        ConfirmGift(): "don:ok",
        PickFund("doand"): "camp:f:doand",
        PickScope("province"): "camp:s:province",
        ConfirmCampaign(): "camp:ok",
        HubAction("report"): "rep:report",
        CampaignFile("xlsx", 3): "rep:xlsx:3",
    }
    for payload, raw in packed.items():
        assert payload.pack() == raw
        assert type(payload).unpack(raw) == payload


@pytest.mark.parametrize(
    ("kind", "raw"),
    [
        (PickCampaign, "don:c:0"),
        (PickCampaign, "don:c:-1"),
        (PickCampaign, "don:c:١٢"),
        (PickCampaign, "don:c:1000000000001"),
        (PickCampaign, "don:c:1:2"),
        (PickDonorType, "don:t:ghost"),
        (Anonymous, "don:anon:1"),
        (BigAmount, "don:big:maybe"),
        (PickMethod, "don:m:cheque"),
        (PickDay, "don:d:tomorrow"),
        (Consent, "don:p:yes"),
        (ConfirmGift, "don:ok:again"),
        (PickFund, "camp:f:other"),
        (PickScope, "camp:s:district"),
        (ConfirmCampaign, "camp:okay"),
        (HubAction, "rep:chart:1"),
        (CampaignFile, "rep:pdf:1"),
        (CampaignFile, "rep:csv:0"),
        (CampaignFile, "rep:log"),
    ],
)
def test_forged_payloads_unpack_to_none(kind: type[Payload], raw: str) -> None:
    """A payload out of range, outside its word set or with extra parts is not one at all."""
    assert kind.unpack(raw) is None


async def test_wrong_input_repeats_the_options(app: App, officer: Chat) -> None:
    """A wrong word or number at the method step repeats its buttons; "2" then still works."""
    await to_method(officer)
    for wrong in ("séc", "7"):
        await officer.send(wrong)
        officer.expect("common.choose_above")
        assert [c.payload for c in officer.last.choices] == METHOD_PAYLOADS
    await officer.send("2")
    officer.expect("donations.ask_bank_ref")
    flow, step, data = await step_of(app, officer)
    assert (flow, step, data["method"], data["donor_name"]) == (
        "don",
        "reference",
        "transfer",
        "Lê Văn Cường",
    )


async def test_forged_button_at_a_button_step(app: App, officer: Chat) -> None:
    """A forged method or consent payload repeats the options and loses nothing entered."""
    await to_method(officer)
    await officer.press("don:m:cheque")
    officer.expect("common.choose_above")
    assert [c.payload for c in officer.last.choices] == METHOD_PAYLOADS
    await officer.tap("Tiền mặt")
    await officer.tap("Hôm nay")
    await officer.press("don:p:maybe")
    officer.expect("common.choose_above")
    assert [c.payload for c in officer.last.choices] == ["don:p:1", "don:p:0", CANCEL]
    await officer.tap("Không công khai")
    officer.expect("donations.ask_note")
    _, _, data = await step_of(app, officer)
    assert (data["amount"], data["method"], data["public"]) == (300_000, "cash", False)


async def test_stale_button_at_a_typing_step(app: App, officer: Chat) -> None:
    """A stale button at the amount step asks for the amount again; the donor is kept."""
    await officer.send("/ghinhan")
    await officer.tap("Tổ chức")
    await officer.send("Hội Nông dân phường")
    await officer.press("don:big:yes")
    officer.expect("donations.ask_amount")
    assert officer.last.expects_text
    assert [c.payload for c in officer.last.choices] == [CANCEL]
    await officer.press("don:d:tomorrow")
    officer.expect("donations.ask_amount")
    flow, step, data = await step_of(app, officer)
    assert (flow, step, data["donor_name"]) == ("don", "amount", "Hội Nông dân phường")
    await officer.send("5 triệu")
    officer.expect("donations.ask_method")


async def test_forged_day_at_the_date_step(app: App, officer: Chat) -> None:
    """A forged day button is refused like a bad date, with the same buttons."""
    await to_method(officer)
    await officer.tap("Tiền mặt")
    await officer.press("don:d:tomorrow")
    assert "chưa đúng" in text_of(officer.history[-2:])
    assert [c.payload for c in officer.last.choices] == [
        "don:d:today",
        "don:d:yesterday",
        CANCEL,
    ]
    await officer.tap("Hôm qua")
    officer.expect("donations.ask_public")
    _, _, data = await step_of(app, officer)
    assert data["date"] == "2026-11-20"


async def test_forged_confirm_records_nothing(app: App, officer: Chat) -> None:
    """A forged payload at the confirm step repeats its buttons and records nothing."""
    await to_method(officer)
    await officer.tap("Tiền mặt")
    await officer.tap("Hôm nay")
    await officer.tap("Đồng ý công khai")
    await officer.tap("Bỏ qua")
    before = await count_entries(app)
    await officer.press("don:ok:again")
    officer.expect("common.choose_above")
    assert [c.payload for c in officer.last.choices] == ["don:ok", "don:fix", CANCEL]
    assert await count_entries(app) == before
    await officer.send("1")
    assert RECEIPT.search(text_of(officer.history[-2:])) is not None
    assert await count_entries(app) == before + 1


async def test_campaign_ids_are_checked(app: App, officer: Chat) -> None:
    """With two open campaigns, forged ids repeat the list and an unknown id is refused."""
    ledger = Ledger(app.db)
    await ledger.create_campaign(
        ward_id="20257",
        name="Tết vì người nghèo 2027",
        target=500_000_000,
        starts_on=date(2026, 11, 1),
        ends_on=date(2027, 2, 28),
        created_by=None,
        now=app.services.clock(),
    )
    await officer.send("/ghinhan")
    offered = [c.payload for c in officer.last.choices]
    assert offered[-1] == CANCEL and len(offered) == 3
    for forged in ("don:c:0", "don:c:x", "don:c:99999999999999999"):
        await officer.press(forged)
        officer.expect("common.choose_above")
        assert [c.payload for c in officer.last.choices] == offered
    await officer.press("don:c:999")
    officer.expect("donations.campaign_missing")
    chosen = PickCampaign.unpack(officer.payload_of("Tết vì người nghèo"))
    assert chosen is not None
    await officer.tap("Tết vì người nghèo")
    officer.expect("donations.ask_donor_type")
    flow, step, data = await step_of(app, officer)
    assert (flow, step, data["campaign"]) == ("don", "donor_type", chosen.id)


async def test_cancel_from_a_middle_step(app: App, officer: Chat) -> None:
    """The core cancel at the date step leaves the flow; its old buttons are then stale."""
    await to_method(officer)
    await officer.tap("Chuyển khoản")
    await officer.send("FT123")
    cancel = officer.payload_of("Huỷ")
    assert cancel == CANCEL
    await officer.press(cancel)
    officer.expect("menu.cancelled")
    assert await step_of(app, officer) == (None, None, {})
    stale = await officer.press("don:d:today")
    assert stale[0].text == Translator("vi")("error.stale_button")
    assert await count_entries(app) == 5  # the demo gifts only


async def test_text_after_the_receipt_goes_to_the_qa(app: App, officer: Chat) -> None:
    """A question typed after the receipt ends the flow and is answered as anywhere else."""
    await to_method(officer)
    await officer.tap("Tiền mặt")
    await officer.tap("Hôm nay")
    await officer.tap("Đồng ý công khai")
    await officer.tap("Bỏ qua")
    await officer.tap("Xác nhận")
    question = "Chuẩn hộ nghèo ở thành thị là bao nhiêu?"
    answer = text_of(await officer.send(question))
    flow, step, data = await step_of(app, officer)
    assert (flow, step, data.get("receipt")) == (None, None, None)
    other = Chat(app, "officer-3")
    await make_officer(app, other)
    assert answer == text_of(await other.send(question))


async def test_campaign_flow_forged_and_cancelled(app: App) -> None:
    """Forged fund and scope payloads repeat the options; the cancel creates nothing."""
    admin = Chat(app, "admin-2")
    await make_officer(app, admin, role="admin")
    await admin.send("/taodot")
    await admin.send("Đợt thử")
    funds = [c.payload for c in admin.last.choices]
    assert funds == ["camp:f:vnn", "camp:f:doand", CANCEL]
    await admin.press("camp:f:other")
    admin.expect("common.choose_above")
    assert [c.payload for c in admin.last.choices] == funds
    await admin.send("1")
    scopes = [c.payload for c in admin.last.choices]
    assert scopes == ["camp:s:ward", "camp:s:province", CANCEL]
    await admin.press("camp:s:district")
    admin.expect("common.choose_above")
    assert [c.payload for c in admin.last.choices] == scopes
    await admin.send("2")
    admin.expect("donations.camp_ask_target")
    await admin.press("camp:ok")
    admin.expect("donations.camp_ask_target")
    assert admin.last.expects_text
    await admin.send("nhiều")
    admin.expect("donations.camp_ask_target")
    assert Translator("vi")("donations.amount_bad") in text_of(admin.history[-2:])
    await admin.send("2 tỷ")
    await admin.press(CANCEL)
    admin.expect("menu.cancelled")
    assert await step_of(app, admin) == (None, None, {})
    row = await app.db.fetchone("SELECT COUNT(*) FROM donation_campaigns WHERE name = 'Đợt thử'")
    assert row is not None and row[0] == 0


async def test_forged_report_buttons(app: App, officer: Chat) -> None:
    """Forged report payloads are unknown buttons; the real ones still export."""
    for forged in ("rep:pdf:1", "rep:csv:0", "rep:csv:1:2", "rep:logs"):
        replies = await officer.press(forged)
        assert replies[0].text == Translator("vi")("error.unknown_button")
        assert replies[0].attachment is None
    await officer.send("/baocao")
    assert [c.payload for c in officer.last.choices] == ["rep:chart:1", "rep:csv:1", "rep:xlsx:1"]
    exported = await officer.tap("CSV")
    assert exported[0].attachment is not None
    assert exported[0].attachment.filename == "so-thu-1-2026-11-21.csv"


RANGE = Translator("vi")(
    "donations.amount_range", low=format_vnd(MIN_AMOUNT), high=format_vnd(MAX_AMOUNT)
)


async def test_gift_amounts_out_of_range_keep_the_amount_step(app: App, officer: Chat) -> None:
    """10²³ đồng or 999 đồng is refused naming 1.000 ₫–100 tỷ ₫; the donor is kept."""
    await officer.send("/ghinhan")
    await officer.tap("Cá nhân")
    await officer.send("Lê Văn Cường")
    for typed in ("1" + "0" * 23, "999 đồng", f"{MAX_AMOUNT + 1} đồng", "9" * 150):
        replies = await officer.send(typed)
        assert replies[0].text == RANGE, typed
        officer.expect("donations.ask_amount")
        flow, step, data = await step_of(app, officer)
        assert (flow, step, data["donor_name"]) == ("don", "amount", "Lê Văn Cường")
    await officer.send(f"{MAX_AMOUNT} đồng")
    _, step, data = await step_of(app, officer)
    assert (step, data["amount"]) == ("amount_confirm", MAX_AMOUNT)


async def test_gift_amount_in_full_width_and_arabic_indic_digits(app: App, officer: Chat) -> None:
    """An amount in full-width or Arabic-Indic digits is read, on purpose, like ASCII digits."""
    await officer.send("/ghinhan")
    await officer.tap("Cá nhân")
    await officer.send("Lê Văn Cường")
    await officer.send("５ triệu")
    officer.expect("donations.ask_method")
    assert (await step_of(app, officer))[2]["amount"] == 5_000_000
    await officer.press(CANCEL)
    await officer.send("/ghinhan")
    await officer.tap("Cá nhân")
    await officer.send("Lê Văn Cường")
    await officer.send("٣٠٠٠٠٠")
    officer.expect("donations.ask_method")
    assert (await step_of(app, officer))[2]["amount"] == 300_000


async def test_campaign_target_out_of_range_keeps_the_target_step(app: App) -> None:
    """A target of 10²³ đồng is refused naming the range; the name and fund are kept."""
    admin = Chat(app, "admin-3")
    await make_officer(app, admin, role="admin")
    await admin.send("/taodot")
    await admin.send("Đợt lớn")
    await admin.press("camp:f:vnn")
    await admin.press("camp:s:ward")
    replies = await admin.send("1" + "0" * 23)
    assert replies[0].text == RANGE
    admin.expect("donations.camp_ask_target")
    flow, step, data = await step_of(app, admin)
    assert (flow, step, data["name"], data["fund"]) == ("camp", "target", "Đợt lớn", "vnn")
    await admin.send("２ tỷ")
    admin.expect("donations.camp_ask_start")
    assert (await step_of(app, admin))[2]["target"] == 2_000_000_000
