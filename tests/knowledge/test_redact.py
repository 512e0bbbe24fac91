"""Tests for knowledge.redact: personal data masked, money and the question kept."""

from __future__ import annotations

import pytest

from knowledge.redact import mask_personal

CASES = [
    (
        "tôi tên Nguyễn Văn An, căn cước 079123456789, sđt 0905 123 456 hỏi về hộ nghèo",
        "tôi tên [họ tên], căn cước [số giấy tờ], sđt [số điện thoại] hỏi về hộ nghèo",
    ),
    ("toi ten nguyen van an o xa hoa vang", "toi ten [họ tên] o xa hoa vang"),
    ("toi ten ho thi phuong, sdt 0912345678", "toi ten [họ tên], sdt [số điện thoại]"),
    ("tên tôi là Lê Văn Cường ở phường Hòa Cường", "tên tôi là [họ tên] ở phường Hòa Cường"),
    ("em là Nam, 20 tuổi", "em là [họ tên], 20 tuổi"),
    ("cmnd 201234567 het han roi", "cmnd [số giấy tờ] het han roi"),
    ("căn cước 079 123 456 789", "căn cước [số giấy tờ]"),
    ("goi cho em so +84 905123456 nhe", "goi cho em so [số điện thoại] nhe"),
    ("so 0905.123.456", "so [số điện thoại]"),
    ("email an.nguyen@gmail.com", "email [email]"),
    ("vay 100000000 khong", "vay [số giấy tờ] khong"),
]
KEPT = [
    "tôi là hộ nghèo, thu nhập 6.000.000 đồng, có được vay không",
    "nhà 5 người thu nhập 1.500.000.000 đồng/năm",
    "ho ngheo duoc vay 100000000 dong khong",
    "chuẩn nghèo 2027 là 2.200.000 đồng ở nông thôn",
    "hộ 4 người thu nhập 6tr/tháng",
]


@pytest.mark.parametrize(("typed", "stored"), CASES)
def test_personal_data_is_masked(typed: str, stored: str) -> None:
    """Identity numbers, phones, e-mails and introduced names are replaced by labels."""
    assert mask_personal(typed) == stored


@pytest.mark.parametrize("typed", KEPT)
def test_questions_and_money_are_kept(typed: str) -> None:
    """A question without personal data, money amounts included, is stored as typed."""
    assert mask_personal(typed) == typed
