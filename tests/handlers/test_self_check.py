"""The household self-check through the real core (Chat), on a real SQLite file."""

from __future__ import annotations

import subprocess
import sys
import unicodedata
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path

from babel.messages.pofile import read_po

from bot.app import App
from bot.core.i18n import Translator
from bot.core.types import Reply
from knowledge.assessment import CATEGORY_LABELS_VI
from tests.harness import Chat, FakeClock, new_app, text_of

ROOT = Path(__file__).resolve().parents[2]
VI_T = Translator("vi")


async def count_saved(app: App, chat: Chat) -> int:
    """Rows saved for the chat's user."""
    row = await app.db.fetchone(
        "SELECT COUNT(*) AS n FROM self_check_results r JOIN users u ON u.id = r.user_id"
        " WHERE u.channel = ? AND u.external_id = ?",
        (chat.channel, chat.user_id),
    )
    assert row is not None
    return int(row["n"])


def buttons(reply: Reply) -> list[str]:
    """Payloads of a reply's buttons."""
    return [choice.payload for choice in reply.choices]


def giamngheo(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    """Run `python -m bot` with these arguments from the repository root."""
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
        check=False,
    )


async def answer_facts(chat: Chat, facts: dict[str, str] | None = None) -> None:
    """Answer every fact question (default: adults only, no children, nobody 16–30)."""
    wanted = {"has_member_working_age": "yes", "has_member_6_plus": "yes", **(facts or {})}
    while any(":fact:" in payload for payload in buttons(chat.last)):
        fact = next(p for p in buttons(chat.last) if ":fact:" in p).split(":")[2]
        await chat.press(f"sc:fact:{fact}:{wanted.get(fact, 'no')}")


async def answer_indicators(
    chat: Chat, *, deprived: Iterable[str] = (), unknown: Iterable[str] = ()
) -> list[str]:
    """Answer every indicator question; returns the codes asked, in order."""
    deprived, unknown = set(deprived), set(unknown)
    asked = []
    while any(":ans:" in payload for payload in buttons(chat.last)):
        code = next(p for p in buttons(chat.last) if ":ans:" in p).split(":")[2]
        asked.append(code)
        # "Có" (yes) always means deprived.
        answer = "unknown" if code in unknown else "yes" if code in deprived else "no"
        await chat.press(f"sc:ans:{code}:{answer}")
    return asked


async def choose_area(chat: Chat, area: str) -> None:
    """Pick xã / phường / không rõ by button, and the national standard if it is asked."""
    await chat.press(f"sc:area:{area}")
    if "sc:loc:national" in buttons(chat.last):
        await chat.press("sc:loc:national")


async def run_to_summary(
    chat: Chat,
    *,
    area: str = "urban",
    size: str = "1",
    mode: str = "hm",
    amount: str = "2000000",
    deprived: Iterable[str] = (),
    unknown: Iterable[str] = (),
    facts: dict[str, str] | None = None,
) -> None:
    """Go through the questionnaire up to the summary."""
    await chat.press("menu:self_check")
    await choose_area(chat, area)
    await chat.send(size)
    await answer_facts(chat, facts)
    await chat.press(f"sc:mode:{mode}")
    await chat.send(amount)
    await chat.press("sc:inc:ok")
    await answer_indicators(chat, deprived=deprived, unknown=unknown)
    assert "Kiểm tra lại các câu trả lời" in chat.last.text


async def result_text(chat: Chat) -> str:
    """Press "Xem kết quả", then "Xem chi tiết"; return the short result and the detail."""
    short = await chat.press("sc:sum:result")
    assert "sc:detail" in buttons(short[-1]) and not any(r.choices for r in short[:-1])
    return text_of([*short, *await chat.press("sc:detail")])


THREE = ("housing_quality", "water", "sanitation")


