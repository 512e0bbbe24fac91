"""Steps of the resident's registration form and the pure checks of what the resident types."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from bot.core.text import nfc
from knowledge.money import MAX_MEMBERS as MAX_MEMBERS  # re-exported: the step's range
from knowledge.money import (
    MAX_MONTHLY_INCOME,
    MIN_MONTHLY_INCOME,
    in_monthly_income_range,
    parse_money,
)
from knowledge.money import MIN_MEMBERS as MIN_MEMBERS


class Step(StrEnum):
    """Steps of the registration flow (đăng ký thoát nghèo)."""

    CONSENT = "consent"
    """Explains what is collected, who sees it and how to delete it; asks for consent."""
    NAME = "name"
    """Asks for the head of household's full name."""
    BIRTH = "birth"
    """Asks for the head of household's date of birth (dd/mm/yyyy)."""
    SEX = "sex"
    """Asks for the head of household's sex (buttons)."""
    ETHNICITY = "ethnicity"
    """Asks for the ethnicity (typed, or the "Kinh" button)."""
    ID_NUMBER = "id_number"
    """Asks for the 12-digit căn cước number (số định danh cá nhân)."""
    PHONE = "phone"
    """Asks for a Vietnamese mobile number."""
    WARD = "ward"
    """Asks which commune (xã, phường or đặc khu) the household lives in (typed; buttons if few)."""
    ADDRESS = "address"
    """Asks for the address in the ward."""
    HOUSEHOLD_CODE = "household_code"
    """Asks for the household code if known (skip button)."""
    MEMBERS = "members"
    """Asks how many people live in the household."""
    INCOME = "income"
    """Asks for the household's current monthly income and echoes it."""
    CAUSES = "causes"
    """Shows the causes of poverty as toggle buttons (✅ when ticked)."""
    CAUSE_OTHER = "cause_other"
    """Asks to describe the other cause of poverty."""
    SUPPORTS = "supports"
    """Shows the wished support as toggle buttons (✅ when ticked)."""
    SUPPORT_OTHER = "support_other"
    """Asks to describe the other support wished."""
    TARGET_YEAR = "target_year"
    """Asks the year the household aims to exit poverty (this year .. +5)."""
    COMMITMENT = "commitment"
    """Shows the commitment text and asks the resident to confirm it."""
    SUMMARY = "summary"
    """Shows everything entered with Submit, Edit, Back and Cancel."""
    EDIT = "edit"
    """Lists the fields the resident can change before submitting."""
    DONE = "done"
    """Shows the reference code and what happens next."""
    STATUS = "status"
    """Shows the timeline of the resident's registrations (/trangthai)."""
    ANSWER = "answer"
    """Asks the resident to type the answer to the officer's question."""
    WITHDRAW = "withdraw"
    """Asks the resident to confirm withdrawing a registration."""


FORM: tuple[Step, ...] = (
    Step.CONSENT,
    Step.NAME,
    Step.BIRTH,
    Step.SEX,
    Step.ETHNICITY,
    Step.ID_NUMBER,
    Step.PHONE,
    Step.WARD,
    Step.ADDRESS,
    Step.HOUSEHOLD_CODE,
    Step.MEMBERS,
    Step.INCOME,
    Step.CAUSES,
    Step.CAUSE_OTHER,
    Step.SUPPORTS,
    Step.SUPPORT_OTHER,
    Step.TARGET_YEAR,
    Step.COMMITMENT,
    Step.SUMMARY,
)
"""The form's steps in order (CAUSE_OTHER / SUPPORT_OTHER only when "khác" is ticked)."""

EDITABLE: tuple[Step, ...] = (
    Step.NAME,
    Step.BIRTH,
    Step.SEX,
    Step.ETHNICITY,
    Step.ID_NUMBER,
    Step.PHONE,
    Step.WARD,
    Step.ADDRESS,
    Step.HOUSEHOLD_CODE,
    Step.MEMBERS,
    Step.INCOME,
    Step.CAUSES,
    Step.SUPPORTS,
    Step.TARGET_YEAR,
)
"""Fields the summary's Edit button offers."""

MIN_AGE = 16
MAX_AGE = 110
TARGET_YEARS_AHEAD = 5
MIN_INCOME = MIN_MONTHLY_INCOME
"""Lowest monthly income the form takes (đồng); the range is `knowledge.money`'s."""
MAX_INCOME = MAX_MONTHLY_INCOME
"""Highest monthly income the form takes (đồng, 10 tỷ); more is a typing mistake."""


@dataclass(frozen=True, slots=True)
class Checked:
    """A checked input: the cleaned value, or the catalog key of what is wrong."""

    value: str = ""
    error: str = ""


def _fail(key: str) -> Checked:
    return Checked(error=f"exit_registration.error.{key}")


_NAME = re.compile(r"^[^\W\d_]+(?:[ '\-][^\W\d_]+)*$")


def check_name(text: str) -> Checked:
    """A full name: 2–100 characters of letters and spaces."""
    cleaned = " ".join(nfc(text).split())
    if not 2 <= len(cleaned) <= 100 or not _NAME.match(cleaned) or " " not in cleaned:
        return _fail("name")
    return Checked(cleaned)


