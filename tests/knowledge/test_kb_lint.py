"""Tests for the FAQ content lint."""

from __future__ import annotations

import unicodedata
from pathlib import Path

import pytest

from knowledge.kb_lint import lint_entries

GOOD = """+++
id = "{id}"
question = "{question}"
phrasings = ["{id} một", "{id} hai", "{id} ba", "{id} bốn"]
source = "Nghị định 07/2021/NĐ-CP ngày 27/01/2021"
confidence = "confirmed"
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


def test_shipped_content_is_clean() -> None:
    """The real knowledge/faq folder has no lint problems."""
    assert lint_entries() == []


def test_a_good_folder_is_clean(tmp_path: Path) -> None:
    """A folder of well-formed entries yields no problems."""
    _write(tmp_path, "mot", _good("mot"))
    _write(tmp_path, "hai", _good("hai").replace("related = []", 'related = ["mot"]'))
    assert lint_entries(tmp_path) == []


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
            "it-cach-hoi",
            _good("it-cach-hoi").replace(', "it-cach-hoi ba", "it-cach-hoi bốn"', ""),
            "only 2 phrasings",
        ),
        (
            "nguon",
            _good("nguon").replace("Nghị định 07/2021/NĐ-CP ngày 27/01/2021", "báo chí"),
            "document number",
        ),
        (
            "tam-thoi",
            _good("tam-thoi").replace('"confirmed"', '"provisional"'),
            "cần xác nhận với cán bộ xã/phường",
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
    problems = lint_entries(tmp_path)
    assert any(p.startswith(f"{name}.md: ") and expected in p for p in problems), problems


def test_duplicate_ids_are_reported(tmp_path: Path) -> None:
    """Two files declaring one id are reported (besides the file-name mismatch)."""
    _write(tmp_path, "mot", _good("mot"))
    _write(tmp_path, "mot-nua", _good("mot"))
    problems = lint_entries(tmp_path)
    assert any("duplicate id 'mot'" in p for p in problems), problems


def test_colliding_phrasings_across_entries_are_reported(tmp_path: Path) -> None:
    """Phrasings of two entries that normalise to the same text are reported."""
    _write(tmp_path, "mot", _good("mot", "Hộ nghèo được vay vốn không?"))
    _write(tmp_path, "hai", _good("hai", "ho ngheo dc vay von ko"))
    problems = lint_entries(tmp_path)
    assert any(p.startswith("mot.md: ") and "normalises like one in 'hai'" in p for p in problems)


def test_same_phrasing_twice_in_one_entry_is_allowed(tmp_path: Path) -> None:
    """Repeating a phrasing inside one entry is not a cross-entry collision."""
    text = _good("mot").replace('"mot hai"', '"Câu hỏi mot?"')
    _write(tmp_path, "mot", text)
    assert lint_entries(tmp_path) == []