async def test_poor_at_the_line_with_three_deprivations(app: App, resident: Chat) -> None:
    """Urban, 1 person, income exactly at the 2.000.000 line and 3 deprivations → poor."""
    await run_to_summary(resident, amount="2000000", deprived=THREE)
    text = await result_text(resident)
    assert "Kết quả tham khảo: hộ nghèo." in text
    assert "Chuẩn nghèo đa chiều quốc gia giai đoạn 2022–2025" in text
    assert "Nghị định 07/2021/NĐ-CP" in text
    assert "Tổng thu nhập của hộ: 2.000.000 ₫/tháng cho 1 người" in text
    assert "Thu nhập của hộ trong mức này" in text
    assert "Thiếu hụt “Nguồn nước sinh hoạt”" in text
    assert "VBHN 1315/VBHN-BLĐTBXH, Phiếu B2, mục 5.1" in text
    assert "Mẫu số 01" in text and "01/09 đến 14/12" in text and "ngày 15" in text
    assert "chính thức là hộ nghèo, hộ cận nghèo khi UBND xã/phường/đặc khu công nhận" in text
    # December 2026: the same answers under the 2027 standard, provisional.
    assert "Từ 01/01/2027 áp dụng Chuẩn nghèo đa chiều quốc gia giai đoạn 2026–2030" in text
    assert "hộ nghèo" in text.split("Từ 01/01/2027", 1)[1]
    assert "Kết quả theo chuẩn mới là tạm tính" in text
    assert "faq:e:bhyt-ho-ngheo" in {c.payload for r in resident.history[-4:] for c in r.choices}
    assert "Lưu kết quả để lần sau xem lại?" in resident.last.text
    assert await count_saved(app, resident) == 0


async def test_near_poor_at_line_and_average_one_dong_above(app: App, resident: Chat) -> None:
    """At the line with no deprivation → near-poor; one đồng above → average living."""
    await run_to_summary(resident, amount="2000000")
    assert "Kết quả tham khảo: hộ cận nghèo." in await result_text(resident)
    await resident.press("sc:save:no")
    await run_to_summary(resident, amount="2000001", deprived=THREE)
    text = await result_text(resident)
    assert "Kết quả tham khảo: hộ có mức sống trung bình." in text
    assert "2.000.001 ₫" in text


async def test_average_at_top_and_not_poor_one_dong_above(app: App, resident: Chat) -> None:
    """Urban 3.000.000 is still average living; 3.000.001 is neither poor nor near-poor."""
    await run_to_summary(resident, amount="3000000")
    assert "Kết quả tham khảo: hộ có mức sống trung bình." in await result_text(resident)
    await resident.press("sc:save:no")
    await run_to_summary(resident, amount="3000001")
    text = await result_text(resident)
    assert "Kết quả tham khảo: không thuộc diện hộ nghèo, cận nghèo." in text
    assert "faq:e:thu-nhap-cao-hon-chuan" in buttons(resident.last)


async def test_standard_switches_on_1_january_2027(app: App, clock: FakeClock) -> None:
    """Rural 2.000.000: average living on 31/12/2026 (2022–2025), near-poor on 01/01/2027."""
    clock.now = datetime(2026, 12, 31, 10, 0, tzinfo=UTC)
    chat = Chat(app, "clock-1")
    await run_to_summary(chat, area="rural", amount="2 triệu")
    text = await result_text(chat)
    assert "Kết quả tham khảo: hộ có mức sống trung bình." in text
    assert "giai đoạn 2022–2025" in text and "31/12/2026" in text
    assert "Với cùng các câu trả lời, hộ có thể là: hộ cận nghèo" in text
    await chat.press("sc:save:no")
    clock.now = datetime(2027, 1, 1, 1, 0, tzinfo=UTC)
    await run_to_summary(chat, area="rural", amount="2 triệu")
    text = await result_text(chat)
    assert "Kết quả tham khảo: hộ cận nghèo." in text
    assert "Nghị định 351/2025/NĐ-CP" in text and "01/01/2027" in text
    assert "2.200.000 ₫" in text
    assert "Số chỉ số thiếu hụt đã biết" in text and "Từ 01/01/2027 áp dụng" not in text


async def test_session_across_new_year_keeps_its_standard_and_offers_redo(
    app: App, clock: FakeClock
) -> None:
    """Started 31/12/2026 (Vietnam time), finished 01/01/2027: 2022–2025 is used, redo offered."""
    clock.now = datetime(2026, 12, 31, 16, 30, tzinfo=UTC)  # 23:30 on 31/12 in Vietnam
    chat = Chat(app, "new-year")
    await chat.press("menu:self_check")
    await choose_area(chat, "rural")
    await chat.send("4")
    await answer_facts(chat)
    clock.now = datetime(2026, 12, 31, 17, 5, tzinfo=UTC)  # 00:05 on 01/01/2027
    await chat.press("sc:mode:hm")
    await chat.send("8 triệu")
    await chat.press("sc:inc:ok")
    asked = await answer_indicators(chat, deprived=("water",))
    assert "information_access" in asked and "internet_access" not in asked
    text = await result_text(chat)
    assert "Kết quả tham khảo: hộ có mức sống trung bình." in text
    assert "Bạn bắt đầu bài kiểm tra ngày 31/12/2026" in text
    assert "chuẩn nghèo quốc gia 2027–2030" in text
    assert "sc:redo" in {c.payload for r in chat.history[-4:] for c in r.choices}
    replies = await chat.press("sc:redo")
    assert "Kiểm tra lại theo chuẩn đang áp dụng hôm nay" in replies[0].text
    asked_again = await answer_indicators(chat)
    assert {"internet_access", "digital_services", "waste_treatment"} <= set(asked_again)
    assert "water" not in asked_again  # kept from the first pass
    text = await result_text(chat)
    assert "Kết quả tham khảo: hộ cận nghèo." in text and "Bạn bắt đầu" not in text


