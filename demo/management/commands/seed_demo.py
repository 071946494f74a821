"""Idempotent demo data: regions, halls, staff with demo passwords, insured persons,
region policies, and (via demo.families) proofs and bindings in every status."""

from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts import roles
from accounts.models import Region, ServiceHall, User
from audit.services import save_audited

DEMO_PASSWORD = "Hall-demo-2026"
REASON = "演示数据初始化"

REGIONS = [("110100", "北京市"), ("330100", "杭州市")]
HALLS = [
    ("BJ01", "北京市东城区医保经办大厅", "110100", "北京市东城区建国门内大街1号", "010-65128000"),
    ("HZ01", "杭州市上城区医保服务中心", "330100", "杭州市上城区解放路100号", "0571-87061234"),
]
STAFF = [
    # username, last name, first name, hall, role, superuser
    ("clerk1", "王", "小明", "BJ01", roles.CLERK, False),
    ("clerk2", "李", "小红", "HZ01", roles.CLERK, False),
    ("supervisor1", "张", "审核", "BJ01", roles.SUPERVISOR, False),
    ("supervisor2", "陈", "审核", "HZ01", roles.SUPERVISOR, False),
    ("admin", "系统", "管理员", None, roles.SYSADMIN, True),
]


class Command(BaseCommand):
    help = gettext_lazy("创建演示数据(可重复执行,已存在的数据不会改变)。")

    @transaction.atomic
    def handle(self, *args, **options):
        regions = {code: self._region(code, name) for code, name in REGIONS}
        halls = {
            code: self._hall(code, name, regions[region], address, phone)
            for code, name, region, address, phone in HALLS
        }
        users = {}
        for username, last, first, hall, role, superuser in STAFF:
            users[username] = self._user(
                username, last, first, halls.get(hall), role, superuser
            )

        from demo.families import seed_families

        seed_families(actor=users["admin"], regions=regions, users=users, reason=REASON)

        self.stdout.write(self.style.SUCCESS(
            _("演示数据已就绪。演示账号(密码均为 %(password)s):") % {"password": DEMO_PASSWORD}))
        for username, _last, _first, hall, role, _su in STAFF:
            self.stdout.write(f"  {username:<12} {role}  {hall or _('全部统筹区')}")

    def _region(self, code: str, name: str) -> Region:
        region = Region.objects.filter(code=code).first()
        if region is None:
            region = Region(code=code, name=name)
            save_audited(region, actor=None, reason=REASON, action="created")
        return region

    def _hall(self, code: str, name: str, region: Region, address: str,
              phone: str) -> ServiceHall:
        hall = ServiceHall.objects.filter(code=code).first()
        if hall is None:
            hall = ServiceHall(code=code, name=name, region=region, address=address,
                               phone=phone)
            save_audited(hall, actor=None, reason=REASON, action="created")
        return hall

    def _user(self, username, last, first, hall, role, superuser) -> User:
        user = User.objects.filter(username=username).first()
        if user is None:
            user = User(
                username=username,
                last_name=last,
                first_name=first,
                hall=hall,
                is_staff=True,
                is_superuser=superuser,
            )
            user.set_password(DEMO_PASSWORD)
            save_audited(user, actor=None, reason=REASON, action="created")
            user.groups.add(Group.objects.get(name=role))
        return user
