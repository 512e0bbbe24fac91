"""The console sends files with `/tep PATH`: an officer reconciles a bank statement in the chat."""

from __future__ import annotations

from pathlib import Path

from tests.channels.test_console import chat

STATEMENT = (
    "Ngày giao dịch,Số tham chiếu,Số tiền ghi có,Nội dung\n"
    '01/12/2026,FT26UP1,"250.000",NGUYEN VAN A UNG HO\n'
    '01/12/2026,FT26UP2,"100.000",CHUYEN TIEN\n'
)


def test_a_statement_file_reaches_doisoat(tmp_path: Path) -> None:
    """`/doisoat`, the campaign, then `/tep saoke.csv`: the statement is read, its lines listed."""
    saoke = tmp_path / "saoke.csv"
    saoke.write_text(STATEMENT, encoding="utf-8")
    out = chat(tmp_path / "u.sqlite3", ["/doisoat", f"/tep {saoke}"], officer=True)
    assert "Đã đọc sao kê: 2 khoản tiền vào" in out
    assert "01/12/2026 · 250.000 ₫ · FT26UP1" in out


def test_bad_file_lines_are_refused_and_send_nothing(tmp_path: Path) -> None:
    """A missing file, a folder, a bare `/tep`: a message each, nothing sent, the step stays."""
    lines = ["/doisoat", f"/tep {tmp_path / 'none.csv'}", f"/tep {tmp_path}", "/tep"]
    out = chat(tmp_path / "u.sqlite3", lines, officer=True)
    assert out.count("Không thấy tệp") == 2
    assert "Gõ /tep rồi đường dẫn tới tệp" in out
    assert "Đã đọc sao kê" not in out
    assert "Tôi cần chính tệp sao kê" not in out  # no line reached the flow as text


def test_a_file_over_10_mb_is_not_sent(tmp_path: Path) -> None:
    """A file over 10 MB is refused before it is read."""
    big = tmp_path / "big.csv"
    with big.open("wb") as handle:
        handle.truncate(10 * 1024 * 1024 + 1)
    out = chat(tmp_path / "u.sqlite3", ["/doisoat", f"/tep {big}"], officer=True)
    assert "Tệp lớn hơn 10 MB, chưa gửi" in out
    assert "Đã đọc sao kê" not in out
