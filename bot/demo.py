"""Demo data loaded on first run: a demo ward and a demo officer for the console."""

from __future__ import annotations

from datetime import datetime

from storage.users import UserRepository, Ward

DEMO_WARD = Ward(
    id="hoa-cuong-bac",
    name="Phường Hòa Cường Bắc (dữ liệu mẫu)",
    district="Quận Hải Châu",
    province="Đà Nẵng",
    area="urban",
)
DEMO_OFFICER_ID = "officer"
CONSOLE_RESIDENT_ID = "resident"


async def load_core_demo(users: UserRepository, *, now: datetime) -> bool:
    """Create the demo ward and officer unless the ward exists; returns whether it loaded."""
    if await users.ward(DEMO_WARD.id) is not None:
        return False
    await users.add_ward(DEMO_WARD)
    await users.set_role("console", DEMO_OFFICER_ID, "officer", DEMO_WARD.id, now=now)
    return True