async def test_exact_income_one_dong_over_four_people(app: App, resident: Chat) -> None:
    """Rural, 4 people, 6.000.001 đồng a month with 3 deprivations is not poor (above the line)."""
    await run_to_summary(resident, area="rural", size="4", amount="6000000", deprived=THREE)
    assert "Kết quả tham khảo: hộ nghèo." in await result_text(resident)
    await resident.press("sc:save:no")
    await run_to_summary(resident, area="rural", size="4", amount="6000001", deprived=THREE)
    text = await result_text(resident)
    assert "Kết quả tham khảo: hộ có mức sống trung bình." in text
    assert "với 4 người là 6.000.000 ₫/tháng. Thu nhập của hộ cao hơn mức này" in text


async def test_unknown_area_shows_both_results(app: App, resident: Chat) -> None:
    """A đặc khu (typed) is assessed as rural and urban, and the headline gives both."""
    await resident.press("menu:self_check")
    replies = await resident.send("dac khu ly son")
    assert "Đặc khu Lý Sơn, Tỉnh Quảng Ngãi" in replies[0].text
    assert "tính cả hai cách" in replies[0].text
    await resident.send("1")
    await answer_facts(resident)
    await resident.press("sc:mode:hm")
    await resident.send("1800000")
    await resident.press("sc:inc:ok")
    await answer_indicators(resident)
    text = await result_text(resident)
    assert "nếu tính là nông thôn, hộ có mức sống trung bình" in text
    assert "nếu tính là thành thị, hộ cận nghèo" in text
    assert "Nếu tính là nông thôn:" in text and "Nếu tính là thành thị:" in text


async def test_hcmc_commune_uses_the_city_standard_and_shows_the_national_one(
    app: App, resident: Chat
) -> None:
    """A HCMC phường: the city's 46 M standard, with the national reading for national rights."""
    await resident.press("menu:self_check")
    await resident.send("phuong ben thanh tphcm")
    await resident.send("2")
    await answer_facts(resident)
    await resident.press("sc:mode:hy")
    await resident.send("92 triệu")
    await resident.press("sc:inc:ok")
    await answer_indicators(resident, deprived=THREE)
    text = await result_text(resident)
    assert "Kết quả tham khảo: hộ nghèo." in text
    assert "chuẩn riêng của thành phố" in text and "46.000.000" in text
    assert "Theo Chuẩn nghèo đa chiều quốc gia giai đoạn 2022–2025" in text
    assert "không thuộc diện hộ nghèo, cận nghèo" in text.split("🇻🇳", 1)[1]


async def test_typed_commune_ambiguity_and_not_found(app: App, resident: Chat) -> None:
    """An ambiguous name offers the candidates with their province; nonsense asks again."""
    await resident.press("menu:self_check")
    replies = await resident.send("an binh")
    assert "Bạn ở nơi nào?" in replies[-1].text
    labels = [c.label for c in replies[-1].choices if c.payload.startswith("sc:unit:")]
    assert len(labels) >= 2 and all("," in label for label in labels)
    forged = await resident.press("sc:unit:20257")
    assert "Nút đó thuộc một câu đã qua" in forged[0].text
    await resident.press(replies[-1].choices[0].payload)
    assert "bao nhiêu người" in resident.last.text or "chuẩn nào" in resident.last.text
    await resident.press("menu:self_check")
    replies = await resident.send("zzzz qqqq")
    assert "chưa tìm thấy" in replies[0].text and "Câu 1/" in replies[-1].text


