"""Tests for the legal registry: the shipped file, its life cycle and its validation."""

from __future__ import annotations

import tomllib
from datetime import date
from pathlib import Path

import pytest

from knowledge.legal import (
    REGISTRY_PATH,
    RegistryError,
    load_registry,
    parse_registry,
    registry_problems,
)

#: The ids every content writer was told to use; the registry must hold each one.
SCHEMA_IDS = [
    "nd-07-2021",
    "nd-30-2025",
    "nd-351-2025",
    "qd-59-2015-ttg",
    "qd-09-2011-ttg",
    "qd-24-2021-ttg",
    "tt-07-2021-bldtbxh",
    "tt-02-2022-bldtbxh",
    "vbhn-1315-2023-bldtbxh",
    "qd-71-2023-bldtbxh",
    "nd-131-2025",
    "tt-13-2025-bnnmt",
    "nd-35-2025",
    "nd-188-2025",
    "nd-146-2018",
    "vbhn-40-2026-vpqh",
    "luat-51-2024-qh15",
    "nd-161-2026",
    "nd-73-2024",
    "nd-138-2026",
    "luat-74-2025-qh15",
    "qd-46-2015-ttg",
    "nd-238-2025",
    "nd-81-2021",
    "nq-217-2025-qh15",
    "qd-157-2007-ttg",
    "qd-05-2022-ttg",
    "nd-78-2002",
    "qd-28-2015-ttg",
    "qd-02-2021-ttg",
    "qd-15-2013-ttg",
    "tt-01-2022-bxd",
    "tt-55-2023-btc",
    "qd-14-2025-ttg",
    "qd-28-2014-ttg",
    "qd-60-2014-ttg",
    "qd-1279-2025-bct",
    "nd-144-2017",
    "luat-tgpl-2017",
    "nd-20-2021",
    "nd-76-2024",
    "luat-41-2024-qh15",
    "vbhn-19-2026-vpqh",
    "nd-176-2025",
    "qd-1198-2016-mttw",
    "hd-96-2017-mttw",
    "qd-924-2006-mttu",
    "nd-93-2021",
    "qd-90-2022-ttg",
    "qd-353-2022-ttg",
    "nq-257-2025-qh15",
    "nq-424-2025-cp",
    "qd-417-2026-bnnmt",
    "nq-109-2026-cp",
    "luat-91-2025-qh15",
    "nd-13-2023",
    "luat-can-cuoc-2023",
    "luat-72-2025-qh15",
    "nq-202-2025-qh15",
    "nd-175-2026",
    "tt-60-2025-btc",
    "qd-705-2013-ttg",
    "luat-114-2025-qh15",
    "nq-13-2020-hdnd-hcm",
    "qd-505-ubnd-hcm",
    "nq-34-2013-hdnd-hcm",
    "nq-hdnd-dn-2015",
    "hn-2016-2020",
]

MINIMAL = """
[[documents]]
id = "nd-1-2020"
number = "1/2020/NĐ-CP"
kind = "Nghị định"
title = "Văn bản cũ"
issuer = "Chính phủ"
signed = 2020-01-01
in_force = 2020-02-01
status = "replaced"
replaced_by = ["nd-2-2024"]
expires = 2024-06-30
url = "https://vbpl.vn/"
confidence = "confirmed"
figures = [1500000]

[[documents]]
id = "nd-2-2024"
number = "2/2024/NĐ-CP"
kind = "Nghị định"
title = "Văn bản mới"
issuer = "Chính phủ"
signed = 2024-05-01
in_force = 2024-07-01
status = "in_force"
url = "https://vbpl.vn/"
confidence = "confirmed"
"""


def _problems(text: str) -> tuple[str, ...]:
    with pytest.raises(RegistryError) as error:
        parse_registry(text)
    return error.value.problems


def test_the_shipped_registry_loads_and_holds_every_schema_id() -> None:
    """The real registry parses cleanly and has a document for each agreed id."""
    registry = load_registry()
    missing = [document_id for document_id in SCHEMA_IDS if document_id not in registry]
    assert missing == []
    assert len({document.id for document in registry}) == len(registry)


