"""The public statement (sao kê) of a campaign as data: its lines, balances, totals and checksum.

Pure code, no I/O: `build` turns the gifts and disbursements (khoản chi) of one period into a
`Statement` whose every text is final (translated, NFC, whitespace collapsed, passed through
the spreadsheet formula guard), so the PDF, the CSV and the XLSX show the same cells, and a
reader of any of them can rebuild the same canonical text.

The checksum is SHA-256 over that canonical text: one state line (schema, campaign, period,
language, opening and closing balance, and for gifts and for disbursements the number of ledger
rows in the period and the highest row id: the ledger state the statement was made from)
followed by one JSON array per line. Two copies of one statement, in any of the three formats,
carry the same checksum; any change to a line, a balance or the ledger state changes it. It is
a checksum, not a signature: whether a file still matches the ledger is for `verify --db` to
say, against the ledger itself.
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Protocol

from handlers.spreadsheet import safe_cell
from storage.ledger import DONOR_TYPES, METHODS, PURPOSES, Disbursement, Entry

__all__ = [
    "COLUMNS",
    "SCHEMA",
    "Line",
    "State",
    "Statement",
    "Totals",
    "build",
    "checksum_of",
    "clean",
    "parse_amount",
    "parse_state",
]

SCHEMA = "sk1"
MAX_TEXT = 200
COLUMNS = (
    "number",
    "day",
    "kind",
    "party",
    "category",
    "ward",
    "method",
    "goods",
    "quantity",
    "money_in",
    "money_out",
    "note",
)
SEPARATOR = "¦"  # the PDF's invisible cell separator: never left inside a cell's text
SOFT_HYPHEN = "\u00ad"  # the PDF's mark of a word broken across lines: never inside a text
_SPACES = re.compile(r"\s+")
_PLAIN = re.compile(r"[A-Za-z0-9][A-Za-z0-9-]*\Z")  # a receipt number: nothing to clean
_JSON = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\ufffe\uffff]")  # not allowed in XML or PDF text
_STATE = re.compile(
    r"^sk1\|campaign=(?P<campaign>\d+)\|from=(?P<start>[0-9-]{10}|\*)\|to=(?P<end>[0-9-]{10}|\*)"
    r"\|lang=(?P<lang>[a-z]{2})\|opening=(?P<opening>-?\d+)\|closing=(?P<closing>-?\d+)"
    r"\|in=(?P<n_in>\d+):(?P<last_in>\d+)\|out=(?P<n_out>\d+):(?P<last_out>\d+)$"
)
STATE_PATTERN = re.compile(r"sk1\|campaign=\d+\|\S+")
CHECKSUM_PATTERN = re.compile(r"\b[0-9a-f]{64}\b")


class Translate(Protocol):
    """The translator the builder takes (`bot.core.i18n.Translator` fits)."""

    @property
    def language(self) -> str:
        """The language code."""
        ...

    def __call__(self, key: str, /, **params: object) -> str:
        """The text of `key` with its placeholders filled."""
        ...

    def has(self, key: str) -> bool:
        """Whether `key` is translated."""
        ...


@dataclass(frozen=True, slots=True)
class Line:
    """One line of the statement, every text final (what every format shows)."""

    number: str
    day: date
    kind: str
    party: str
    category: str
    ward: str
    method: str
    goods: str
    quantity: str
    money_in: int
    money_out: int
    note: str

    def canonical(self) -> str:
        """The line as one compact JSON array (the checksum's unit)."""
        return _JSON.encode(
            [
                self.number,
                self.day.isoformat(),
                self.kind,
                self.party,
                self.category,
                self.ward,
                self.method,
                self.goods,
                self.quantity,
                self.money_in,
                self.money_out,
                self.note,
            ]
        )

    def texts(self) -> tuple[str, ...]:
        """The twelve cells as shown in the PDF (amounts with dots, 0 as empty)."""
        return (
            self.number,
            self.day.strftime("%d/%m/%Y"),
            self.kind,
            self.party,
            self.category,
            self.ward,
            self.method,
            self.goods,
            self.quantity,
            dotted(self.money_in),
            dotted(self.money_out),
            self.note,
        )


@dataclass(frozen=True, slots=True)
class State:
    """The state line: what the statement covers and the ledger state it was made from."""

    campaign_id: int
    start: date | None
    end: date | None
    language: str
    opening: int
    closing: int
    gifts: int
    last_gift: int
    outs: int
    last_out: int

    def text(self) -> str:
        """The state line as printed (ASCII, no spaces)."""
        start = self.start.isoformat() if self.start else "*"
        end = self.end.isoformat() if self.end else "*"
        return (
            f"{SCHEMA}|campaign={self.campaign_id}|from={start}|to={end}|lang={self.language}"
            f"|opening={self.opening}|closing={self.closing}"
            f"|in={self.gifts}:{self.last_gift}|out={self.outs}:{self.last_out}"
        )


@dataclass(frozen=True, slots=True)
class Totals:
    """Sums of the period, each as (label, đồng) in a fixed order."""

    money_in: int
    money_out: int
    by_donor_type: list[tuple[str, int]] = field(default_factory=list)
    by_method_in: list[tuple[str, int]] = field(default_factory=list)
    by_method_out: list[tuple[str, int]] = field(default_factory=list)
    by_purpose: list[tuple[str, int]] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Statement:
    """A campaign's statement for one period."""

    campaign_id: int
    campaign_name: str
    fund: str
    period: str
    generated: str
    state: State
    gifts: list[Line]
    outs: list[Line]
    totals: Totals
    checksum: str

    @property
    def lines(self) -> list[Line]:
        """Gift lines, then disbursement lines."""
        return self.gifts + self.outs


def clean(value: str) -> str:
    """A text cell as every format shows it: NFC, spaces collapsed, capped, formula-guarded.

    Control characters are dropped (XML and PDF text cannot carry them).
    """
    text = unicodedata.normalize("NFC", value).replace(SOFT_HYPHEN, "").replace(SEPARATOR, "|")
    text = _CONTROL.sub("", _SPACES.sub(" ", text)).strip()[:MAX_TEXT]
    guarded = safe_cell(text)
    assert isinstance(guarded, str)
    return guarded


def dotted(amount: int) -> str:
    """Đồng with dots between thousands (`5.000.000`), empty for 0."""
    return f"{amount:,}".replace(",", ".") if amount else ""


def parse_amount(text: str) -> int:
    """The inverse of `dotted`: "5.000.000" → 5000000, "" → 0; ValueError otherwise."""
    text = text.strip()
    if not text:
        return 0
    if not re.fullmatch(r"-?\d{1,3}(\.\d{3})*", text):
        raise ValueError(text)
    return int(text.replace(".", ""))


def parse_state(text: str) -> State | None:
    """The `State` a printed state line stands for, or None."""
    match = _STATE.match(text.strip())
    if match is None:
        return None
    parts = match.groupdict()
    return State(
        campaign_id=int(parts["campaign"]),
        start=None if parts["start"] == "*" else date.fromisoformat(parts["start"]),
        end=None if parts["end"] == "*" else date.fromisoformat(parts["end"]),
        language=parts["lang"],
        opening=int(parts["opening"]),
        closing=int(parts["closing"]),
        gifts=int(parts["n_in"]),
        last_gift=int(parts["last_in"]),
        outs=int(parts["n_out"]),
        last_out=int(parts["last_out"]),
    )


def checksum_of(state: State | str, lines: Iterable[Line]) -> str:
    """SHA-256 (hex) of the state line and the canonical lines, one per text line."""
    digest = hashlib.sha256((state if isinstance(state, str) else state.text()).encode())
    for line in lines:
        digest.update(b"\n")
        digest.update(line.canonical().encode())
    return digest.hexdigest()


def in_period(day: date, start: date | None, end: date | None) -> bool:
    """Whether `day` falls within the period (open ends allowed)."""
    return (start is None or day >= start) and (end is None or day <= end)


def _label(t: Translate, key: str, fallback: str) -> str:
    return t(key) if t.has(key) else fallback


class _Labels:
    """Translated labels, looked up once per key (a statement may have 100,000 lines)."""

    def __init__(self, t: Translate, wards: Mapping[str, str]) -> None:
        self.t = t
        self.wards = {ward_id: clean(name) for ward_id, name in wards.items()}
        self._cache: dict[str, str] = {}
        self._texts: dict[str, str] = {}

    def get(self, key: str, fallback: str) -> str:
        found = self._cache.get(key)
        if found is None:
            found = self._cache[key] = clean(_label(self.t, key, fallback))
        return found

    def text(self, value: str) -> str:
        """`clean(value)`, remembered (names, goods and quantities repeat)."""
        if not value:
            return ""
        if len(value) <= MAX_TEXT and _PLAIN.match(value):
            return value
        found = self._texts.get(value)
        if found is None:
            found = clean(value)
            if len(self._texts) < 100_000:
                self._texts[value] = found
        return found

    def ward(self, ward_id: str) -> str:
        name = self.wards.get(ward_id)
        if name is None:
            name = self.wards[ward_id] = clean(ward_id)
        return name


def gift_line(entry: Entry, labels: _Labels, numbers: Mapping[int, str]) -> Line:
    """A gift (or its reversal) as a line; the donor is named only when they agreed."""
    reversal = entry.kind == "reversal"
    if entry.public and entry.donor_name.strip() and not reversal:
        party = labels.text(entry.donor_name)
    else:
        party = labels.get("donations.statement.anonymous", "Nhà hảo tâm")
    note = ""
    if reversal and entry.reverses_id is not None:
        note = clean(
            labels.t(
                "donations.statement.reverses",
                number=numbers.get(entry.reverses_id, str(entry.reverses_id)),
            )
        )
    return Line(
        number=labels.text(entry.receipt),
        day=entry.donated_on,
        kind=labels.get(f"donations.statement.kind.{entry.kind}", entry.kind),
        party=party,
        category=labels.get(f"donations.type.{entry.donor_type}", entry.donor_type),
        ward=labels.ward(entry.ward_id),
        method=labels.get(f"donations.method.{entry.method}", entry.method),
        goods=labels.text(entry.goods),
        quantity=labels.text(entry.quantity),
        money_in=entry.amount,
        money_out=0,
        note=note,
    )


def out_line(
    out: Disbursement, labels: _Labels, numbers: Mapping[int, str], day: Callable[[date], str]
) -> Line:
    """A disbursement (or its reversal) as a line; the beneficiary named only with consent."""
    reversal = out.kind == "reversal"
    party = clean(out.beneficiary_label) if out.beneficiary_label.strip() else ""
    if not party:
        party = labels.get("donations.statement.household", "Hộ được hỗ trợ")
    notes: list[str] = []
    if out.decision_number.strip():
        notes.append(
            labels.t(
                "donations.statement.decision",
                number=out.decision_number.strip(),
                day=day(out.decision_date),
            )
        )
    if reversal and out.reverses_id is not None:
        number = numbers.get(out.reverses_id, str(out.reverses_id))
        notes.append(labels.t("donations.statement.reverses", number=number))
    amount = abs(out.amount)
    return Line(
        number=labels.text(out.voucher),
        day=out.paid_on,
        kind=labels.get(f"donations.statement.kind.out_{out.kind}", out.kind),
        party=party,
        category=labels.get(f"donations.disburse.purpose.{out.purpose}", out.purpose),
        ward=labels.ward(out.ward_id),
        method=labels.get(f"donations.method.{out.method}", out.method),
        goods=labels.text(out.goods),
        quantity=labels.text(out.quantity),
        money_in=0,
        money_out=-amount if reversal else amount,
        note=clean("; ".join(notes)),
    )


@dataclass(frozen=True, slots=True)
class Source:
    """What a statement is made from (read by the caller, in one period)."""

    campaign_id: int
    campaign_name: str
    fund: str
    start: date | None
    end: date | None
    gifts: Sequence[Entry]  # every gift row of the campaign, in id order
    outs: Sequence[Disbursement]  # every disbursement row of the campaign, in id order
    wards: Mapping[str, str]  # ward id → name


def _sums(lines: Iterable[tuple[str, int]], order: Sequence[str]) -> list[tuple[str, int]]:
    sums: dict[str, int] = {}
    for key, amount in lines:
        sums[key] = sums.get(key, 0) + amount
    rank = {key: index for index, key in enumerate(order)}
    return sorted(
        ((key, total) for key, total in sums.items() if total),
        key=lambda item: (rank.get(item[0], len(rank)), item[0]),
    )


def _totals(
    source: Source, gifts: list[Entry], outs: list[Disbursement], labels: _Labels
) -> Totals:
    def out_amount(out: Disbursement) -> int:
        return -abs(out.amount) if out.kind == "reversal" else abs(out.amount)

    by_type = _sums(((g.donor_type, g.amount) for g in gifts), DONOR_TYPES)
    by_method_in = _sums(((g.method, g.amount) for g in gifts), METHODS)
    by_method_out = _sums(((o.method, out_amount(o)) for o in outs), METHODS)
    by_purpose = _sums(((o.purpose, out_amount(o)) for o in outs), PURPOSES)
    return Totals(
        money_in=sum(g.amount for g in gifts),
        money_out=sum(out_amount(o) for o in outs),
        by_donor_type=[(labels.get(f"donations.type.{k}", k), v) for k, v in by_type],
        by_method_in=[(labels.get(f"donations.method.{k}", k), v) for k, v in by_method_in],
        by_method_out=[(labels.get(f"donations.method.{k}", k), v) for k, v in by_method_out],
        by_purpose=[(labels.get(f"donations.disburse.purpose.{k}", k), v) for k, v in by_purpose],
    )


def build(
    source: Source,
    t: Translate,
    *,
    generated_at: datetime,
    day: Callable[[date], str],
    moment: Callable[[datetime], str],
) -> Statement:
    """The statement of `source`'s period: opening balance, lines, closing balance, totals.

    The opening balance is everything dated before the period (gifts less disbursements);
    lines are ordered by date, then by row id.
    """
    labels = _Labels(t, source.wards)
    start, end = source.start, source.end
    before_in = sum(g.amount for g in source.gifts if start is not None and g.donated_on < start)
    before_out = sum(
        -abs(o.amount) if o.kind == "reversal" else abs(o.amount)
        for o in source.outs
        if start is not None and o.paid_on < start
    )
    gifts = sorted(
        (g for g in source.gifts if in_period(g.donated_on, start, end)),
        key=lambda g: (g.donated_on, g.id),
    )
    outs = sorted(
        (o for o in source.outs if in_period(o.paid_on, start, end)),
        key=lambda o: (o.paid_on, o.id),
    )
    receipts = {g.id: g.receipt for g in source.gifts}
    vouchers = {o.id: o.voucher for o in source.outs}
    gift_lines = [gift_line(g, labels, receipts) for g in gifts]
    out_lines = [out_line(o, labels, vouchers, day) for o in outs]
    totals = _totals(source, gifts, outs, labels)
    opening = before_in - before_out
    state = State(
        campaign_id=source.campaign_id,
        start=start,
        end=end,
        language=t.language,
        opening=opening,
        closing=opening + totals.money_in - totals.money_out,
        gifts=len(gifts),
        last_gift=max((g.id for g in gifts), default=0),
        outs=len(outs),
        last_out=max((o.id for o in outs), default=0),
    )
    if start is None and end is None:
        period = t("donations.statement.period_all")
    else:
        period = t(
            "donations.statement.period",
            start=day(start) if start else "…",
            end=day(end) if end else "…",
        )
    return Statement(
        campaign_id=source.campaign_id,
        campaign_name=clean(source.campaign_name),
        fund=clean(_label(t, f"donations.fund.{source.fund}", source.fund)),
        period=clean(period),
        generated=moment(generated_at),
        state=state,
        gifts=gift_lines,
        outs=out_lines,
        totals=totals,
        checksum=checksum_of(state, gift_lines + out_lines),
    )
