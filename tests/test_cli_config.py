"""A malformed setting stops a command with a clear message, not a traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_a_database_url_of_an_unknown_kind_is_refused_plainly(tmp_path: Path) -> None:
    """`--db mysql://…` names no database this assistant knows: exit 2, the setting named."""
    done = subprocess.run(
        [sys.executable, "-m", "bot", "--db", "mysql://x/y", "db", "migrate"],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
    )
    assert done.returncode == 2
    assert "Lỗi cấu hình" in done.stderr and "DATABASE_URL" in done.stderr
    assert "Traceback" not in done.stderr
    assert list(tmp_path.iterdir()) == []  # nothing was created
