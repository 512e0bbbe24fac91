"""`giamngheo classify`: officers' batch pre-screening (sàng lọc sơ bộ) of a CSV/XLSX file.

The report goes to stdout when results are written to a file (`-o`); without `-o` the result
CSV itself goes to stdout, so the report goes to stderr and the CSV stays clean for a pipe.
"""

from __future__ import annotations

import argparse
import sys
from datetime import date, datetime
from pathlib import Path

from bot.core.config import Config
from bot.core.i18n import TIMEZONE
from storage import files


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(
            f"ngày không hợp lệ: {text!r} (dạng YYYY-MM-DD)"
        ) from error


async def cmd_classify(args: argparse.Namespace, config: Config) -> int:
    """Classify every row of INPUT under the standard in force on --date (default today).

    With --compare-date the rows are also read under that day's standard, and the report ends
    with the ward's impact summary (how many households change category, by category).
    """
    del config
    from bot.classify_io import classify_file, format_report_vi
    from knowledge.assessment import NoStandardError
    from knowledge.batch import BatchFormatError

    day: date = args.date or datetime.now(TIMEZONE).date()
    output = Path(args.output) if args.output else None
    try:
        report = classify_file(
            Path(args.input),
            output,
            day=day,
            locality=args.locality,
            stream=None if output else sys.stdout,
            compare_day=args.compare_date,
        )
    except BatchFormatError as error:
        print(f"Lỗi định dạng tệp: {error}", file=sys.stderr)
        return 2
    except NoStandardError:
        print(
            f"Không có chuẩn nghèo nào áp dụng vào ngày {day.strftime('%d/%m/%Y')}.",
            file=sys.stderr,
        )
        return 2
    except FileNotFoundError:
        print(f"Không tìm thấy tệp: {args.input}", file=sys.stderr)
        return 2
    except files.UnsafeTarget as exc:
        print(f"Lỗi / Error: {exc}", file=sys.stderr)
        return 2
    print(format_report_vi(report), file=sys.stdout if output else sys.stderr)
    return 0


def add_classify(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the `classify` subcommand."""
    parser = sub.add_parser(
        "classify", help="sàng lọc sơ bộ hộ nghèo/cận nghèo từ tệp CSV hoặc XLSX"
    )
    parser.add_argument("input", help="tệp CSV/XLSX: id, area, members, monthly_income, chỉ số…")
    parser.add_argument(
        "--date", type=_day, help="ngày áp dụng chuẩn (YYYY-MM-DD), mặc định hôm nay"
    )
    parser.add_argument("--locality", help="mã địa phương có chuẩn riêng (hcm, dn, hn)")
    parser.add_argument(
        "--compare-date",
        type=_day,
        help="so sánh thêm với chuẩn áp dụng ngày này (ví dụ 2027-01-01): thêm cột và tóm tắt",
    )
    parser.add_argument("-o", "--output", help="tệp kết quả (.csv hoặc .xlsx); bỏ trống: in ra")
    parser.set_defaults(func=cmd_classify)
