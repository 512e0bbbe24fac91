"""The public statement (sao kê) of a campaign as data: its lines, balances, totals and checksum.

Pure code, no I/O: `build` turns the rows of the gifts and disbursements (khoản chi) of one
period, as the ledger streams them (`Ledger.read_period`), into a `Statement` whose every text
is final (translated, NFC, whitespace collapsed, passed through
the spreadsheet formula guard), so the PDF, the CSV and the XLSX show the same cells, and a
reader of any of them can rebuild the same canonical text.

The checksum is SHA-256 over that canonical text: one state line (schema, campaign, period,
language, opening and closing balance, and for gifts and for disbursements the number of ledger
rows in the period and the highest row id: the ledger state the statement was made from)
followed by one JSON array per line. Two copies of one statement, in any of the three formats,
carry the same checksum; any change to a line, a balance or the ledger state changes it. It is
a checksum, not a signature: whether a file still matches the ledger is for `verify --db` to
say, against the ledger itself. The state line comes from the ledger's sums of the period,
known before the first row, so each line is hashed as it is built.
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
from storage.ledger import (
    DONOR_TYPES,
    METHODS,
    PURPOSES,
    PeriodFigures,
    StatementGift,
    StatementOut,
)

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
_quoted: Callable[[str], str] = json.encoder.encode_basestring
"""A JSON string literal, non-ASCII kept (the encoder `json.dumps(ensure_ascii=False)` uses)."""
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
        """The line as one compact JSON array (the checksum's unit).

        Exactly `json.dumps([...], ensure_ascii=False, separators=(",", ":"))` of the twelve
        cells (a test holds the two equal), built from the same string encoder without the
        encoder's walk over a list, since it runs once per line of a 100,000-line statement.
        """
        q = _quoted
        return (
            f'[{q(self.number)},"{self.day.isoformat()}",{q(self.kind)},{q(self.party)},'
            f"{q(self.category)},{q(self.ward)},{q(self.method)},{q(self.goods)},"
            f"{q(self.quantity)},{int(self.money_in)},{int(self.money_out)},{q(self.note)}]"
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
    generated: str  # when it was made, as shown (Asia/Ho_Chi_Minh)
    generated_local: datetime  # the same moment in Asia/Ho_Chi_Minh, naive (an XLSX cell)
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


_HASH_BATCH = 2_000  # canonical lines joined per digest update


class _Digest:
    """SHA-256 of the state line and the canonical lines, fed as the lines are built."""

    def __init__(self, state: State) -> None:
        self.digest = hashlib.sha256(state.text().encode())
        self.pending: list[str] = []

    def add(self, canonical: str) -> None:
        self.pending.append(canonical)
        if len(self.pending) >= _HASH_BATCH:
            self.flush()

    def flush(self) -> None:
        if self.pending:
            self.digest.update(("\n" + "\n".join(self.pending)).encode())
            self.pending.clear()

    def hexdigest(self) -> str:
        self.flush()
        return self.digest.hexdigest()


class _Days:
    """ISO day text → `date` and its own ISO text, each distinct day parsed once, shared."""

    def __init__(self) -> None:
        self.known: dict[str, tuple[date, str]] = {}

    def __call__(self, text: str) -> tuple[date, str]:
        found = self.known.get(text)
        if found is None:
            day = date.fromisoformat(text)
            found = self.known[text] = (day, day.isoformat())
        return found


@dataclass(slots=True)
class _Sums:
    """Running sums of one section's lines: count, total and by key (type, method, purpose)."""

    count: int = 0
    total: int = 0
    by_first: dict[str, int] = field(default_factory=dict)
    by_second: dict[str, int] = field(default_factory=dict)

    def add(self, first: str, second: str, amount: int) -> None:
        self.count += 1
        self.total += amount
        self.by_first[first] = self.by_first.get(first, 0) + amount
        self.by_second[second] = self.by_second.get(second, 0) + amount


@dataclass(frozen=True, slots=True)
class _Shape:
    """What gift lines of one donor, kind, method and goods share: their cells and JSON."""

    kind: str
    party: str
    category: str
    ward: str
    method: str
    goods: str
    quantity: str
    note: str
    middle: str  # the canonical JSON of the cells from `kind` to `quantity`
    tail: str  # and of `note`


def _gift_shape(
    labels: _Labels,
    ward_id: str,
    kind: str,
    reversed_receipt: str | None,
    donor_type: str,
    name: str,
    method: str,
    goods: str,
    quantity: str,
) -> _Shape:
    reversal = kind == "reversal"
    party = labels.text(name) if name and not reversal else ""
    note = ""
    if reversal and reversed_receipt is not None:
        note = clean(labels.t("donations.statement.reverses", number=reversed_receipt))
    cells = (
        labels.get(f"donations.statement.kind.{kind}", kind),
        party or labels.get("donations.statement.anonymous", "Nhà hảo tâm"),
        labels.get(f"donations.type.{donor_type}", donor_type),
        labels.ward(ward_id),
        labels.get(f"donations.method.{method}", method),
        labels.text(goods),
        labels.text(quantity),
    )
    return _Shape(*cells, note, ",".join(map(_quoted, cells)), _quoted(note))


def gift_lines(
    rows: Iterable[StatementGift], labels: _Labels, digest: _Digest, sums: _Sums
) -> list[Line]:
    """The gift lines (and reversals) of `rows`; a donor named only when they agreed.

    Each line is hashed and summed (by donor type, then method) as it is built. Lines of one
    donor, kind, method and goods share their cells (a `_Shape`, made once); a line's
    canonical text is put together from the shape's, the same text as `Line.canonical`
    (which the tests and `verify` recompute from the lines themselves).
    """
    days = _Days()
    shapes: dict[tuple[str, str, str | None, str, str, str, str, str], _Shape] = {}
    lines: list[Line] = []
    quoted = _quoted
    for (
        _id,
        receipt,
        ward_id,
        kind,
        reversed_receipt,
        donor_type,
        name,
        amount,
        method,
        day_text,
        goods,
        quantity,
    ) in rows:
        key = (ward_id, kind, reversed_receipt, donor_type, name, method, goods, quantity)
        shape = shapes.get(key)
        if shape is None:
            shape = _gift_shape(labels, *key)
            if len(shapes) < 100_000:
                shapes[key] = shape
        number = labels.text(receipt)
        day, iso = days(day_text)
        lines.append(
            Line(
                number,
                day,
                shape.kind,
                shape.party,
                shape.category,
                shape.ward,
                shape.method,
                shape.goods,
                shape.quantity,
                amount,
                0,
                shape.note,
            )
        )
        digest.add(f'[{quoted(number)},"{iso}",{shape.middle},{int(amount)},0,{shape.tail}]')
        sums.add(donor_type, method, amount)
    return lines


def out_lines(
    rows: Iterable[StatementOut],
    labels: _Labels,
    digest: _Digest,
    sums: _Sums,
    day: Callable[[date], str],
) -> list[Line]:
    """The disbursement lines (and reversals); a beneficiary named only with consent.

    Each line is hashed and summed (by method, then purpose) as it is built.
    """
    household = labels.get("donations.statement.household", "Hộ được hỗ trợ")
    days = _Days()
    lines: list[Line] = []
    for (
        _id,
        voucher,
        ward_id,
        kind,
        reversed_voucher,
        purpose,
        name,
        recorded,
        goods,
        quantity,
        method,
        paid_on,
        decision_number,
        decision_date,
    ) in rows:
        reversal = kind == "reversal"
        notes: list[str] = []
        if decision_number.strip():
            notes.append(
                labels.t(
                    "donations.statement.decision",
                    number=decision_number.strip(),
                    day=day(days(decision_date)[0]),
                )
            )
        if reversal and reversed_voucher is not None:
            notes.append(labels.t("donations.statement.reverses", number=reversed_voucher))
        amount = -abs(recorded) if reversal else abs(recorded)
        line = Line(
            number=labels.text(voucher),
            day=days(paid_on)[0],
            kind=labels.get(f"donations.statement.kind.out_{kind}", kind),
            party=(clean(name) if name.strip() else "") or household,
            category=labels.get(f"donations.disburse.purpose.{purpose}", purpose),
            ward=labels.ward(ward_id),
            method=labels.get(f"donations.method.{method}", method),
            goods=labels.text(goods),
            quantity=labels.text(quantity),
            money_in=0,
            money_out=amount,
            note=clean("; ".join(notes)),
        )
        lines.append(line)
        digest.add(line.canonical())
        sums.add(method, purpose, amount)
    return lines


@dataclass(frozen=True, slots=True)
class Source:
    """What a statement is of: the campaign, the period and the names of the wards."""

    campaign_id: int
    campaign_name: str
    fund: str
    start: date | None
    end: date | None
    wards: Mapping[str, str]  # ward id → name


def _sums(sums: Mapping[str, int], order: Sequence[str]) -> list[tuple[str, int]]:
    rank = {key: index for index, key in enumerate(order)}
    return sorted(
        ((key, total) for key, total in sums.items() if total),
        key=lambda item: (rank.get(item[0], len(rank)), item[0]),
    )


def _totals(money_in: _Sums, money_out: _Sums, labels: _Labels) -> Totals:
    def named(prefix: str, pairs: list[tuple[str, int]]) -> list[tuple[str, int]]:
        return [(labels.get(f"{prefix}{key}", key), amount) for key, amount in pairs]

    return Totals(
        money_in=money_in.total,
        money_out=money_out.total,
        by_donor_type=named("donations.type.", _sums(money_in.by_first, DONOR_TYPES)),
        by_method_in=named("donations.method.", _sums(money_in.by_second, METHODS)),
        by_method_out=named("donations.method.", _sums(money_out.by_first, METHODS)),
        by_purpose=named("donations.disburse.purpose.", _sums(money_out.by_second, PURPOSES)),
    )


def build(
    source: Source,
    figures: PeriodFigures,
    gifts: Iterable[StatementGift],
    outs: Iterable[StatementOut],
    t: Translate,
    *,
    generated_at: datetime,
    day: Callable[[date], str],
    moment: Callable[[datetime], str],
    local: Callable[[datetime], datetime],
) -> Statement:
    """The statement of `source`'s period: opening balance, lines, closing balance, totals.

    `figures` are the period's sums from the ledger (`Ledger.read_period`): they give the
    state line, which the checksum starts with, so each line is hashed as it is built from
    `gifts` and `outs` (the rows, ordered by day then id) and none is kept twice. The lines
    must add up to the figures (one snapshot): a RuntimeError says they did not.
    """
    labels = _Labels(t, source.wards)
    state = State(
        campaign_id=source.campaign_id,
        start=source.start,
        end=source.end,
        language=t.language,
        opening=figures.opening,
        closing=figures.opening + figures.money_in - figures.money_out,
        gifts=figures.gifts,
        last_gift=figures.last_gift,
        outs=figures.outs,
        last_out=figures.last_out,
    )
    digest = _Digest(state)
    money_in, money_out = _Sums(), _Sums()
    gift_list = gift_lines(gifts, labels, digest, money_in)
    out_list = out_lines(outs, labels, digest, money_out, day)
    if (money_in.count, money_in.total, money_out.count, money_out.total) != (
        figures.gifts,
        figures.money_in,
        figures.outs,
        figures.money_out,
    ):
        raise RuntimeError("the statement's lines do not add up to the ledger's sums")
    start, end = source.start, source.end
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
        generated_local=local(generated_at).replace(tzinfo=None),
        state=state,
        gifts=gift_list,
        outs=out_list,
        totals=_totals(money_in, money_out, labels),
        checksum=digest.hexdigest(),
    )
