"""The official list of provinces and commune-level units, and finding a unit by what is typed."""

from __future__ import annotations

import csv
import unicodedata
from collections import Counter

import pytest

from knowledge import admin_units
from knowledge.admin_units import all_units, find, find_province, provinces, unit

DAC_KHU = {
    "Kiên Hải",
    "Phú Quốc",
    "Thổ Châu",
    "Cát Hải",
    "Bạch Long Vĩ",
    "Vân Đồn",
    "Cô Tô",
    "Côn Đảo",
    "Hoàng Sa",
    "Trường Sa",
    "Phú Quý",
    "Lý Sơn",
    "Cồn Cỏ",
}


def test_counts_match_the_reform() -> None:
    """34 provinces and 3,321 units: 2,621 xã, 687 phường, 13 đặc khu."""
    assert len(provinces()) == 34
    assert len(all_units()) == 3321
    assert Counter(u.kind for u in all_units()) == {"xa": 2621, "phuong": 687, "dac_khu": 13}


def test_the_thirteen_dac_khu() -> None:
    """The đặc khu are exactly the 13 island units."""
    assert {u.short_name for u in all_units() if u.kind == "dac_khu"} == DAC_KHU


def test_codes_are_unique_and_names_carry_their_kind() -> None:
    """Every code is 5 digits and unique; every name starts with its kind, NFC."""
    codes = [u.code for u in all_units()]
    assert len(set(codes)) == len(codes)
    assert all(len(c) == 5 and c.isdigit() for c in codes)
    for item in all_units():
        assert item.name == unicodedata.normalize("NFC", item.name)
        assert item.name.startswith(admin_units.KIND_NAMES[item.kind] + " ")
        assert item.province_name.startswith(("Tỉnh ", "Thành phố "))


def test_csv_is_sorted_with_the_documented_columns() -> None:
    """units.csv has the five columns and is sorted by code."""
    with admin_units.UNITS_FILE.open(encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle)
        header = next(reader)
        codes = [row[0] for row in reader]
    assert header == ["ward_code", "ward_name", "kind", "province_code", "province_name"]
    assert codes == sorted(codes)


def test_unit_by_code_and_area_mapping() -> None:
    """20257 is Phường Hòa Cường of Đà Nẵng, urban; a xã is rural, a đặc khu unknown."""
    hoa_cuong = unit("20257")
    assert hoa_cuong is not None
    assert (hoa_cuong.name, hoa_cuong.province_name, hoa_cuong.area) == (
        "Phường Hòa Cường",
        "Thành phố Đà Nẵng",
        "urban",
    )
    assert unit("4") == unit("00004") and unit("00004") is not None
    assert unit("99999") is None
    assert {u.area for u in all_units() if u.kind == "xa"} == {"rural"}
    assert {u.area for u in all_units() if u.kind == "dac_khu"} == {"unknown"}


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        ("Phường Hòa Cường", "20257"),
        ("hoa cuong", "20257"),
        ("hoa cuong da nang", "20257"),
        ("P. Hòa Cường, TP Đà Nẵng", "20257"),
        ("phuong ben thanh tp hcm", "26743"),
        ("tphcm ben thanh", "26743"),
        ("đặc khu côn đảo", "26732"),
        ("dac khu phu quoc", "31078"),
        ("20257", "20257"),
    ],
)
def test_find_with_or_without_diacritics_and_province(typed: str, code: str) -> None:
    """The named unit comes first with score 100."""
    matches = find(typed)
    assert (matches[0].unit.code, matches[0].score) == (code, 100.0)


def test_a_typo_still_finds_the_unit_first() -> None:
    """A typo ("hoa cuonh") finds Phường Hòa Cường first, clearly ahead of the next."""
    first, second, *_ = find("hoa cuonh")
    assert first.unit.code == "20257"
    assert 85 <= first.score < 100
    assert first.score - second.score >= 5


def test_an_ambiguous_name_is_resolved_by_the_province() -> None:
    """Phường An Bình exists in three provinces; the province picks one."""
    tied = [m for m in find("phuong an binh", limit=10) if m.score == 100]
    assert len(tied) == 3
    assert len({m.unit.province_code for m in tied}) == 3
    in_text = find("an binh can tho")
    assert in_text[0].unit.province_name == "Thành phố Cần Thơ" and in_text[0].score == 100
    assert in_text[1].score < 100
    by_argument = find("an binh", province="cần thơ")
    assert [m.unit.code for m in by_argument[:1]] == [in_text[0].unit.code]
    assert all(m.unit.province_code == "92" for m in by_argument)


def test_kind_prefix_prefers_that_kind() -> None:
    """The prefix in "xã an phú" ranks every Xã An Phú above any Phường An Phú."""
    matches = find("xã an phú", limit=10)
    kinds = [m.unit.kind for m in matches if m.unit.short_name == "An Phú"]
    assert kinds and kinds == sorted(kinds, key=lambda k: k != "xa")
    assert matches[0].unit.kind == "xa"


def test_a_ward_named_like_its_province() -> None:
    """Phường Lào Cai is found although "lào cai" also names the province."""
    assert find("phuong lao cai")[0].unit.name == "Phường Lào Cai"


def test_within_restricts_to_the_given_codes() -> None:
    """`within` keeps only the allowed units; nothing when none fits."""
    assert [m.unit.code for m in find("hoa cuong", within={"20257"})] == ["20257"]
    assert find("ben thanh", within={"20257"}) == []
    assert find("20257", within=set()) == []


def test_diacritics_that_differ_score_just_below_exact() -> None:
    """A name typed with other diacritics still matches, at 99."""
    assert find("Hoà Cưởng")[0].score == 99.0
    assert find("Hòa Cường")[0].score == 100.0


def test_nothing_for_gibberish_or_empty() -> None:
    """Text that names no unit gets no confident match."""
    assert find("") == []
    assert all(m.score < 85 for m in find("qwerty zxcv"))


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        ("Đà Nẵng", "48"),
        ("da nang", "48"),
        ("TP.HCM", "79"),
        ("hcm", "79"),
        ("Thành phố Hồ Chí Minh", "79"),
        ("tỉnh lào cai", "15"),
        ("Da Nag", "48"),
        ("hn", "01"),
    ],
)
def test_find_province(typed: str, code: str) -> None:
    """Provinces by official, short, compact or abbreviated name, one typo allowed."""
    found = find_province(typed)
    assert found is not None and found.code == code


def test_sai_gon_is_a_ward_not_a_province_alias() -> None:
    """The text "Sài Gòn" names Phường Sài Gòn, not the province."""
    assert find_province("sai gon") is None
    assert find("sai gon")[0].unit.name == "Phường Sài Gòn"
