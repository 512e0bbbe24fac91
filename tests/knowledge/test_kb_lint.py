"""Tests for the FAQ content lint."""

from __future__ import annotations

import unicodedata
from datetime import date
from pathlib import Path

import pytest

from knowledge.kb_lint import PROVISIONAL_PHRASE, lint_entries, money_figures, phrasing_kinds
from knowledge.legal import REGISTRY_PATH

TODAY = date(2026, 12, 1)

GOOD = """+++
id = "{id}"
question = "{question}"
phrasings = [
    "{id} một", "{id} hai điều", "{id} ba điều", "{id} bon", "{id} nam dieu", "{id} sau dieu",
    "{id} co dc ko", "{id} ngheof", "{id} bảy", "{id} tam", "{id} chín",
    "{id} nhà tôi năm người, chồng bệnh, thu nhập thấp thì có được không",
]
cites = ["nd-07-2021"]
reviewed = 2026-12-01
confidence = "confirmed"
unverified = []
related = []
audience = ["resident"]
topic = "standard"
+++
Chuẩn nghèo là 1.500.000 đồng.
"""


def _write(folder: Path, name: str, text: str) -> None:
    (folder / f"{name}.md").write_text(text, encoding="utf-8")


def _good(entry_id: str, question: str | None = None) -> str:
    return GOOD.format(id=entry_id, question=question or f"Câu hỏi {entry_id}?")


def _lint(folder: Path, **kwargs: object) -> list[str]:
    return lint_entries(folder, today=TODAY, **kwargs)  # type: ignore[arg-type]


def _problems_of(folder: Path, name: str, text: str) -> list[str]:
    _write(folder, name, text)
    return [p for p in _lint(folder) if p.startswith(f"{name}.md: ")]


def test_shipped_content_is_clean() -> None:
    """The real knowledge/faq folder has no lint problems."""
    assert lint_entries(today=TODAY) == []


def test_a_good_folder_is_clean(tmp_path: Path) -> None:
    """A folder of well-formed entries yields no problems."""
    _write(tmp_path, "mot", _good("mot"))
    _write(tmp_path, "hai", _good("hai").replace("related = []", 'related = ["mot"]'))
    assert _lint(tmp_path) == []


@pytest.mark.parametrize(
    ("name", "text", "expected"),
    [
        ("khong-rao", "id = 'x'", "must start with a '+++' line"),
        ("chua-dong", "+++\nid = 'x'\n", "not closed"),
        ("toml-hong", "+++\nid = \n+++\nx\n", "invalid TOML"),
        ("thieu", _good("thieu").replace('topic = "standard"\n', ""), "missing key 'topic'"),
        ("sai-kieu", _good("sai-kieu").replace('topic = "standard"', "topic = 3"), "'topic' must"),
        ("lech-ten", _good("ten-khac"), "differs from the file name"),
        ("Sai_ID", _good("Sai_ID"), "not ASCII kebab-case"),
        ("tin-cay", _good("tin-cay").replace('"confirmed"', '"chac-chan"'), "confidence"),
        ("doc-gia", _good("doc-gia").replace('["resident"]', '["admin"]'), "audience"),
        ("la", _good("la").replace('topic = "standard"', 'topic = "x"\nfoo = 1'), "unknown keys"),
        (
            "ngay",
            _good("ngay").replace(
                "related = []", "related = []\nvalid_from = 2027-01-01\nvalid_to = 2026-12-31"
            ),
            "valid_from is after valid_to",
        ),
        (
            "ngay-gio",
            _good("ngay-gio").replace(
                "related = []", "related = []\nvalid_to = 2026-12-31T10:00:00"
            ),
            "TOML date",
        ),
        (
            "dai",
            _good("dai").replace("Chuẩn nghèo là 1.500.000 đồng.", "x" * 901),
            "901 characters",
        ),
        ("rong", _good("rong").replace("Chuẩn nghèo là 1.500.000 đồng.\n", ""), "body is empty"),
        (
            "tam-thoi",
            _good("tam-thoi")
            .replace('"confirmed"', '"provisional"')
            .replace("unverified = []", 'unverified = ["Mức này chưa xác minh."]'),
            "cần xác nhận với cán bộ xã/phường",
        ),
        (
            "khong-can-cu",
            _good("khong-can-cu").replace('cites = ["nd-07-2021"]\n', ""),
            "missing key 'cites'",
        ),
        (
            "can-cu-rong",
            _good("can-cu-rong").replace('cites = ["nd-07-2021"]', "cites = []"),
            "cites no legal document",
        ),
        (
            "chua-duyet",
            _good("chua-duyet").replace("reviewed = 2026-12-01\n", ""),
            "missing key 'reviewed'",
        ),
        (
            "nfd",
            _good("nfd").replace("Câu hỏi", unicodedata.normalize("NFD", "Câu hỏi")),
            "not NFC",
        ),
        (
            "lien-quan",
            _good("lien-quan").replace("related = []", 'related = ["khong-ton-tai"]'),
            "related id 'khong-ton-tai' does not exist",
        ),
        (
            "tu-than",
            _good("tu-than").replace("related = []", 'related = ["tu-than"]'),
            "related lists the entry itself",
        ),
    ],
)
def test_each_problem_is_reported(tmp_path: Path, name: str, text: str, expected: str) -> None:
    """A deliberately broken entry is reported with its file name and the problem."""
    _write(tmp_path, name, text)
    problems = _lint(tmp_path)
    assert any(p.startswith(f"{name}.md: ") and expected in p for p in problems), problems