def test_load_registry_is_cached() -> None:
    """Loading twice returns the same parsed object (the file is read once)."""
    assert load_registry() is load_registry(REGISTRY_PATH)


@pytest.mark.parametrize(
    ("document_id", "status", "successor", "last_day"),
    [
        ("nd-146-2018", "replaced", "nd-188-2025", date(2025, 8, 14)),
        ("nd-81-2021", "replaced", "nd-238-2025", date(2025, 9, 2)),
        ("nd-73-2024", "replaced", "nd-161-2026", date(2026, 6, 30)),
        ("nd-13-2023", "replaced", "luat-91-2025-qh15", date(2025, 12, 31)),
        ("qd-28-2014-ttg", "replaced", "qd-14-2025-ttg", None),
        ("qd-924-2006-mttu", "replaced", "qd-1198-2016-mttw", None),
        ("qd-59-2015-ttg", "replaced", "nd-07-2021", date(2021, 12, 31)),
        ("nd-07-2021", "in_force", "nd-351-2025", date(2026, 12, 31)),
    ],
)
def test_life_cycle_of_replaced_documents(
    document_id: str, status: str, successor: str, last_day: date | None
) -> None:
    """Replaced documents name their successor and their last day."""
    document = load_registry().get(document_id)
    assert document is not None
    assert document.status == status
    assert successor in document.replaced_by
    assert document.expires == last_day


@pytest.mark.parametrize("document_id", ["qd-90-2022-ttg", "qd-353-2022-ttg"])
def test_the_2021_2025_programme_is_history(document_id: str) -> None:
    """The 2021–2025 programme and its poor-district list ended on 31/12/2025."""
    document = load_registry().get(document_id)
    assert document is not None
    assert not document.is_current
    assert document.expires == date(2025, 12, 31)
    assert not document.applies_on(date(2026, 1, 1))


def test_decree_07_is_current_through_2026_and_amended_by_decree_30() -> None:
    """Decree 07/2021 is in force, amended by Decree 30/2025, its standard ends 31/12/2026."""
    document = load_registry().get("nd-07-2021")
    assert document is not None
    assert document.is_current
    assert document.amended_by == ("nd-30-2025",)
    assert document.applies_on(date(2026, 12, 31))
    assert not document.applies_on(date(2027, 1, 1))
    assert document.citation_date == ("in_force", date(2021, 3, 15))
    assert document.name == "Nghị định 07/2021/NĐ-CP"


def test_decree_351_applies_from_2027() -> None:
    """Decree 351/2025 shows the day its lines apply, since its in-force date is unknown."""
    document = load_registry().get("nd-351-2025")
    assert document is not None
    assert document.citation_date == ("applies_from", date(2027, 1, 1))
    assert document.figures == {2_200_000, 2_800_000}
    assert document.unverified


