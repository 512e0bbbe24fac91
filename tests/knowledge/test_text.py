"""Tests for Vietnamese text normalisation."""

from __future__ import annotations

import unicodedata
from pathlib import Path

import pytest

from knowledge.text import load_abbreviations, normalize, strip_diacritics, tokens


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Hộ nghèo", "ho ngheo"),
        ("ĐĂNG KÝ THOÁT NGHÈO", "dang ky thoat ngheo"),
        ("đường", "duong"),
        ("Chuẩn nghèo là bao nhiêu?!", "chuan ngheo la bao nhieu"),
        ("  hộ   cận\tnghèo \n", "ho can ngheo"),
        ("ho ngheo dc vay von ko", "ho ngheo duoc vay von khong"),
        ("bhyt can ngheo bn %", "bao hiem y te can ngheo bao nhieu phan tram"),
        ("NHCSXH cho vay k?", "ngan hang chinh sach xa hoi cho vay khong"),
        ("UBND phường, MTTQ", "uy ban nhan dan phuong mat tran to quoc"),
        ("chuẩn nghèo ở TP.HCM", "chuan ngheo o thanh pho ho chi minh"),
        ("ở HN hay SG", "o ha noi hay ho chi minh"),
        ("1.500.000đ/tháng", "1500000 dong thang"),
        ("thu nhập 2,000,000", "thu nhap 2000000"),
        ("500k co dc ko", "500 nghin co duoc khong"),
        ("2 tr mỗi tháng", "2 trieu moi thang"),
        ("1tr5", "1 trieu 5"),
        ("8 m² mỗi người", "8 m2 moi nguoi"),
        ("hộ mức sống tb", "ho muc song trung binh"),
        ("", ""),
        ("?!...", ""),
    ],
)
def test_normalize_table(raw: str, expected: str) -> None:
    """Normalisation folds case, diacritics, punctuation, numbers and chat shorthand."""
    assert normalize(raw) == expected


def test_normalize_accepts_nfd_input() -> None:
    """Decomposed (NFD) input normalises exactly like composed (NFC) input."""
    text = "Hộ cận nghèo được hỗ trợ bảo hiểm y tế"
    assert normalize(unicodedata.normalize("NFD", text)) == normalize(text)


def test_k_means_khong_except_after_a_number() -> None:
    """A lone "k" means "không", but "nghìn" right after a number."""
    assert tokens("co k") == ["co", "khong"]
    assert tokens("200 k") == ["200", "nghin"]


def test_strip_diacritics_keeps_case_and_maps_d_bar() -> None:
    """strip_diacritics removes marks, maps đ/Đ to d/D and keeps letter case."""
    assert strip_diacritics("Đà Nẵng đẹp") == "Da Nang dep"
    assert strip_diacritics("Hồ Chí Minh") == "Ho Chi Minh"


def test_abbreviation_table_is_plain_ascii() -> None:
    """Every abbreviation key and expansion is lower-case ASCII, as normalised text is."""
    table = load_abbreviations()
    for mapping in (table.tokens, table.after_number):
        for key, expansion in mapping.items():
            assert key.isascii() and key == key.lower(), key
            assert all(word.isascii() and word == word.lower() for word in expansion), key


def test_load_abbreviations_rejects_bad_values(tmp_path: Path) -> None:
    """A non-string expansion in the table is a loud error."""
    bad = tmp_path / "bad.toml"
    bad.write_text("[tokens]\nko = 1\n", encoding="utf-8")
    with pytest.raises(ValueError, match="tokens"):
        load_abbreviations(bad)
