"""Regenerates ``knowledge/admin_units/units.csv`` from the ``vietnamadminunits`` wheel.

The list of the 34 provinces and 3,321 commune-level units (xã, phường, đặc khu) in force since
01/07/2025 comes from the SQLite file ``vietnamadminunits/data/dataset.db`` inside the MIT
licensed wheel ``vietnamadminunits`` (© 2025 Tran Ngoc Minh Hieu). The package itself is not a
dependency (it needs GPL ``unidecode`` at run time): this script downloads the wheel with
``pip download --no-deps`` into a temporary folder, reads the table ``admin_units`` and writes
the project's own data file plus its NOTICE. Run it only to refresh the data:

    .venv/bin/python scripts/gen_admin_units.py [--wheel PATH]
"""

from __future__ import annotations

import argparse
import csv
import io
import sqlite3
import subprocess
import sys
import tempfile
import unicodedata
import zipfile
from pathlib import Path

PACKAGE = "vietnamadminunits"
VERSION = "1.0.4"
ROOT = Path(__file__).resolve().parent.parent
OUT_DIR = ROOT / "knowledge" / "admin_units"
KINDS = {"Xã": "xa", "Phường": "phuong", "Đặc khu": "dac_khu"}
COLUMNS = ("ward_code", "ward_name", "kind", "province_code", "province_name")
EXPECTED = {"xa": 2621, "phuong": 687, "dac_khu": 13}


def nfc(text: str) -> str:
    """The text NFC-composed with surrounding spaces removed."""
    return unicodedata.normalize("NFC", text).strip()


def download(folder: Path) -> Path:
    """Downloads the pinned wheel (no dependencies) into `folder` and returns its path."""
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "download",
            "--no-deps",
            "--only-binary=:all:",
            "--dest",
            str(folder),
            f"{PACKAGE}=={VERSION}",
        ],
        check=True,
    )
    (wheel,) = folder.glob(f"{PACKAGE}-{VERSION}-*.whl")
    return wheel


def read_wheel(wheel: Path, folder: Path) -> tuple[list[tuple[str, ...]], str]:
    """The rows of `admin_units` and the wheel's LICENSE text."""
    with zipfile.ZipFile(wheel) as archive:
        db_path = folder / "dataset.db"
        db_path.write_bytes(archive.read(f"{PACKAGE}/data/dataset.db"))
        license_name = next(n for n in archive.namelist() if n.endswith("/LICENSE"))
        license_text = archive.read(license_name).decode("utf-8")
    conn = sqlite3.connect(db_path)
    try:
        raw = conn.execute(
            "SELECT wardCode, ward, wardType, provinceCode, province FROM admin_units"
        ).fetchall()
    finally:
        conn.close()
    rows = [
        (nfc(code), nfc(name), kind_of(nfc(name), nfc(kind)), nfc(pcode), nfc(pname))
        for code, name, kind, pcode, pname in raw
    ]
    return sorted(rows), license_text


def kind_of(name: str, ward_type: str) -> str:
    """The unit's kind, read from its name ("Phường Tân Lộc" → phuong).

    In 1.0.4 four rows carry a `wardType` that contradicts their name (10543 Phường Việt Hòa,
    11848 Xã Vĩnh Hòa, 31213 Phường Tân Lộc, 31299 Xã Phong Điền); the name is the one the
    resolutions use, and with it each province keeps its official counts.
    """
    for prefix, kind in KINDS.items():
        if name.startswith(prefix + " "):
            if kind != KINDS[ward_type]:
                print(f"note: {name}: kind taken from the name, not {ward_type!r}")
            return kind
    raise SystemExit(f"name without a kind: {name!r}")


def check(rows: list[tuple[str, ...]]) -> None:
    """Refuses data that is not the reformed list (counts, unique codes, name prefixes)."""
    codes = [row[0] for row in rows]
    if len(set(codes)) != len(codes) or len(rows) != sum(EXPECTED.values()):
        raise SystemExit(f"unexpected rows: {len(rows)} ({len(set(codes))} unique codes)")
    for kind, count in EXPECTED.items():
        found = sum(1 for row in rows if row[2] == kind)
        if found != count:
            raise SystemExit(f"unexpected count of {kind}: {found}")
    if len({row[3] for row in rows}) != 34:
        raise SystemExit("unexpected number of provinces")
    prefixes = {value: key for key, value in KINDS.items()}
    bad = [row for row in rows if not row[1].startswith(prefixes[row[2]] + " ")]
    if bad:
        raise SystemExit(f"names without their kind: {bad[:3]}")


def write(rows: list[tuple[str, ...]], license_text: str) -> None:
    """Writes units.csv and NOTICE.md."""
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(COLUMNS)
    writer.writerows(rows)
    (OUT_DIR / "units.csv").write_text(buffer.getvalue(), encoding="utf-8")
    notice = NOTICE.format(
        package=PACKAGE, version=VERSION, rows=len(rows), license=license_text.strip()
    )
    (OUT_DIR / "NOTICE.md").write_text(notice, encoding="utf-8")


NOTICE = """# Administrative units: source and licence

`units.csv` lists the 34 provinces and the {rows:,} commune-level units (2,621 xã, 687 phường,
13 đặc khu) of Vietnam's two-level local government in force since 01/07/2025.

It is generated by `scripts/gen_admin_units.py` from the table `admin_units` of
`vietnamadminunits/data/dataset.db` in the Python package **{package} {version}** (PyPI),
by Tran Ngoc Minh Hieu, under the MIT licence below. Only the codes and names are kept
(columns `ward_code`, `ward_name`, `kind` = xa | phuong | dac_khu, `province_code`,
`province_name`), NFC-normalised and sorted by code. The package is not a dependency of this
project.

Four rows of the source carry a `wardType` that contradicts their name (10543 Phường Việt Hòa,
11848 Xã Vĩnh Hòa, 31213 Phường Tân Lộc, 31299 Xã Phong Điền): their `kind` is taken from the
name, which keeps the official counts of Hải Phòng (45 phường, 67 xã, 2 đặc khu) and Cần Thơ
(31 phường, 72 xã).

## Licence of the source data

```text
{license}
```
"""


def main(argv: list[str] | None = None) -> int:
    """Downloads (or opens `--wheel`) and regenerates the data files."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--wheel", type=Path, help="use this wheel instead of downloading it")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        wheel = args.wheel or download(folder)
        rows, license_text = read_wheel(wheel, folder)
    check(rows)
    write(rows, license_text)
    print(f"wrote {len(rows)} units to {OUT_DIR / 'units.csv'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