async def test_province_standard_asked_only_when_the_province_is_unknown(
    app: App, resident: Chat
) -> None:
    """HCMC has its own standard in 2026: asked after a bare "Phường", not after a named commune."""
    await resident.press("menu:self_check")
    assert "Câu 1/" in resident.last.text
    assert "xã, phường hay đặc khu" in resident.last.text
    assert "sc:area:unknown" in buttons(resident.last)
    await resident.press("sc:area:urban")
    assert {"sc:loc:national", "sc:loc:hcm"} <= set(buttons(resident.last))
    await resident.press("sc:back:locality")
    replies = await resident.send("phuong hoa cuong da nang")
    assert "📍 Phường Hòa Cường, Thành phố Đà Nẵng" in replies[0].text
    assert "thành thị" in replies[0].text and "bao nhiêu người" in resident.last.text
    assert "sc:loc:national" not in buttons(resident.last)


async def test_progress_why_and_back_keep_answers(app: App, resident: Chat) -> None:
    """Progress is shown; "Vì sao hỏi?" explains and repeats; Back shows the stored answer."""
    await resident.press("menu:self_check")
    await choose_area(resident, "rural")
    await resident.send("3")
    await answer_facts(resident)
    await resident.press("sc:mode:hm")
    await resident.send("4tr5")
    assert "4.500.000 ₫ mỗi tháng (cả hộ) — đúng không?" in resident.last.text
    await resident.press("sc:inc:ok")
    first = resident.last
    total = first.text.split("/")[1].split()[0]
    assert first.text.startswith("Câu ") and int(total) >= 12
    code = next(p for p in buttons(first) if ":why:" in p).split(":")[2]
    replies = await resident.press(f"sc:why:{code}")
    assert "Vì sao hỏi" in replies[0].text and "Căn cứ: VBHN 1315/VBHN-BLĐTBXH" in replies[0].text
    assert "Định nghĩa chính thức: “Hộ gia đình" in replies[0].text
    assert replies[1].text == first.text
    number = int(first.text.split("/")[0].removeprefix("Câu "))
    await resident.press(f"sc:ans:{code}:yes")
    assert resident.last.text.startswith(f"Câu {number + 1}/{total}")


async def test_back_returns_previous_step_with_stored_answer(app: App, resident: Chat) -> None:
    """Back from the first indicator goes to the income step showing the confirmed amount."""
    await resident.press("menu:self_check")
    await choose_area(resident, "rural")
    await resident.send("2")
    await answer_facts(resident)
    await resident.press("sc:mode:hm")
    await resident.send("3 triệu")
    await resident.press("sc:inc:ok")
    code = next(p for p in buttons(resident.last) if ":ans:" in p).split(":")[2]
    await resident.press(f"sc:ans:{code}:yes")
    second = next(p for p in buttons(resident.last) if ":back:" in p)
    await resident.press(second)
    assert "(Bạn đã trả lời: thiếu." in resident.last.text
    await resident.press(f"sc:back:ind:{code}")
    assert "Bạn đã trả lời: 3.000.000 ₫ mỗi tháng (cả hộ)" in resident.last.text
    await resident.press("sc:back:income")
    assert "khai thu nhập" in resident.last.text
    await resident.press("sc:mode:hm")
    await resident.send("3 triệu")
    await resident.press("sc:inc:ok")
    # The earlier answer is still there when going forward again.
    assert "(Bạn đã trả lời: thiếu." in resident.last.text


async def test_double_tap_does_not_answer_the_next_question(app: App, resident: Chat) -> None:
    """The same answer payload twice: the second is stale and the next question stays open."""
    await resident.press("menu:self_check")
    await choose_area(resident, "urban")
    await resident.send("1")
    await answer_facts(resident)
    await resident.press("sc:mode:hm")
    await resident.send("1000000")
    await resident.press("sc:inc:ok")
    code = next(p for p in buttons(resident.last) if ":ans:" in p).split(":")[2]
    await resident.press(f"sc:ans:{code}:yes")
    after_first = resident.last.text
    replies = await resident.press(f"sc:ans:{code}:yes")
    assert "Nút đó thuộc một câu đã qua" in replies[0].text
    assert replies[-1].text == after_first


async def test_edit_income_from_summary(app: App, resident: Chat) -> None:
    """Sửa → Thu nhập → new amount → back to the summary with the new value and result."""
    await run_to_summary(resident, amount="2000000")
    await resident.press("sc:sum:edit")
    assert "sc:edit:income_mode" in buttons(resident.last)
    await resident.press("sc:edit:income_mode")
    await resident.press("sc:mode:pm")
    await resident.send("3.500.000")
    assert "3.500.000 ₫ mỗi người mỗi tháng — đúng không?" in resident.last.text
    await resident.press("sc:inc:ok")
    assert "Kiểm tra lại các câu trả lời" in resident.last.text
    assert "Thu nhập: 3.500.000 ₫ mỗi người mỗi tháng" in resident.last.text
    text = await result_text(resident)
    assert "Kết quả tham khảo: không thuộc diện hộ nghèo, cận nghèo." in text