def test_duplicate_ids_are_reported(tmp_path: Path) -> None:
    """Two files declaring one id are reported (besides the file-name mismatch)."""
    _write(tmp_path, "mot", _good("mot"))
    _write(tmp_path, "mot-nua", _good("mot"))
    problems = _lint(tmp_path)
    assert any("duplicate id 'mot'" in p for p in problems), problems


def test_colliding_phrasings_across_entries_are_reported(tmp_path: Path) -> None:
    """Phrasings of two entries that normalise to the same text are reported."""
    _write(tmp_path, "mot", _good("mot", "Hộ nghèo được vay vốn không?"))
    _write(tmp_path, "hai", _good("hai", "ho ngheo dc vay von ko"))
    problems = _lint(tmp_path)
    assert any(p.startswith("mot.md: ") and "normalises like one in 'hai'" in p for p in problems)


def test_same_phrasing_twice_in_one_entry_is_allowed(tmp_path: Path) -> None:
    """Repeating a phrasing inside one entry is not a cross-entry collision."""
    text = _good("mot").replace('"mot hai"', '"Câu hỏi mot?"')
    _write(tmp_path, "mot", text)
    assert _lint(tmp_path) == []


def test_an_unknown_registry_id_is_reported(tmp_path: Path) -> None:
    """Citing an id that the legal registry does not hold is an error."""
    text = _good("la").replace('["nd-07-2021"]', '["nd-07-2021", "nd-999-2099"]')
    problems = _problems_of(tmp_path, "la", text)
    assert any("'nd-999-2099', which is not in the legal registry" in p for p in problems)


def test_a_replaced_document_cited_as_current_is_reported(tmp_path: Path) -> None:
    """Decree 146/2018 (replaced by Decree 188/2025) cannot be an open-ended basis."""
    text = _good("cu").replace('["nd-07-2021"]', '["nd-07-2021", "nd-146-2018"]')
    problems = _problems_of(tmp_path, "cu", text)
    assert any("Nghị định 146/2018/NĐ-CP as current" in p and "replaced" in p for p in problems)


def test_a_replaced_document_with_valid_to_before_its_end_passes(tmp_path: Path) -> None:
    """The same citation is fine for an answer that ends before the replacement took over."""
    text = (
        _good("lich-su")
        .replace('["nd-07-2021"]', '["nd-07-2021", "nd-146-2018"]')
        .replace("related = []", "related = []\nvalid_to = 2025-06-30")
    )
    assert _problems_of(tmp_path, "lich-su", text) == []


def test_valid_to_after_the_end_of_a_replaced_document_is_reported(tmp_path: Path) -> None:
    """An answer running past the last day of a replaced document is reported."""
    text = (
        _good("qua-han")
        .replace('["nd-07-2021"]', '["nd-07-2021", "nd-146-2018"]')
        .replace("related = []", "related = []\nvalid_to = 2025-12-31")
    )
    problems = _problems_of(tmp_path, "qua-han", text)
    assert any("after the end of Nghị định 146/2018/NĐ-CP" in p for p in problems), problems


