"""Masking personal data in what residents type before it is kept (che thông tin cá nhân).

The unanswered-question log grows the content: officers read it to see what residents ask.
Residents often write their whole situation into a question ("tôi tên Nguyễn Văn An, căn cước
0790..., sđt 0905..."), so before anything is stored :func:`mask_personal` replaces:

* identity numbers: a run of 9 or 12 digits (chứng minh nhân dân, căn cước / số định danh cá
  nhân), with or without spaces, dots or dashes between the groups;
* phone numbers: 10 digits starting with 0, or 9 digits after +84 / 84;
* any other run of 9 or more digits that does not look like money ("1.500.000" keeps its dots
  in groups of three and does not start with 0);
* e-mail addresses;
* a name introduced as such: the words after "tôi tên", "tên tôi là", "tên là", "em tên",
  "con tên", "cháu tên", "mình tên", "tui tên" (with or without diacritics), and after
  "tôi là" / "em là" / "con là" / "cháu là" when they start with a capital letter.

Written by hand: no well-kept library masks Vietnamese names and identity numbers (Presidio's
recognisers need a language model and know neither căn cước numbers nor these phrasings), and
the rules are a few regular expressions.
"""

from __future__ import annotations

import re

__all__ = ["EMAIL_MASK", "ID_MASK", "NAME_MASK", "PHONE_MASK", "mask_personal"]

ID_MASK = "[số giấy tờ]"
PHONE_MASK = "[số điện thoại]"
EMAIL_MASK = "[email]"
NAME_MASK = "[họ tên]"

_SEP = r"[ .\-]?"
# +84 / 84 and 9 digits, or 0 and 9 more digits (grouped any way).
_PHONE = re.compile(rf"(?<!\d)(?:\+?84{_SEP}\d(?:{_SEP}\d){{8}}|0\d(?:{_SEP}\d){{8}})(?!\d)")
# 12 or 9 digits (căn cước / CMND), grouped any way; tried after phones.
_ID = re.compile(rf"(?<!\d)\d(?:{_SEP}\d){{11}}(?!\d)|(?<!\d)\d(?:{_SEP}\d){{8}}(?!\d)")
# Money written with thousands separators: 1.500.000 or 1,500,000, not starting with 0.
_MONEY = re.compile(r"[1-9]\d{0,2}(?:[.,]\d{3})+")
_LONG_DIGITS = re.compile(r"(?<!\d)\d{9,}(?!\d)")
# A number followed by its currency is money, however it is written ("100000000 đồng").
_CURRENCY_AFTER = re.compile(r"\s*(?:đồng|dong|đ|vnđ|vnd)\b", re.IGNORECASE)
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")

_WORD = r"[^\W\d_][^\W\d_'’-]*"
# After these the next 1–4 words are a name whatever their case.
_NAME_ALWAYS = re.compile(
    r"(?i)\b(?:(?:tôi|toi|em|con|cháu|chau|mình|minh|tui|tao|bác|bac|cô|co|chú|chu)\s+tên"
    r"|(?:tôi|toi|em|con|cháu|chau|mình|minh|tui)\s+ten"
    r"|tên\s+(?:tôi|toi|em|con|cháu|chau|mình|minh)\s+(?:là|la)"
    r"|ten\s+(?:toi|em|con|chau|minh)\s+la"
    r"|(?:họ\s+tên|ho\s+ten|tên|ten)\s+(?:là|la))"
    rf"(?:\s*[:,]?\s*)((?:{_WORD})(?:\s+{_WORD}){{0,3}})"
)
# After these, only capitalised words are a name ("tôi là hộ nghèo" is not).
_NAME_IF_CAPITAL = re.compile(
    r"(?i:\b(?:tôi|toi|em|con|cháu|chau|mình|minh|tui)\s+(?:là|la))\s+"
    r"((?:[A-ZÀ-ỸĐ][^\W\d_]*)(?:\s+[A-ZÀ-ỸĐ][^\W\d_]*){0,3})"
)
# Words that end a name: what comes after a name in a question, never a name themselves.
# Without diacritics many such words are also names ("nam", "phuong", "van", "ho", "dang",
# "hien"), so only unambiguous ones are listed: masking a word too many is the safe side.
_AFTER_NAME = frozenset(
    [
        "ở",
        "o",
        "tại",
        "nhà",
        "năm",
        "sinh",
        "hỏi",
        "hoi",
        "muốn",
        "muon",
        "cho",
        "xin",
        "có",
        "không",
        "khong",
        "là",
        "thuộc",
        "thuoc",
        "đang",
        "vẫn",
        "hiện",
        "số",
        "sđt",
        "sdt",
        "căn",
        "cccd",
        "cmnd",
        "và",
        "thôn",
        "thon",
        "xã",
        "phường",
        "hộ",
        "ạ",
        "a",
    ]
)


def _mask_name(match: re.Match[str]) -> str:
    words = match.group(1).split()
    kept: list[str] = []
    for word in words:
        if word.lower() in _AFTER_NAME:
            break
        kept.append(word)
    if not kept:
        return match.group(0)
    name = " ".join(kept)
    start = match.start(1) - match.start(0)
    head = match.group(0)[:start]
    tail = match.group(1)[len(name) :]
    return f"{head}{NAME_MASK}{tail}"


def _mask_numbers(text: str) -> str:
    money: list[tuple[int, int]] = [m.span() for m in _MONEY.finditer(text)]

    def is_money(span: tuple[int, int]) -> bool:
        if _CURRENCY_AFTER.match(text, span[1]) and text[span[0]] != "0":
            return True
        return any(start <= span[0] and span[1] <= end for start, end in money)

    def phone(match: re.Match[str]) -> str:
        return match.group(0) if is_money(match.span()) else PHONE_MASK

    def ident(match: re.Match[str]) -> str:
        return match.group(0) if is_money(match.span()) else ID_MASK

    text = _PHONE.sub(phone, text)
    money = [m.span() for m in _MONEY.finditer(text)]
    text = _ID.sub(ident, text)
    return _LONG_DIGITS.sub(ident, text)


def mask_personal(text: str) -> str:
    """The text with identity numbers, phones, e-mails and introduced names masked.

    Args:
        text: What a resident typed.

    Returns:
        The same text with each piece of personal data replaced by a bracketed label such as
        "[số giấy tờ]"; everything else, money amounts included, is kept.
    """
    text = _EMAIL.sub(EMAIL_MASK, text)
    text = _mask_numbers(text)
    text = _NAME_ALWAYS.sub(_mask_name, text)
    return _NAME_IF_CAPITAL.sub(_mask_name, text)