def test_health_insurance_figures_follow_from_the_base_salary() -> None:
    """113.850 = 4,5 % × 2.530.000; near-poor pay ≤ 30 %, average-living agri ≤ 70 % of it."""
    registry = load_registry()
    base = 2_530_000
    full = base * 45 // 1000
    assert full == 113_850
    figures = registry.figures(["nd-161-2026"])
    assert {base, full, full * 30 // 100, full * 70 // 100} <= figures
    assert {113_850, 34_155, 79_695} <= registry.figures(["nd-188-2025"])
    assert registry.figures(["nd-146-2018", "nd-000-0000"]) == frozenset()


def test_every_document_can_be_cited_and_read() -> None:
    """Each document has a name to cite, an https address, and sane metadata."""
    for document in load_registry():
        assert document.name.strip(), document.id
        assert document.url.startswith("https://"), document.id
        assert document.status != "replaced" or document.replaced_by, document.id
        if document.confidence == "unverified":
            assert document.unverified or document.note, document.id


def test_a_minimal_registry_parses() -> None:
    """A small well-formed registry yields typed documents in file order."""
    registry = parse_registry(MINIMAL)
    assert [document.id for document in registry] == ["nd-1-2020", "nd-2-2024"]
    old = registry.get("nd-1-2020")
    assert old is not None and old.figures == {1_500_000} and not old.is_current
    assert registry.get("khong-co") is None


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda t: t + t[t.index("[[documents]]", 10) :], "duplicate id"),
        (lambda t: t.replace('["nd-2-2024"]', '["nd-9-2099"]'), "'nd-9-2099' is not in the"),
        (lambda t: t.replace('replaced_by = ["nd-2-2024"]\n', ""), "needs 'replaced_by'"),
        (
            lambda t: t.replace("expires = 2024-06-30", "expires = 2019-06-30"),
            "'in_force' is after",
        ),
        (lambda t: t.replace("signed = 2024-05-01", "signed = 2024-08-01"), "'signed' is after"),
        (lambda t: t.replace('status = "in_force"', 'status = "sap-het"'), "status 'sap-het'"),
        (lambda t: t.replace("[1500000]", "[1.5]"), "positive whole đồng"),
        (lambda t: t.replace('url = "https://vbpl.vn/"', 'url = "vbpl.vn"', 1), "https://"),
        (lambda t: t.replace('confidence = "confirmed"', "confidence = 'chac'", 1), "confidence"),
        (lambda t: t.replace('kind = "Nghị định"', 'kind = "Nghị định"\nfoo = 1', 1), "unknown"),
        (lambda t: t.replace('number = "1/2020/NĐ-CP"\n', ""), "needs a 'number' or a 'label'"),
        (lambda t: t.replace('["nd-2-2024"]', '["nd-1-2020"]'), "lists the document itself"),
        (lambda t: t.replace("signed = 2020-01-01", 'signed = "2020"'), "TOML date"),
        (lambda t: "documents = 3", "at least one [[documents]]"),
        (lambda t: t.replace("[[documents]]", "[[documents", 1), "invalid TOML"),
    ],
)
def test_malformed_registries_are_refused_with_a_plain_message(
    change: object, expected: str
) -> None:
    """Each kind of registry defect is named in the error."""
    assert callable(change)
    problems = _problems(change(MINIMAL))
    assert any(expected in problem for problem in problems), problems


def test_load_registry_reads_a_given_file(tmp_path: Path) -> None:
    """A registry elsewhere on disk is loaded from its path."""
    path = tmp_path / "registry.toml"
    path.write_text(MINIMAL, encoding="utf-8")
    assert len(load_registry(path)) == 2


def test_registry_problems_name_each_table_by_id_or_position() -> None:
    """Top-level keys, non-tables, tables without a string id, and links that are no list."""
    first, second = tomllib.loads(MINIMAL)["documents"]
    nameless = {**second, "id": 3, "amended_by": ["nd-0-0"]}  # its links are not followed
    data = {
        "documents": [first, "not a table", nameless, {**second, "amended_by": "nd-1-2020"}],
        "meta": 1,
        "author": "x",
    }
    assert registry_problems(data) == [
        "unknown top-level keys: author, meta",
        "document #2: not a table",
        "#3: key 'id' must be a non-empty string",
        "document 'nd-2-2024': key 'amended_by' must be a list of strings",
    ]


def test_registry_problems_list_links_after_every_table() -> None:
    """Duplicate ids come with their table; broken and self links follow, in table order."""
    first, second = tomllib.loads(MINIMAL)["documents"]
    data = {
        "documents": [
            {**first, "replaced_by": ["nd-9-2099", "nd-1-2020"]},
            second,
            {**second, "amended_by": ["nd-2-2024"]},
        ]
    }
    assert registry_problems(data) == [
        "document 'nd-2-2024': duplicate id",
        "document 'nd-1-2020': replaced_by 'nd-9-2099' is not in the registry",
        "document 'nd-1-2020': replaced_by lists the document itself",
        "document 'nd-2-2024': amended_by lists the document itself",
    ]


@pytest.mark.parametrize("data", [{}, {"documents": []}, {"documents": {"id": "x"}}])
def test_a_registry_without_documents_is_one_problem(data: dict[str, object]) -> None:
    """No [[documents]] array (or an empty one) is reported alone."""
    assert registry_problems(data) == ["the registry must have at least one [[documents]] table"]
