"""VietQR payloads (NAPAS 247 on EMVCo "merchant presented" QR) for a bank transfer.

A payload is a string of TLV fields (two-digit tag, two-digit length, value):

=====  =========================================================================
``00`` payload format indicator, ``01``
``01`` point of initiation: ``12`` dynamic (with an amount), ``11`` static
``38`` merchant account information (NAPAS): ``00`` GUID ``A000000727``,
       ``01`` beneficiary organisation (``00`` acquirer BIN, 6 digits;
       ``01`` account number, up to 19), ``02`` service code ``QRIBFTTA``
       (transfer to an account)
``53`` currency ``704`` (VND)
``54`` amount, whole đồng (dynamic codes only)
``58`` country ``VN``
``62`` additional data: ``08`` purpose of transaction, the transfer note
``63`` CRC-16/CCITT-FALSE (poly 0x1021, init 0xFFFF, no reflection, no final
       XOR) of everything before it including ``6304``, four upper-case hex digits
=====  =========================================================================

NAPAS's "Technical Specifications on NAPAS QR Switching" (v1.5.2) gives the purpose field
(``62``/``08``) as "ans, var. up to 25": the note is folded to ASCII (no diacritics), kept to
``A-Z 0-9`` and space, and cut to 25 characters, always keeping the campaign's reference at
its start, so banks that truncate longer notes still carry it into the statement.

Why our own encoder rather than a library: ``vietnam-qr-pay`` (MIT, PyPI) builds the same
string, but it has a single release (1.0.0), ships no type information (this project runs
mypy --strict), carries a bank table we do not need, and checks neither the note's characters
nor its length. The whole format is the sixty lines below, tested against payloads published
with that library and with ``subiz/vietqr`` and against an independent CRC.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from knowledge.text import strip_diacritics

__all__ = [
    "GUID",
    "MAX_NOTE",
    "SERVICE_ACCOUNT",
    "Transfer",
    "VietQRError",
    "crc16_ccitt_false",
    "fold_note",
    "payload",
    "read",
]

GUID = "A000000727"
"""NAPAS's application id in tag 38."""
SERVICE_ACCOUNT = "QRIBFTTA"
"""Inter-bank fund transfer 24/7 to an account."""
MAX_NOTE = 25
"""The longest purpose of transaction (tag 62, sub-tag 08) NAPAS allows."""
MAX_AMOUNT_DIGITS = 13
_NOT_NOTE = re.compile(r"[^A-Z0-9 ]+")
_SPACES = re.compile(r" {2,}")


class VietQRError(ValueError):
    """A value that cannot go into a VietQR payload (a bad BIN, account or amount)."""


@dataclass(frozen=True, slots=True)
class Transfer:
    """What a donor's banking app fills in from the code."""

    bin: str
    account: str
    amount: int | None
    note: str


def crc16_ccitt_false(data: bytes) -> int:
    """CRC-16/CCITT-FALSE: polynomial 0x1021, initial 0xFFFF, MSB first, no final XOR."""
    crc = 0xFFFF
    for byte in data:
        crc ^= byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) if crc & 0x8000 else crc << 1
            crc &= 0xFFFF
    return crc


def _tlv(tag: str, value: str) -> str:
    if not 0 < len(value) <= 99:
        raise VietQRError(f"field {tag} must be 1-99 characters")
    return f"{tag}{len(value):02d}{value}"


def fold_note(text: str, *, reference: str = "", limit: int = MAX_NOTE) -> str:
    """The transfer note as banks carry it: ASCII upper case, ``A-Z 0-9`` and space, capped.

    The campaign's `reference` comes first and is never cut; the rest of `text` fills what
    is left of `limit` (cut at a word end when one is near).
    """
    folded = _NOT_NOTE.sub(" ", strip_diacritics(text).upper())
    folded = _SPACES.sub(" ", folded).strip()
    ref = _NOT_NOTE.sub("", reference.upper())
    if ref and folded.split(" ", 1)[0] == ref:
        folded = folded[len(ref) :].strip()
    note = f"{ref} {folded}".strip() if ref else folded
    if len(note) <= limit:
        return note
    cut = note[:limit]
    if note[limit] != " " and " " in cut[len(ref) + 1 :]:
        cut = cut[: cut.rindex(" ")]
    return cut.rstrip()


def payload(*, bin_code: str, account: str, amount: int | None = None, note: str = "") -> str:
    """The VietQR string for a transfer to `account` at the bank `bin_code`.

    Args:
        bin_code: The bank's 6-digit NAPAS BIN (Vietcombank ``970436``).
        account: The account number (digits and capital letters, up to 19).
        amount: Whole đồng for a dynamic code; None for a static one (the donor types it).
        note: The transfer note, printable ASCII within `MAX_NOTE` (ours come from
            `fold_note`); empty for none.

    Raises:
        VietQRError: a BIN, account, amount or note that the format does not allow.
    """
    if not (len(bin_code) == 6 and bin_code.isascii() and bin_code.isdigit()):
        raise VietQRError("BIN must be 6 digits")
    if not (0 < len(account) <= 19 and re.fullmatch(r"[0-9A-Z]+", account)):
        raise VietQRError("account must be 1-19 digits or capital letters")
    if amount is not None and not (amount > 0 and len(str(amount)) <= MAX_AMOUNT_DIGITS):
        raise VietQRError("amount out of range")
    if len(note) > MAX_NOTE or not (note.isascii() and note.isprintable()):
        raise VietQRError("note must be printable ASCII of at most 25 characters (fold_note)")
    beneficiary = _tlv("00", bin_code) + _tlv("01", account)
    merchant = _tlv("00", GUID) + _tlv("01", beneficiary) + _tlv("02", SERVICE_ACCOUNT)
    body = _tlv("00", "01") + _tlv("01", "11" if amount is None else "12")
    body += _tlv("38", merchant) + _tlv("53", "704")
    if amount is not None:
        body += _tlv("54", str(amount))
    body += _tlv("58", "VN")
    if note:
        body += _tlv("62", _tlv("08", note))
    body += "6304"
    return body + f"{crc16_ccitt_false(body.encode('ascii')):04X}"


def read(text: str) -> Transfer:
    """The transfer a VietQR string describes (for tests and checks); checks the CRC.

    Raises:
        VietQRError: not a VietQR transfer payload, or a wrong CRC.
    """
    if len(text) < 8 or text[-8:-4] != "6304":
        raise VietQRError("no CRC field")
    if f"{crc16_ccitt_false(text[:-4].encode('ascii')):04X}" != text[-4:].upper():
        raise VietQRError("CRC mismatch")
    root = _fields(text[:-8])
    merchant = _fields(root.get("38", ""))
    beneficiary = _fields(merchant.get("01", ""))
    if merchant.get("00") != GUID or "00" not in beneficiary:
        raise VietQRError("not a VietQR transfer")
    amount = root.get("54")
    return Transfer(
        bin=beneficiary["00"],
        account=beneficiary.get("01", ""),
        amount=int(amount) if amount else None,
        note=_fields(root.get("62", "")).get("08", ""),
    )


def _fields(text: str) -> dict[str, str]:
    found: dict[str, str] = {}
    index = 0
    while index + 4 <= len(text):
        tag, size = text[index : index + 2], text[index + 2 : index + 4]
        if not size.isdigit():
            raise VietQRError("bad field length")
        end = index + 4 + int(size)
        if end > len(text):
            raise VietQRError("field runs past the end")
        found[tag] = text[index + 4 : end]
        index = end
    if index != len(text):
        raise VietQRError("trailing characters")
    return found