_DATE = re.compile(r"^(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4})$")


def check_birth(text: str, today: date) -> Checked:
    """A date of birth dd/mm/yyyy giving an age of 16–110; stored as ISO `yyyy-mm-dd`."""
    match = _DATE.match(text.strip())
    if match is None:
        return _fail("birth_format")
    day, month, year = (int(part) for part in match.groups())
    try:
        born = date(year, month, day)
    except ValueError:
        return _fail("birth_invalid")
    if born > today:
        return _fail("birth_future")
    age = today.year - born.year - ((today.month, today.day) < (born.month, born.day))
    if not MIN_AGE <= age <= MAX_AGE:
        return _fail("birth_age")
    return Checked(born.isoformat())


def check_ethnicity(text: str) -> Checked:
    """An ethnicity (dân tộc): 2–40 letters."""
    cleaned = " ".join(nfc(text).split())
    if not 2 <= len(cleaned) <= 40 or not _NAME.match(cleaned):
        return _fail("ethnicity")
    return Checked(cleaned)


def check_id_number(text: str) -> Checked:
    """A citizen ID-card number (CCCD): 12 digits, province code 001–096, century/sex 0–9."""
    cleaned = re.sub(r"[\s.\-]", "", text)
    if not cleaned.isascii() or not cleaned.isdigit():
        return _fail("id_digits")
    if len(cleaned) != 12:
        return _fail("id_length")
    if not 1 <= int(cleaned[:3]) <= 96:
        return _fail("id_province")
    if cleaned[3] not in "0123456789":
        return _fail("id_century")
    return Checked(cleaned)


_MOBILE_PREFIXES = ("03", "05", "07", "08", "09")


def check_phone(text: str) -> Checked:
    """A Vietnamese mobile number: 10 digits from 03/05/07/08/09, or the +84 form."""
    cleaned = re.sub(r"[\s.\-()]", "", text)
    if cleaned.startswith("+84"):
        cleaned = "0" + cleaned[3:]
    if not cleaned.isascii() or not cleaned.isdigit() or len(cleaned) != 10:
        return _fail("phone")
    if not cleaned.startswith(_MOBILE_PREFIXES):
        return _fail("phone")
    return Checked(cleaned)


def check_address(text: str) -> Checked:
    """An address: 5–200 characters."""
    cleaned = " ".join(nfc(text).split())
    if not 5 <= len(cleaned) <= 200:
        return _fail("address")
    return Checked(cleaned)


_HOUSEHOLD_CODE = re.compile(r"^[A-Za-z0-9./\-]{1,30}$")


def check_household_code(text: str) -> Checked:
    """A household code (mã hộ): up to 30 letters, digits, dots, dashes or slashes."""
    cleaned = text.strip()
    if not _HOUSEHOLD_CODE.match(cleaned):
        return _fail("household_code")
    return Checked(cleaned)


def check_members(text: str) -> Checked:
    """The number of household members: ASCII digits, 1–30 ("²", "①" or "٤" are refused)."""
    cleaned = text.strip()
    if not cleaned.isascii() or not cleaned.isdigit() or len(cleaned) > 3:
        return _fail("members")  # long digit runs are refused before `int` reads them
    if not MIN_MEMBERS <= int(cleaned) <= MAX_MEMBERS:
        return _fail("members")
    return Checked(str(int(cleaned)))


@dataclass(frozen=True, slots=True)
class Income:
    """A checked monthly income: the amount per month, what was typed, or what is wrong.

    Attributes:
        monthly: Đồng per month (a yearly amount typed is divided by 12, rounded down).
        typed: The amount as typed (per year when `yearly`).
        yearly: The resident typed a yearly amount.
        error: Catalog key of what is wrong ("" when the income is taken); the range message
            takes `low` and `high` (see `MIN_INCOME`, `MAX_INCOME`).
    """

    monthly: int = 0
    typed: int = 0
    yearly: bool = False
    error: str = ""


def check_income(text: str) -> Income:
    """The household's monthly income, in words or digits, 0 to 10 tỷ đồng a month.

    Full-width and Arabic-Indic digits are read like ASCII ones (`knowledge.money`).
    """
    parsed = parse_money(text)
    if parsed.amount is None:
        return Income(error=f"exit_registration.error.income_{parsed.problem}")
    yearly = parsed.period == "year"
    monthly = parsed.amount // 12 if yearly else parsed.amount
    if not in_monthly_income_range(monthly):
        return Income(error="exit_registration.error.income_range")
    return Income(monthly, parsed.amount, yearly)


def check_free_text(text: str) -> Checked:
    """A short description ("khác"): 2–200 characters."""
    cleaned = " ".join(nfc(text).split())
    if not 2 <= len(cleaned) <= 200:
        return _fail("free_text")
    return Checked(cleaned)


def mask_id(id_number: str) -> str:
    """An ID-card number with all but the last 4 digits hidden: `********1234`."""
    if not id_number:
        return "—"
    return "*" * (len(id_number) - 4) + id_number[-4:]