def test_a_historical_document_without_an_end_date_needs_valid_to(tmp_path: Path) -> None:
    """The 2021–2025 programme (historical) cannot be cited as the current basis."""
    text = _good("ctmtqg").replace('["nd-07-2021"]', '["nd-07-2021", "qd-90-2022-ttg"]')
    problems = _problems_of(tmp_path, "ctmtqg", text)
    assert any("historical" in p and "set valid_to" in p for p in problems), problems


def test_an_unverified_fact_not_marked_provisional_is_reported(tmp_path: Path) -> None:
    """Listing an unverified fact while claiming 'confirmed' is an error."""
    text = _good("gia").replace("unverified = []", 'unverified = ["Thời hạn chưa xác minh."]')
    problems = _problems_of(tmp_path, "gia", text)
    assert any("confidence is not 'provisional'" in p for p in problems), problems


def test_a_provisional_entry_must_name_what_is_unverified(tmp_path: Path) -> None:
    """A provisional answer with an empty 'unverified' list is an error."""
    text = (
        _good("mo-ho")
        .replace('"confirmed"', '"provisional"')
        .replace("1.500.000 đồng.", f"1.500.000 đồng, {PROVISIONAL_PHRASE}.")
    )
    problems = _problems_of(tmp_path, "mo-ho", text)
    assert any("'unverified' is empty" in p for p in problems), problems


def test_the_old_ward_phrase_is_not_enough(tmp_path: Path) -> None:
    """A provisional answer saying only 'cán bộ phường' (no xã) is reported."""
    text = (
        _good("phuong")
        .replace('"confirmed"', '"provisional"')
        .replace("unverified = []", 'unverified = ["Mức này chưa xác minh."]')
        .replace("1.500.000 đồng.", "1.500.000 đồng, cần xác nhận với cán bộ phường.")
    )
    problems = _problems_of(tmp_path, "phuong", text)
    assert any(f"must say '{PROVISIONAL_PHRASE}'" in p for p in problems), problems


def test_a_provisional_entry_done_right_passes(tmp_path: Path) -> None:
    """Provisional, with its unverified note and the ward phrase, is clean."""
    text = (
        _good("dung")
        .replace('"confirmed"', '"provisional"')
        .replace("unverified = []", 'unverified = ["Mức này chưa xác minh."]')
        .replace("1.500.000 đồng.", f"1.500.000 đồng, {PROVISIONAL_PHRASE}.")
    )
    assert _problems_of(tmp_path, "dung", text) == []


@pytest.mark.parametrize(
    ("reviewed", "stale"),
    [("2025-12-01", False), ("2025-11-30", True), ("2024-01-15", True)],
)
def test_a_stale_review_date_is_reported(tmp_path: Path, reviewed: str, stale: bool) -> None:
    """An answer not checked against the law for more than 365 days is reported."""
    text = _good("cu-qua").replace("reviewed = 2026-12-01", f"reviewed = {reviewed}")
    problems = _problems_of(tmp_path, "cu-qua", text)
    assert any("check it against the law again" in p for p in problems) is stale, problems


def test_a_review_date_in_the_future_is_reported(tmp_path: Path) -> None:
    """A review stamp after today cannot be true."""
    text = _good("mai").replace("reviewed = 2026-12-01", "reviewed = 2026-12-02")
    assert any("in the future" in p for p in _problems_of(tmp_path, "mai", text))


@pytest.mark.parametrize("written", ["1.600.000 đồng", "1,6 triệu", "1.600.000đ", "1600000 ₫"])
def test_an_invented_figure_is_reported(tmp_path: Path, written: str) -> None:
    """A money amount that no cited document sets is reported, however it is written."""
    text = _good("bia").replace("1.500.000 đồng.", f"1.500.000 đồng, hoặc {written}.")
    problems = _problems_of(tmp_path, "bia", text)
    assert any("1600000 đồng) is not a figure of the cited documents" in p for p in problems)


def test_a_figure_of_an_uncited_document_is_reported(tmp_path: Path) -> None:
    """2.200.000 đồng is real (Decree 351/2025) but not a figure of Decree 07/2021 alone."""
    text = _good("khac-vb").replace("1.500.000 đồng.", "2.200.000 đồng.")
    problems = _problems_of(tmp_path, "khac-vb", text)
    assert any("'2.200.000 đồng'" in p for p in problems), problems
    cited = text.replace('["nd-07-2021"]', '["nd-07-2021", "nd-351-2025"]')
    assert _problems_of(tmp_path, "khac-vb", cited) == []


