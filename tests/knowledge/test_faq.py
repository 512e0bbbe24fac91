"""Tests for loading the FAQ content and searching it."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest

from knowledge.faq import (
    CONFIDENT_SCORE,
    UNSURE_SCORE,
    Entry,
    EntryError,
    KnowledgeBase,
    load_entries,
)
from knowledge.kb_lint import PROVISIONAL_PHRASE

TODAY = date(2026, 11, 21)
STANDARD_IDS = (
    "chuan-ngheo-2022-2025",
    "chuan-ngheo-2027-2030",
    "chuan-ngheo-2016-2020",
    "chuan-ngheo-2011-2015",
    "nam-2026-ap-dung-chuan-nao",
)
FIGURE = re.compile(r"\d{1,3}(?:\.\d{3})+ đồng|\d+(?:,\d+)?%")

VALID_ENTRY = """+++
id = "{id}"
question = "Câu hỏi {id}?"
phrasings = ["một", "hai", "ba", "bốn"]
cites = ["nd-07-2021"]
reviewed = 2026-12-01
confidence = "confirmed"
related = []
audience = ["resident"]
topic = "standard"
+++
Trả lời.
"""


@pytest.fixture(scope="module")
def kb() -> KnowledgeBase:
    return KnowledgeBase.load()


def _entry(entry_id: str, **changes: object) -> Entry:
    fields: dict[str, object] = {
        "id": entry_id,
        "question": f"Câu hỏi {entry_id}?",
        "phrasings": (),
        "answer": "Trả lời.",
        "confidence": "confirmed",
        "valid_from": None,
        "valid_to": None,
        "related": (),
        "audience": ("resident",),
        "topic": "standard",
        "cites": ("nd-07-2021",),
        "reviewed": date(2026, 12, 1),
        "unverified": (),
    }
    fields.update(changes)
    return Entry(**fields)  # type: ignore[arg-type]


def test_load_entries_reads_the_real_content() -> None:
    """The shipped content holds at least 75 entries with unique ids matching file names."""
    entries = load_entries()
    assert len(entries) >= 75
    assert len({e.id for e in entries}) == len(entries)
    assert [e.id for e in entries] == sorted(e.id for e in entries)


def test_every_indicator_has_its_own_entry(kb: KnowledgeBase) -> None:
    """Each of the 12 deprivation indicators is explained in its own entry."""
    indicators = [e for e in kb.entries if e.id.startswith("chi-so-")]
    assert len(indicators) == 12


def test_answers_are_short(kb: KnowledgeBase) -> None:
    """Every answer body fits in 900 characters."""
    for entry in kb.entries:
        assert len(entry.answer) <= 900, entry.id


@pytest.mark.parametrize("entry_id", STANDARD_IDS)
def test_standard_answers_lead_with_a_figure(kb: KnowledgeBase, entry_id: str) -> None:
    """The first sentence of a poverty-standard answer states an amount in đồng."""
    entry = kb.get(entry_id)
    assert entry is not None
    first_sentence = re.split(r"(?<=[.!?])\s|\n", entry.answer, maxsplit=1)[0]
    assert FIGURE.search(first_sentence), first_sentence


def test_2022_2025_answer_announces_the_2027_standard(kb: KnowledgeBase) -> None:
    """The in-force standard says that Decree 351/2025 lines apply from 01/01/2027."""
    entry = kb.get("chuan-ngheo-2022-2025")
    assert entry is not None
    assert "01/01/2027" in entry.answer
    assert "2.200.000 đồng" in entry.answer and "2.800.000 đồng" in entry.answer
    assert entry.valid_to == date(2026, 12, 31)


def test_provisional_entries_say_so(kb: KnowledgeBase) -> None:
    """Provisional answers tell the resident to confirm with the commune/ward officer."""
    provisional = [e for e in kb.entries if e.provisional]
    assert provisional
    for entry in provisional:
        assert PROVISIONAL_PHRASE in entry.answer, entry.id


def test_is_valid_on_respects_both_ends() -> None:
    """Validity includes both boundary days and nothing outside them."""
    entry = _entry("x", valid_from=date(2022, 1, 1), valid_to=date(2026, 12, 31))
    assert entry.is_valid_on(date(2022, 1, 1))
    assert entry.is_valid_on(date(2026, 12, 31))
    assert not entry.is_valid_on(date(2021, 12, 31))
    assert not entry.is_valid_on(date(2027, 1, 1))
    assert _entry("y").is_valid_on(date(1990, 1, 1))


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(2026, 11, 21), "chuan-ngheo-2022-2025"),
        (date(2027, 3, 1), "chuan-ngheo-2027-2030"),
    ],
)
@pytest.mark.parametrize(
    "query", ["chuẩn nghèo hiện nay là bao nhiêu", "chuan ngheo hien nay bn", "chuẩn nghèo bây giờ"]
)
def test_current_standard_depends_on_the_date(
    kb: KnowledgeBase, query: str, day: date, expected: str
) -> None:
    """'The current standard' picks the entry valid on the day of the question."""
    result = kb.search(query, today=day)
    assert result.top is not None
    assert result.top.entry.id == expected


def test_named_year_overrides_today(kb: KnowledgeBase) -> None:
    """A question naming 2027 finds the 2027–2030 standard even when asked in 2026."""
    result = kb.search("chuẩn nghèo năm 2027 là bao nhiêu", today=TODAY)
    assert result.top is not None
    assert result.top.entry.id == "chuan-ngheo-2027-2030"


def test_confident_grade_for_a_clear_question(kb: KnowledgeBase) -> None:
    """A clear question answers confidently with a score above the threshold."""
    result = kb.search("hộ cận nghèo được hỗ trợ bảo hiểm y tế bao nhiêu phần trăm", today=TODAY)
    assert result.grade == "confident"
    assert result.best is not None
    assert result.best.entry.id == "bhyt-ho-can-ngheo"
    assert CONFIDENT_SCORE <= result.best.score <= 100
    assert all(m.entry.id != result.best.entry.id for m in result.candidates)


def test_unsure_grade_offers_distinct_candidates(kb: KnowledgeBase) -> None:
    """A vague question offers up to three distinct, plausible entries and no best answer."""
    result = kb.search("bhyt", today=TODAY)
    assert result.grade == "unsure"
    assert result.best is None
    ids = [m.entry.id for m in result.candidates]
    assert 1 <= len(ids) <= 3
    assert len(set(ids)) == len(ids)
    assert all(m.score >= UNSURE_SCORE for m in result.candidates)
    assert [m.score for m in result.candidates] == sorted(
        (m.score for m in result.candidates), reverse=True
    )


@pytest.mark.parametrize("query", ["", "   ", "?!", "asdfgh qwerty", "giá vàng hôm nay"])
def test_none_grade_for_noise(kb: KnowledgeBase, query: str) -> None:
    """Empty, nonsense and off-topic input grades 'none' with no candidates."""
    result = kb.search(query, today=TODAY)
    assert result.grade == "none"
    assert result.best is None and result.candidates == ()


def test_typos_still_find_the_entry(kb: KnowledgeBase) -> None:
    """A misspelt syllable is mapped to the closest vocabulary syllable."""
    result = kb.search("nguon nuoc sinh hoatt", today=TODAY)
    assert result.top is not None
    assert result.top.entry.id == "chi-so-nguon-nuoc-sinh-hoat"


def test_officer_only_entries_are_hidden_from_residents(kb: KnowledgeBase) -> None:
    """An officer-only entry is found for officers but not offered to residents."""
    query = "thời hạn xã báo cáo kết quả rà soát thường xuyên hằng tháng"
    officer = kb.search(query, today=TODAY, audience="officer")
    resident = kb.search(query, today=TODAY, audience="resident")
    assert officer.top is not None
    assert officer.top.entry.id == "bao-cao-ra-soat-hang-thang"
    assert all(m.entry.id != "bao-cao-ra-soat-hang-thang" for m in resident.candidates)


def test_get_returns_none_for_unknown_id(kb: KnowledgeBase) -> None:
    """get() returns the entry for a known id and None otherwise."""
    assert kb.get("ho-ngheo-la-gi") is not None
    assert kb.get("khong-co") is None


def test_knowledge_base_works_on_custom_entries() -> None:
    """A knowledge base built from given entries searches only those."""
    entries = [
        _entry("a", question="Hộ nghèo được vay vốn không?", phrasings=("vay vốn hộ nghèo",)),
        _entry("b", question="Tiền điện hộ nghèo?", phrasings=("hỗ trợ tiền điện",)),
    ]
    kb = KnowledgeBase(entries)
    result = kb.search("hộ nghèo được vay vốn không", today=TODAY)
    assert result.top is not None
    assert result.top.entry.id == "a"


def test_load_entries_rejects_a_broken_file(tmp_path: Path) -> None:
    """A malformed file raises EntryError naming the file."""
    (tmp_path / "tot.md").write_text(VALID_ENTRY.format(id="tot"), encoding="utf-8")
    (tmp_path / "hong.md").write_text("no front matter", encoding="utf-8")
    with pytest.raises(EntryError, match=r"hong\.md"):
        load_entries(tmp_path)


def test_load_entries_rejects_schema_errors(tmp_path: Path) -> None:
    """A wrong confidence value or an id that differs from the file name is refused."""
    text = VALID_ENTRY.format(id="khac").replace('"confirmed"', '"maybe"')
    (tmp_path / "ten-file.md").write_text(text, encoding="utf-8")
    with pytest.raises(EntryError) as error:
        load_entries(tmp_path)
    message = str(error.value)
    assert "ten-file.md" in message and "confidence" in message and "file name" in message
    assert isinstance(error.value, ValueError)


def test_load_entries_parses_optional_fields(tmp_path: Path) -> None:
    """Dates and related ids from the front matter reach the Entry."""
    text = VALID_ENTRY.format(id="co-ngay").replace(
        "related = []", 'related = ["khac"]\nvalid_from = 2022-01-01\nvalid_to = 2026-12-31'
    )
    (tmp_path / "co-ngay.md").write_text(text, encoding="utf-8")
    (entry,) = load_entries(tmp_path)
    assert entry.valid_from == date(2022, 1, 1)
    assert entry.valid_to == date(2026, 12, 31)
    assert entry.related == ("khac",)
    assert entry.phrasings == ("một", "hai", "ba", "bốn")
    assert entry.answer == "Trả lời."
    assert not entry.provisional


def test_load_entries_reads_citations_review_and_unverified(tmp_path: Path) -> None:
    """The legal-registry keys reach the Entry: cites, reviewed date and unverified notes."""
    text = VALID_ENTRY.format(id="tam").replace(
        'cites = ["nd-07-2021"]',
        'cites = ["qd-24-2021-ttg", "vbhn-1315-2023-bldtbxh"]\n'
        'unverified = ["Thời hạn niêm yết chưa xác minh."]',
    )
    (tmp_path / "tam.md").write_text(text.replace('"confirmed"', '"provisional"'), "utf-8")
    (entry,) = load_entries(tmp_path)
    assert entry.cites == ("qd-24-2021-ttg", "vbhn-1315-2023-bldtbxh")
    assert entry.reviewed == date(2026, 12, 1)
    assert entry.unverified == ("Thời hạn niêm yết chưa xác minh.",)
    assert entry.provisional


def test_an_entry_without_cites_or_source_is_refused(tmp_path: Path) -> None:
    """An entry with neither registry citations nor the legacy source cannot be loaded."""
    text = VALID_ENTRY.format(id="trong").replace('cites = ["nd-07-2021"]\n', "")
    (tmp_path / "trong.md").write_text(text, encoding="utf-8")
    with pytest.raises(EntryError, match="missing key 'cites'"):
        load_entries(tmp_path)


def test_reviewed_must_be_a_date(tmp_path: Path) -> None:
    """A review stamp written as text is refused with a plain message."""
    text = VALID_ENTRY.format(id="ngay").replace("reviewed = 2026-12-01", 'reviewed = "hôm nay"')
    (tmp_path / "ngay.md").write_text(text, encoding="utf-8")
    with pytest.raises(EntryError, match="'reviewed' must be a TOML date"):
        load_entries(tmp_path)


def test_the_legacy_source_key_is_refused(tmp_path: Path) -> None:
    """The free-text 'source' is gone: the legal basis comes from 'cites' only."""
    text = VALID_ENTRY.format(id="cu").replace(
        "reviewed = 2026-12-01", 'reviewed = 2026-12-01\nsource = "Nghị định 07/2021/NĐ-CP"'
    )
    (tmp_path / "cu.md").write_text(text, encoding="utf-8")
    with pytest.raises(EntryError, match="'source' is no longer accepted"):
        load_entries(tmp_path)
