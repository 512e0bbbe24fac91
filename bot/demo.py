"""Demo data loaded on the first run of an empty database: a demo ward and a demo officer.

The demo ward is a real post-reform commune, Phường Hòa Cường, Thành phố Đà Nẵng (official
code 20257; the former Phường Hòa Cường Bắc was merged into it on 01/07/2025), stored with
`demo = 1`. Its name is the official one: the words "dữ liệu mẫu" are added only where demo
data is presented (the console banner, the ward buttons), never to a ward's name.
"""

from __future__ import annotations

from datetime import datetime

from knowledge.admin_units import unit
from storage.users import UserRepository, Ward, ward_from_unit

DEMO_WARD_CODE = "20257"


def _demo_ward() -> Ward:
    found = unit(DEMO_WARD_CODE)
    assert found is not None, "the demo ward's code is in knowledge/admin_units/units.csv"
    return ward_from_unit(found, demo=True)


DEMO_WARD = _demo_ward()
DEMO_OFFICER_ID = "officer"
CONSOLE_RESIDENT_ID = "resident"


async def load_core_demo(users: UserRepository, *, now: datetime) -> bool:
    """Create the demo ward and officer on a database without any ward; returns whether it did.

    A database that has a ward already (the demo ward of an earlier run, or wards added with
    `giamngheo ward add` for real use) gets no demo data, so demo rows never mix with real ones.
    """
    if await users.wards(include_disabled=True):
        return False
    await users.add_ward(DEMO_WARD)
    await users.set_role("console", DEMO_OFFICER_ID, "officer", DEMO_WARD.id, now=now)
    return True