def test_a_worked_example_is_allowed_through_derived(tmp_path: Path) -> None:
    """A computed amount passes once the entry explains it in its 'derived' table."""
    body = "Hộ 4 người ở nông thôn: tổng thu nhập đến 6.000.000 đồng/tháng."
    text = _good("vi-du").replace("Chuẩn nghèo là 1.500.000 đồng.", body)
    assert any("'6.000.000 đồng'" in p for p in _problems_of(tmp_path, "vi-du", text))
    explained = text.replace(
        "related = []", 'related = []\nderived = {"6000000" = "4 × 1.500.000"}'
    )
    assert _problems_of(tmp_path, "vi-du", explained) == []


def test_a_malformed_derived_table_is_reported(tmp_path: Path) -> None:
    """'derived' keys must be whole đồng with a non-empty explanation."""
    text = _good("sai-bang").replace("related = []", 'related = []\nderived = {"6 triệu" = ""}')
    problems = _problems_of(tmp_path, "sai-bang", text)
    assert any("derived entry '6 triệu'" in p for p in problems), problems


def test_money_figures_reads_the_content_style() -> None:
    """Amounts with a scale word or a currency mark are read; dates, points and % are not."""
    text = (
        "Chuẩn 1.500.000 đồng, đô thị 2,8 triệu, trợ cấp 500.000đ, vốn 75.000 tỷ đồng, "
        "67,3 nghìn tỷ đồng; giá 2.204,07 đồng/kWh; 140 điểm, 4,5%, ngày 15/03/2021, 30 kWh."
    )
    assert [amount for _, amount in money_figures(text)] == [
        1_500_000,
        2_800_000,
        500_000,
        75_000 * 10**9,
        67_300 * 10**9,
    ]


def test_a_broken_registry_is_reported_by_lint(tmp_path: Path) -> None:
    """Registry problems reach the lint output, prefixed 'legal registry:'."""
    broken = tmp_path / "registry.toml"
    text = REGISTRY_PATH.read_text(encoding="utf-8")
    broken.write_text(text.replace('replaced_by = ["nd-188-2025"]', 'replaced_by = ["nd-0-0"]'))
    folder = tmp_path / "faq"
    folder.mkdir()
    problems = _lint(folder, registry_path=broken)
    assert any(
        p.startswith("legal registry:") and "'nd-0-0' is not in the registry" in p for p in problems
    ), problems


def test_legal_problems_are_reported_in_a_fixed_order(tmp_path: Path) -> None:
    """Honesty, review age, each citation in order, the derived table, then each figure."""
    text = (
        _good("nhieu-loi")
        .replace('"confirmed"', '"provisional"')
        .replace("reviewed = 2026-12-01", "reviewed = 2025-01-01")
        .replace('["nd-07-2021"]', '["nd-999-2099", "nd-07-2021", "nd-146-2018"]')
        .replace("related = []", 'related = []\nderived = {"6 triệu" = ""}')
        .replace("1.500.000 đồng.", "1.500.000 đồng, hoặc 1.600.000 đồng.")
    )
    assert _problems_of(tmp_path, "nhieu-loi", text) == [
        f"nhieu-loi.md: {problem}"
        for problem in (
            "is provisional but 'unverified' is empty: say which fact is unverified",
            f"provisional answer must say '{PROVISIONAL_PHRASE}'",
            "reviewed on 2025-01-01, 699 days ago (more than 365): check it against the law again",
            "cites 'nd-999-2099', which is not in the legal registry",
            "cites Nghị định 146/2018/NĐ-CP as current, but the registry marks it replaced: "
            "set valid_to (≤ its end) or cite what replaced it",
            'derived entry \'6 triệu\' must be "<whole đồng>" = "<arithmetic>"',
            "figure '1.600.000 đồng' (1600000 đồng) is not a figure of the cited documents "
            "(cite the document that sets it, or explain it in 'derived')",
        )
    ]


