"""`giamngheo ward add|list|remove`: which communes (xã, phường, đặc khu) use the assistant.

These commands open the database and migrate it but build no app, so they never load demo
data. `add` takes an official code or a name (diacritics optional) with `--province` when the
name exists in several provinces. `remove` deletes a ward that nothing points at; a ward with
records (users, registrations, questions, campaigns, ledger entries) is only disabled: its data
stays readable and exportable, residents can no longer choose it and no officer can be given
it; `add` puts it back in service.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace

from bot.core.config import Config
from knowledge.admin_units import Unit, find, find_province, pick, unit
from storage.audit import AuditLog
from storage.clock import utc_now
from storage.db import open_database
from storage.users import UserRepository, WardNotFound, ward_from_unit

RECORD_NAMES = {
    "users": "người dùng",
    "exit_registrations": "hồ sơ đăng ký thoát nghèo",
    "handover_questions": "câu hỏi gửi cán bộ",
    "donation_campaigns": "đợt vận động",
    "donation_entries": "khoản thu trong sổ",
    "donation_ward_codes": "mã biên nhận",
}
KIND_LABEL = {"xa": "xã", "phuong": "phường", "dac_khu": "đặc khu", "": "—"}


def _error(message: str) -> int:
    print(f"Lỗi: {message}", file=sys.stderr)
    return 2


def _describe(found: Unit) -> str:
    return f"{found.name}, {found.province_name} (mã {found.code})"


def _lookup(text: str, province: str | None) -> Unit | int:
    """The unit named, or an exit code after printing why not."""
    if province is not None and find_province(province) is None:
        return _error(f"không có tỉnh/thành phố {province!r} (34 tỉnh, thành phố từ 01/07/2025).")
    if text.strip().isdigit():
        found = unit(text)
        if found is None:
            return _error(f"không có xã/phường/đặc khu mã {text.strip()!r}.")
        return found
    chosen, candidates = pick(find(text, province=province, limit=8))
    if chosen is not None:
        return chosen
    if candidates:
        print(
            f"Lỗi: có nhiều xã/phường/đặc khu gần với {text!r}; chọn theo mã hoặc thêm --province:",
            file=sys.stderr,
        )
        for item in candidates:
            print(f"  {item.code}\t{item.name}\t{item.province_name}", file=sys.stderr)
        return 2
    where = f" ở {province}" if province else ""
    return _error(
        f"không tìm thấy xã/phường/đặc khu {text!r}{where}. Hãy kiểm tra tên (theo danh sách"
        " 3.321 đơn vị từ 01/07/2025) hoặc dùng mã đơn vị."
    )


async def _add(users: UserRepository, audit: AuditLog, args: argparse.Namespace) -> int:
    found = _lookup(args.name, args.province)
    if isinstance(found, int):
        return found
    existing = await users.ward_by_code(found.code)
    if existing is not None and existing.demo:
        return _error(
            f"{_describe(found)} đang là xã/phường của dữ liệu mẫu trong cơ sở dữ liệu này."
            " Hãy dùng một cơ sở dữ liệu mới với DEMO_DATA=0 cho việc thật."
        )
    if existing is not None and existing.enabled:
        print(f"{_describe(found)} đã dùng trợ lý.")
        return 0
    ward = ward_from_unit(found)
    if existing is not None:
        ward = replace(ward, id=existing.id)
    await users.add_ward(ward)
    await audit.record(
        actor_user_id=None,
        action="ward.enable" if existing else "ward.add",
        target=f"ward:{ward.id}",
        detail={"code": found.code, "via": "cli"},
        now=utc_now(),
    )
    done = "Đã bật lại" if existing else "Đã thêm"
    print(f"{done} {_describe(found)}. Cấp quyền cán bộ: giamngheo officer add … --ward {ward.id}")
    return 0


async def _list(users: UserRepository, args: argparse.Namespace) -> int:
    wards = await users.wards(include_disabled=args.all)
    counts = await users.staff_counts()
    if not wards:
        print("Chưa có xã/phường/đặc khu nào dùng trợ lý. Thêm bằng: giamngheo ward add TÊN")
        return 0
    print("mã\tid\ttên\tloại\ttỉnh/thành phố\tcán bộ\tghi chú")
    for ward in wards:
        notes = [n for n, on in (("dữ liệu mẫu", ward.demo), ("đã tắt", not ward.enabled)) if on]
        print(
            f"{ward.code or '-'}\t{ward.id}\t{ward.name}\t{KIND_LABEL.get(ward.kind, ward.kind)}"
            f"\t{ward.province or '-'}\t{counts.get(ward.id, 0)}\t{', '.join(notes)}"
        )
    return 0


async def _remove(users: UserRepository, audit: AuditLog, args: argparse.Namespace) -> int:
    try:
        ward = await users.resolve_ward(args.ward)
    except WardNotFound as exc:
        return _error(str(exc).split(". Thêm trước bằng")[0] + ".")
    records = await users.ward_records(ward.id)
    outcome = await users.remove_ward(ward.id)
    await audit.record(
        actor_user_id=None,
        action=f"ward.{'remove' if outcome == 'deleted' else 'disable'}",
        target=f"ward:{ward.id}",
        detail={"records": records, "via": "cli"},
        now=utc_now(),
    )
    if outcome == "deleted":
        print(f"Đã xoá {ward.name} ({ward.province}) khỏi danh sách dùng trợ lý.")
        return 0
    listed = ", ".join(f"{n} {RECORD_NAMES.get(t, t)}" for t, n in records.items())
    print(
        f"{ward.name} ({ward.province}) đã có dữ liệu ({listed}) nên chỉ được tắt, không xoá:"
        " người dân không chọn được nữa, không cấp được quyền cán bộ mới; dữ liệu cũ vẫn giữ"
        f" và xuất được. Bật lại: giamngheo ward add {ward.code or ward.id}"
    )
    return 0


async def cmd_ward(args: argparse.Namespace, config: Config) -> int:
    """Run `ward add|list|remove` on the configured database (no demo data is loaded)."""
    async with open_database(config.database) as db:
        users = UserRepository(db)
        audit = AuditLog(db)
        if args.ward_command == "add":
            return await _add(users, audit, args)
        if args.ward_command == "remove":
            return await _remove(users, audit, args)
        return await _list(users, args)


def add_cli(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `ward add|list|remove`."""
    parser = sub.add_parser("ward", help="communes (xã, phường, đặc khu) using the assistant")
    commands = parser.add_subparsers(dest="ward_command", required=True)
    add = commands.add_parser("add", help="start serving a commune (official code or name)")
    add.add_argument("name", help='official code ("20257") or name ("hoa cuong")')
    add.add_argument("--province", help='province to tell same-named communes apart ("da nang")')
    listing = commands.add_parser("list", help="communes in service, with officer counts")
    listing.add_argument("--all", action="store_true", help="also the disabled ones")
    remove = commands.add_parser("remove", help="stop serving a commune (disabled if it has data)")
    remove.add_argument("ward", help="code, id or name of a commune in service")
    parser.set_defaults(func=cmd_ward)