async def test_edit_an_indicator_returns_to_summary(app: App, resident: Chat) -> None:
    """Editing one indicator answer asks it again (with the old answer) and returns."""
    await run_to_summary(resident, amount="2000000")
    await resident.press("sc:sum:edit")
    await resident.press("sc:edit:ind:water")
    assert "(Bạn đã trả lời: đủ." in resident.last.text
    await resident.press("sc:ans:water:yes")
    assert "Kiểm tra lại các câu trả lời" in resident.last.text
    assert "• Nguồn nước sinh hoạt: thiếu" in resident.last.text
    assert ": Có" not in resident.last.text and ": Không" not in resident.last.text
    await resident.press("sc:sum:edit")
    await resident.press("sc:edit:area")
    await resident.press("sc:back:area")
    assert "Bạn muốn sửa câu nào?" in resident.last.text
    await resident.press("sc:back:edit")
    assert "• Nơi ở: Phường (tính là thành thị)" in resident.last.text


async def test_cancel_button_and_command(app: App, resident: Chat) -> None:
    """Huỷ leaves the flow, keeps nothing; /cancel works mid-way too."""
    await resident.press("menu:self_check")
    await resident.press("sc:area:urban")
    replies = await resident.press("menu:cancel")
    assert replies[0].text == VI_T("menu.cancelled")
    assert "menu:self_check" in buttons(replies[-1])
    stale = await resident.press("sc:area:urban")
    assert "đã kết thúc hoặc đã huỷ" in stale[0].text
    await resident.press("menu:self_check")
    await resident.press("sc:area:urban")
    replies = await resident.send("/cancel")
    assert "Đã huỷ thao tác" in replies[0].text
    assert await count_saved(app, resident) == 0


async def test_unknown_answers_are_flagged(app: App, resident: Chat) -> None:
    """Answers of "Không rõ" are listed and may change the result."""
    await run_to_summary(
        resident, amount="1500000", deprived=("water", "sanitation"), unknown=("telecom",)
    )
    assert "• Sử dụng dịch vụ viễn thông: không rõ" in resident.last.text
    text = await result_text(resident)
    assert "Kết quả tham khảo: hộ cận nghèo." in text
    assert "Bạn trả lời “Không rõ” ở 1 câu: “Sử dụng dịch vụ viễn thông”" in text
    assert "có thể là hộ nghèo" in text


async def test_bad_size_and_ambiguous_amount_lose_nothing(app: App, resident: Chat) -> None:
    """A bad size and an unclear amount get a clear message; earlier answers stay."""
    await resident.press("menu:self_check")
    await choose_area(resident, "rural")
    for bad in ("0", "31", "bốn", "4.5"):
        replies = await resident.send(bad)
        assert "số nguyên từ 1 đến 30" in replies[0].text
        assert "bao nhiêu người" in replies[-1].text
    await resident.send("4 người")
    await answer_facts(resident)
    await resident.press("sc:mode:hm")
    replies = await resident.send("1 triệu 25")
    assert "nhiều cách nên tôi không đoán" in replies[0].text
    assert "Ví dụ cách gõ" in replies[1].text
    replies = await resident.send("800")
    assert "không đoán" in replies[0].text
    replies = await resident.send("36 triệu/năm")
    assert "khai theo tháng nhưng số tiền ghi theo năm" in replies[0].text
    await resident.send("6 triệu")
    assert "6.000.000 ₫ mỗi tháng (cả hộ) — đúng không?" in resident.last.text
    await resident.press("sc:inc:again")
    await resident.send("6tr")
    await resident.press("sc:inc:ok")
    await answer_indicators(resident)
    assert "• Nơi ở: Xã (tính là nông thôn)" in resident.last.text
    assert "• Số người trong hộ: 4 người" in resident.last.text
    text = await result_text(resident)
    assert "bình quân khoảng 1.500.000 ₫/người/tháng" in text
    assert "Kết quả tham khảo: hộ cận nghèo." in text


async def test_yearly_income_is_compared_as_a_yearly_total(app: App, resident: Chat) -> None:
    """72 triệu a year for 3 people is at the urban line × 3 × 12; one đồng more is above it."""
    await run_to_summary(resident, area="urban", size="3", mode="hy", amount="72 triệu")
    text = await result_text(resident)
    assert "Tổng thu nhập của hộ: 72.000.000 ₫/năm cho 3 người" in text
    assert "Kết quả tham khảo: hộ cận nghèo." in text
    await resident.press("sc:save:no")
    await run_to_summary(resident, area="urban", size="3", mode="hy", amount="72.000.001")
    text = await result_text(resident)
    assert "Kết quả tham khảo: hộ có mức sống trung bình." in text


