"""Regions, halls and staff of the load data, made through the ORM (audited like any
other row) when missing."""

from dataclasses import dataclass

from django.contrib.auth.models import Group
from django.db import transaction

from accounts import roles
from accounts.models import Region, ServiceHall, User
from audit.services import save_audited
from families.loadgen.data import REGIONS

# --- reference rows (ORM, audited like any other) -------------------------------------------


@dataclass
class Staff:
    hall_id: int
    hall_code: str
    clerk_id: int
    clerk_name: str
    supervisor_id: int
    supervisor_name: str


def reference_rows() -> tuple[dict[int, list[Staff]], list[int], list[int]]:
    """Regions, two halls per region and a clerk and a supervisor per hall (created when
    missing). Returns staff by region id, region ids and their weights."""
    clerks, supervisors = Group.objects.get(name=roles.CLERK), Group.objects.get(
        name=roles.SUPERVISOR)
    staff: dict[int, list[Staff]] = {}
    region_ids, weights = [], []
    with transaction.atomic():
        for n, (code, name, weight) in enumerate(REGIONS):
            region = Region.objects.filter(code=code).first()
            if region is None:
                region = Region(code=code, name=name)
                save_audited(region, actor=None, reason="负载测试数据", action="created")
            region_ids.append(region.pk)
            weights.append(weight)
            for k in (1, 2):
                hall_code = f"L{n:02d}{k}"
                hall = ServiceHall.objects.filter(code=hall_code).first()
                if hall is None:
                    hall = ServiceHall(code=hall_code, name=f"{name}第{k}医保经办大厅",
                                       region=region)
                    save_audited(hall, actor=None, reason="负载测试数据", action="created")
                users = []
                for prefix, group in (("load_clerk", clerks), ("load_supervisor", supervisors)):
                    username = f"{prefix}_{hall_code.lower()}"
                    user = User.objects.filter(username=username).first()
                    if user is None:
                        user = User(username=username, is_staff=True, hall=hall)
                        user.set_unusable_password()
                        save_audited(user, actor=None, reason="负载测试数据", action="created")
                        user.groups.add(group)
                    users.append(user)
                staff.setdefault(region.pk, []).append(Staff(
                    hall.pk, hall.code, users[0].pk, users[0].username, users[1].pk,
                    users[1].username))
    return staff, region_ids, weights
