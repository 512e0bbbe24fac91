"""Named steps of the donation flows (what the user sees at each one)."""

from __future__ import annotations

from enum import StrEnum


class LogStep(StrEnum):
    """Steps of logging a gift (ghi nhận khoản ủng hộ)."""

    CAMPAIGN = "campaign"
    """Asks which open campaign the gift belongs to."""
    DONOR_TYPE = "donor_type"
    """Asks the donor type: individual, organisation, business or a one-day-salary unit."""
    DONOR_NAME = "donor_name"
    """Asks the donor's name, with an "anonymous" button."""
    AMOUNT = "amount"
    """Asks the amount in đồng."""
    AMOUNT_CONFIRM = "amount_confirm"
    """Asks again to confirm an amount of one billion đồng or more."""
    METHOD = "method"
    """Asks how the gift was given: cash, bank transfer or in kind."""
    REFERENCE = "reference"
    """Asks the bank reference (transfer) or the description of the goods (in kind)."""
    DATE = "date"
    """Asks the date of the gift (today, yesterday or dd/mm/yyyy)."""
    PUBLIC = "public"
    """Asks whether the donor agreed to be named publicly."""
    NOTE = "note"
    """Asks for an optional note."""
    CONFIRM = "confirm"
    """Shows everything entered and asks to confirm."""
    DONE = "done"
    """Shows the receipt number of the recorded gift."""


class CampaignStep(StrEnum):
    """Steps of creating a campaign (tạo đợt vận động)."""

    NAME = "name"
    """Asks the campaign name."""
    FUND = "fund"
    """Asks which fund: Vì người nghèo or Đền ơn đáp nghĩa."""
    SCOPE = "scope"
    """Asks (admins only) whether the campaign is for their ward or their whole province."""
    TARGET = "target"
    """Asks the target amount in đồng."""
    START = "start"
    """Asks the start date."""
    END = "end"
    """Asks the end date."""
    CONFIRM = "confirm"
    """Shows the campaign and asks to confirm."""