async def test_children_facts_decide_questions(app: App, resident: Chat) -> None:
    """With children aged 3–15 the schooling and nutrition questions are asked; without, not."""
    await resident.press("menu:self_check")
    await choose_area(resident, "urban")
    await resident.send("4")
    await answer_facts(resident, {"has_children_under_16": "yes", "has_children_3_15": "yes"})
    await resident.press("sc:mode:hm")
    await resident.send("8 triệu")
    await resident.press("sc:inc:ok")
    with_children = await answer_indicators(resident)
    assert {"child_schooling", "nutrition"} <= set(with_children)
    await resident.press("menu:cancel")
    await run_to_summary(resident, size="2")
    assert "Tình trạng đi học của trẻ em" not in resident.last.text
    assert "Dinh dưỡng" not in resident.last.text


async def test_restart_midway_continues_at_same_step(tmp_path: Path, clock: FakeClock) -> None:
    """Closing the app and building a new one on the same file continues at the same step."""
    path = tmp_path / "restart.sqlite3"
    first = await new_app(path, clock)
    chat = Chat(first, "restart-1")
    await chat.press("menu:self_check")
    await choose_area(chat, "urban")
    await chat.send("1")
    asked = buttons(chat.last)
    await first.close()
    second = await new_app(path, clock)
    try:
        chat = Chat(second, "restart-1")
        replies = await chat.send("hmm")
        assert replies[-1].text == VI_T("common.choose_above") and buttons(replies[-1]) == asked
        await answer_facts(chat)
        await chat.press("sc:mode:hm")
        await chat.send("2000000")
        await chat.press("sc:inc:ok")
        await answer_indicators(chat)
        assert "• Số người trong hộ: 1 người" in chat.last.text
    finally:
        await second.close()


async def test_consent_required_to_save_and_erase(app: App, resident: Chat) -> None:
    """Not saved on "Không lưu"; saved on "Có"; /ketqua shows it; /xoadulieu deletes it."""
    await run_to_summary(resident, amount="2000000", deprived=THREE)
    await result_text(resident)
    replies = await resident.press("sc:save:no")
    assert "Không lưu gì cả" in replies[0].text
    assert await count_saved(app, resident) == 0
    assert "chưa lưu kết quả" in text_of(await resident.send("/ketqua"))

    await run_to_summary(resident, amount="2000000", deprived=THREE)
    await result_text(resident)
    replies = await resident.press("sc:save:yes")
    assert "Đã lưu kết quả" in replies[0].text
    again = await resident.press("sc:save:yes")
    assert "đã kết thúc hoặc đã huỷ" in again[0].text
    assert await count_saved(app, resident) == 1
    row = await app.db.fetchone(
        "SELECT checked_on, standard_id, category, income_per_person, deprived"
        " FROM self_check_results"
    )
    assert row is not None
    assert dict(row) == {
        "checked_on": "2026-11-21",
        "standard_id": "vn-2022-2025",
        "category": "poor",
        "income_per_person": 2_000_000,
        "deprived": '["housing_quality", "water", "sanitation"]',
    }
    shown = text_of(await resident.send("/ketqua"))
    assert "21/11/2026: hộ nghèo — chuẩn nghèo quốc gia 2022–2025" in shown
    assert "2.000.000 ₫/người/tháng" in shown and "Nguồn nước sinh hoạt" in shown
    # Urban, 2.000.000 ≤ 2.800.000 and 3 deprivations the 2027 set keeps: poor, for sure.
    assert "→ Từ 01/01/2027, theo chuẩn mới, các câu trả lời này cho: hộ nghèo." in shown

    await resident.send("/xoadulieu")
    await resident.press("privacy:yes")
    assert await count_saved(app, resident) == 0
    assert "chưa lưu kết quả" in text_of(await resident.send("/ketqua"))


async def test_typed_numbers_choose_buttons(app: App, resident: Chat) -> None:
    """On button steps a typed number picks the button (console / Zalo style)."""
    await resident.press("menu:self_check")
    await resident.send("2")
    assert "chuẩn nào" in resident.last.text
    await resident.send("1")
    assert "bao nhiêu người" in resident.last.text
    await resident.send("Quay lại")
    assert "chuẩn nào" in resident.last.text
    await resident.send("Quay lại")
    assert "xã, phường hay đặc khu" in resident.last.text
    assert "(Bạn đã trả lời: Phường (tính là thành thị)." in resident.last.text