def test_without_a_registry_citations_and_figures_are_not_checked(tmp_path: Path) -> None:
    """An unreadable registry is reported once; entries are then checked for all but the law."""
    folder = tmp_path / "faq"
    folder.mkdir()
    unknown = _good("la").replace('["nd-07-2021"]', '["nd-999-2099"]')
    _write(folder, "la", unknown.replace("1.500.000 đồng.", "1.600.000 đồng."))
    _write(folder, "rong", _good("rong").replace('cites = ["nd-07-2021"]', "cites = []"))
    problems = _lint(folder, registry_path=tmp_path / "missing.toml")
    assert problems[0].startswith("legal registry: cannot read missing.toml: ")
    assert problems[1:] == ["rong.md: cites no legal document (need at least one registry id)"]


def test_an_entry_without_cites_gets_no_figure_check(tmp_path: Path) -> None:
    """With no 'cites' key only the missing key is reported, not each figure."""
    text = _good("khong-can-cu").replace('cites = ["nd-07-2021"]\n', "")
    problems = _problems_of(tmp_path, "khong-can-cu", text.replace("1.500.000", "1.600.000"))
    assert [p for p in problems if "figure" in p or "cites" in p] == [
        "khong-can-cu.md: missing key 'cites'"
    ]


def test_source_is_not_needed_once_cites_are_there(tmp_path: Path) -> None:
    """A converted entry needs no free-text source: the answer's basis comes from the registry."""
    assert "source" not in _good("moi")
    assert _problems_of(tmp_path, "moi", _good("moi")) == []


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("hộ cận nghèo được gì", "with diacritics"),
        ("ho can ngheo duoc gi", "without diacritics"),
        ("can ngheo co dc ho tro ko", "with a chat abbreviation (ko, dc, bn, j, ntn…)"),
        ("ho can ngheof", "with a typo or telex leftover (ngheof, dduowcj…)"),
        ("dduowcj ho tro gi", "with a typo or telex leftover (ngheof, dduowcj…)"),
        ("bhyt can ngheo?", "short (4 words or fewer)"),
        (
            "nha toi 5 nguoi chong benh thu nhap 6 trieu thi co duoc ho ngheo khong",
            "long, with the resident's situation (12 words or more)",
        ),
    ],
)
def test_phrasing_kinds_recognises_the_ways_residents_type(text: str, kind: str) -> None:
    """Each kind of the variety rule is recognised in a phrasing that has it."""
    assert kind in phrasing_kinds(text, frozenset({"bhyt"}))


def test_real_words_and_known_acronyms_are_not_typos() -> None:
    """Proper syllables, numbers and the base's acronyms do not count as typos."""
    kinds = phrasing_kinds("nghèo đa chiều 2026 bhyt thoát nghèo quyết định", frozenset({"bhyt"}))
    assert "with a typo or telex leftover (ngheof, dduowcj…)" not in kinds
    assert "short (4 words or fewer)" not in kinds


def test_an_entry_without_variety_is_told_what_it_lacks(tmp_path: Path) -> None:
    """Twelve plain, similar phrasings are refused with each missing kind named."""
    plain = ", ".join(f'"cau hoi so {n} ve ho ngheo"' for n in range(12))
    text = _good("don-dieu").replace(
        _good("don-dieu").split("phrasings = ")[1].split("]\n")[0] + "]", f"[{plain}]"
    )
    problems = _problems_of(tmp_path, "don-dieu", text)
    assert "don-dieu.md: needs 3 phrasing(s) with diacritics, has 0" in problems
    assert any("chat abbreviation" in p for p in problems)
    assert any("typo or telex leftover" in p for p in problems)
    assert any("short (4 words or fewer)" in p for p in problems)
    assert any("long, with the resident" in p for p in problems)


def test_fewer_than_twelve_phrasings_are_refused(tmp_path: Path) -> None:
    """The issue's minimum: twelve phrasings per entry."""
    text = _good("it-qua").replace('"it-qua chín",\n', "")
    assert "it-qua.md: only 11 phrasings (min 12)" in _problems_of(tmp_path, "it-qua", text)


def test_a_reviewed_date_time_is_reported_not_a_crash(tmp_path: Path) -> None:
    """`reviewed = 2026-12-01T10:00:00` is the wrong type, said plainly; the lint goes on."""
    text = _good("gio-phut").replace("reviewed = 2026-12-01", "reviewed = 2026-12-01T10:00:00")
    problems = _problems_of(tmp_path, "gio-phut", text)
    assert "gio-phut.md: key 'reviewed' must be a TOML date (YYYY-MM-DD)" in problems