def _catalog(language: str) -> dict[str, str]:
    path = ROOT / "locale" / language / "LC_MESSAGES" / "self_check.po"
    with path.open("rb") as handle:
        catalog = read_po(handle)
    return {str(m.id): str(m.string) for m in catalog if m.id}


def test_catalogs_complete_nfc_and_categories_match() -> None:
    """Both catalogs have the same keys, Vietnamese is NFC and category labels match the data."""
    vi, en = _catalog("vi"), _catalog("en")
    assert set(vi) == set(en)
    assert all(key.startswith("self_check.") and value for key, value in vi.items())
    assert all(unicodedata.normalize("NFC", value) == value for value in vi.values())
    for category, label in CATEGORY_LABELS_VI.items():
        assert vi[f"self_check.category.{category}"] == label
    faq_ids = {path.stem for path in (ROOT / "knowledge" / "faq").glob("*.md")}
    linked = {
        key.removeprefix("self_check.faq.") for key in vi if key.startswith("self_check.faq.")
    }
    assert linked <= faq_ids


def test_classify_cli_reports_bad_row(tmp_path: Path) -> None:
    """`giamngheo classify` classifies good rows, reports the bad one, writes the CSV."""
    source = tmp_path / "ho.csv"
    source.write_text(
        "id,area,members,monthly_income\nH1,urban,1,2000000\nH2,rural,0,1000000\n"
        "H3,urban,2,9000000\n",
        encoding="utf-8",
    )
    out = tmp_path / "kq.csv"
    run = giamngheo(
        *("--db", str(tmp_path / "x.sqlite3"), "classify", str(source)),
        *("--date", "2026-11-21", "-o", str(out)),
    )
    assert run.returncode == 0, run.stderr
    assert "Số hộ đã phân loại: 2; số dòng lỗi: 1." in run.stdout
    assert "Dòng 3:" in run.stdout
    assert "hộ cận nghèo: 1" in run.stdout
    written = out.read_text(encoding="utf-8-sig")
    assert "H1" in written and "near_poor" in written

    stdout_run = giamngheo("classify", str(source), "--date", "2026-11-21")
    assert stdout_run.returncode == 0
    assert stdout_run.stdout.splitlines()[0].startswith("id,area,members,monthly_income,standard")
    assert "Số hộ đã phân loại: 2" in stdout_run.stderr

    empty = tmp_path / "empty.csv"
    empty.write_text("", encoding="utf-8")
    failed = giamngheo("classify", str(empty))
    assert failed.returncode == 2
    assert "Lỗi định dạng tệp" in failed.stderr
    old = giamngheo("classify", str(source), "--date", "2010-01-01")
    assert old.returncode == 2
    assert "Không có chuẩn nghèo nào áp dụng vào ngày 01/01/2010" in old.stderr


def test_console_chat_runs_the_self_check(tmp_path: Path) -> None:
    """`python -m bot chat` with piped input goes through the self-check and prints the result."""
    # Menu item 2 (self-check), urban (phường), national standard, 1 person; facts: working
    # age and 6+ yes, children and 16–30 no; income per household per month, 2.000.000, confirm.
    lines = ["/start", "2", "2", "1", "1", "1", "1", "2", "2", "1", "2000000", "1"]
    # 9 indicators (12 minus nutrition, child schooling, adult education): "2" (Không, hộ đủ)
    # everywhere, since "Có" always means deprived; then "Xem kết quả", "Không lưu".
    lines += ["2", "2", "2", "2", "2", "2", "2", "2", "2", "1", "2"]
    run = giamngheo("--db", str(tmp_path / "c.sqlite3"), "chat", stdin="\n".join(lines) + "\n")
    assert run.returncode == 0, run.stderr
    assert "Kết quả tham khảo: hộ cận nghèo." in run.stdout, run.stdout[-3000:]
    assert "Lưu kết quả để lần sau xem lại?" in run.stdout
    assert "Không lưu gì cả" in run.stdout


async def test_english_locale_asks_in_english(app: App, resident: Chat) -> None:
    """After /lang en the questionnaire's own texts are English."""
    await resident.send("/lang en")
    # The introduction and question 1 arrive as one message.
    [first] = await resident.press("menu:self_check")
    assert first.text.startswith("📋 Household self-check")
    assert "\n\nQuestion 1/" in first.text and "xã, phường or đặc khu" in first.text


def test_classify_cli_compare_date_prints_the_impact(tmp_path: Path) -> None:
    """`giamngheo classify --compare-date 2027-01-01` adds the 2027 columns and the summary."""
    source = tmp_path / "ho.csv"
    source.write_text(
        "id,area,members,monthly_income,employment,water,sanitation\n"
        "H1,rural,2,4000000,1,1,1\nH2,urban,1,9000000,0,0,0\n",
        encoding="utf-8",
    )
    out = tmp_path / "kq.xlsx"
    run = giamngheo(
        *("--db", str(tmp_path / "x.sqlite3"), "classify", str(source), "--date", "2026-12-01"),
        *("--compare-date", "2027-01-01", "-o", str(out)),
    )
    assert run.returncode == 0, run.stderr
    assert "So sánh với Chuẩn nghèo đa chiều quốc gia giai đoạn 2026–2030" in run.stdout
    assert "hộ có mức sống trung bình → hộ nghèo: 1" in run.stdout
    assert "không thuộc diện hộ nghèo, cận nghèo → không thuộc diện hộ nghèo, cận nghèo: 1" in (
        run.stdout
    )
    assert out.exists()


async def test_the_switch_happens_at_midnight_vietnam_time(app: App, clock: FakeClock) -> None:
    """16:59:59 UTC on 31/12/2026 is still 2026 in Vietnam; 17:00:00 UTC is 01/01/2027."""
    clock.now = datetime(2026, 12, 31, 16, 59, 59, tzinfo=UTC)
    before = Chat(app, "midnight-1")
    await run_to_summary(before, area="rural")
    assert "Chuẩn sẽ dùng: Chuẩn nghèo đa chiều quốc gia giai đoạn 2022–2025." in before.last.text
    clock.now = datetime(2026, 12, 31, 17, 0, 0, tzinfo=UTC)
    after = Chat(app, "midnight-2")
    await run_to_summary(after, area="rural")
    assert "Chuẩn sẽ dùng: Chuẩn nghèo đa chiều quốc gia giai đoạn 2026–2030" in after.last.text


async def test_consent_on_a_result_from_an_older_version_still_saves(
    app: App, resident: Chat
) -> None:
    """A session whose result was shown before answers were kept saves without them."""
    await run_to_summary(resident)
    await result_text(resident)
    session = await app.services.sessions.load(
        resident.channel, resident.user_id, now=app.services.clock()
    )
    session.data["result"].pop("answers")
    await app.services.sessions.save(session, now=app.services.clock(), message_id=None)
    replies = await resident.press("sc:save:yes")
    assert "Đã lưu kết quả" in replies[0].text
    row = await app.db.fetchone("SELECT answers FROM self_check_results")
    assert row is not None and row["answers"] is None


async def test_saved_result_counts_for_the_residents_known_commune(
    app: App, resident: Chat
) -> None:
    """Without a typed commune, the result is filed under the commune the resident gave before."""
    await resident.send("/start")
    user = await app.services.users.find(resident.channel, resident.user_id)
    assert user is not None
    await app.services.users.set_ward(user.id, "20257")
    await run_to_summary(resident)
    await result_text(resident)
    await resident.press("sc:save:yes")
    row = await app.db.fetchone("SELECT ward_id FROM self_check_results")
    assert row is not None and row["ward_id"] == "20257"


async def test_long_message_offers_the_self_check_with_size_and_income_filled(
    app: App, resident: Chat
) -> None:
    """A message naming size and income offers the self-check with both already filled in."""
    replies = await resident.send(
        "nha toi 5 nguoi, chong benh, thu nhap 6tr/thang thi co dc ho ngheo ko"
    )
    offer = replies[-1]
    assert "5 người" in offer.text and "6.000.000 ₫ mỗi tháng (cả hộ)" in offer.text
    assert [c.payload for c in offer.choices] == ["scp:5:6000000:hm"]
    [first] = await resident.press("scp:5:6000000:hm")
    assert "Câu 1/" in first.text and "Đã điền sẵn từ tin nhắn của bạn: 5 người" in first.text
    await choose_area(resident, "rural")
    assert "bao nhiêu người" not in resident.last.text  # the size is not asked again
    await answer_facts(resident)
    assert "khai thu nhập" not in resident.last.text  # nor the income
    await answer_indicators(resident)
    summary = resident.last.text
    assert "• Số người trong hộ: 5 người" in summary
    assert "• Thu nhập: 6.000.000 ₫ mỗi tháng (cả hộ)" in summary
    forged = await resident.press("scp:99:6000000:hm")
    assert forged[0].text == VI_T("error.unknown_button")
