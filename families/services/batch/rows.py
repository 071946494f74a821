"""CSV selections: identify each row's person(s), then end their links chunk by chunk."""

from __future__ import annotations

from django.utils.translation import gettext as _

from families.choices import IdType
from families.idnumbers import (
    InvalidIdNumber,
    mask_id_number,
    normalize_id_number,
    normalize_name,
    parse_resident_id,
)
from families.models import Person
from families.services.batch.sql import _q_in
from families.services.batch.types import Outcome, ReportRow


class RowsMixin:
    """person_batch / pair_batch of `_Run` (run.py)."""

    def _identify(self, line: int, id_type: str, id_number: str, name: str, role: str,
                  persons: dict) -> tuple[dict | None, ReportRow | None]:
        """(person values, None) or (None, the report row of an invalid/unknown person)."""
        number = normalize_id_number(id_number)
        if id_type not in IdType.values:
            return None, ReportRow(Outcome.INVALID_ROW, line, message=_(
                "%(role)s证件类型“%(type)s”无效。") % {"role": role, "type": id_type})
        if id_type == IdType.RESIDENT_ID:
            try:
                parse_resident_id(number)
            except InvalidIdNumber as exc:
                return None, ReportRow(Outcome.INVALID_ID, line, message=f"{role}:{exc}")
        elif not number or len(number) > 32:
            return None, ReportRow(Outcome.INVALID_ID, line, message=_(
                "%(role)s证件号码不能为空且不超过32位。") % {"role": role})
        person = persons.get((id_type, number))
        masked = mask_id_number(number)
        if person is None:
            return None, ReportRow(Outcome.NOT_FOUND, line, first_id=masked, message=_(
                "未查询到%(role)s的参保登记(证件类型、证件号码)。") % {"role": role})
        if name.strip() and normalize_name(name) != person["name"]:
            return None, ReportRow(Outcome.NAME_MISMATCH, line, first_id=masked, message=_(
                "%(role)s的姓名与证件号码登记信息不一致,请核对姓名。") % {"role": role})
        return person, None

    @staticmethod
    def _persons(numbers: set[str]) -> dict:
        rows = Person.objects.filter(id_number__in=numbers).values(
            "pk", "id_type", "id_number", "name", "insured_region_id")
        return {(r["id_type"], r["id_number"]): r for r in rows}

    def _in_region(self, *persons: dict) -> bool:
        return self.region is None or any(
            p["insured_region_id"] == self.region.pk for p in persons)

    def _other_region(self, line: int) -> ReportRow:
        return ReportRow(Outcome.OTHER_REGION, line, message=_(
            "参保人不属于统筹区 %(code)s。") % {"code": self.region.code})

    def person_batch(self, batch: list[tuple[int, dict[str, str]]]) -> None:
        persons = self._persons({normalize_id_number(r.get("id_number") or "")
                                 for _line, r in batch})
        line_of_person: dict[int, int] = {}
        for line, row in batch:
            if None in row:
                self.emit(ReportRow(Outcome.INVALID_ROW, line, message=_("列数多于表头。")))
                continue
            person, failure = self._identify(
                line, (row.get("id_type") or "").strip() or IdType.RESIDENT_ID,
                row.get("id_number") or "", row.get("name") or "", _("参保人"), persons)
            if failure is not None:
                self.emit(failure)
            elif not self._in_region(person):
                self.emit(self._other_region(line))
            else:
                line_of_person.setdefault(person["pk"], line)
        linked: set[int] = set()
        for kind in self.kinds:
            pids = list(line_of_person)
            lines: dict[int, int] = {}
            for pk, a, b in kind.model.objects.filter(
                _q_in(f"{kind.first}_id", pids) | _q_in(f"{kind.second}_id", pids)
            ).values_list("pk", f"{kind.first}_id", f"{kind.second}_id").order_by("pk"):
                lines[pk] = min(line_of_person.get(a, 1 << 62), line_of_person.get(b, 1 << 62))
                linked.update(p for p in (a, b) if p in line_of_person)
            self.end_links(kind, sorted(lines), lines)
        for pk, line in line_of_person.items():
            if pk not in linked:
                self.emit(ReportRow(Outcome.NO_LINKS, line))
        self.advance(len(batch))

    def pair_batch(self, batch: list[tuple[int, dict[str, str]]]) -> None:
        persons = self._persons({normalize_id_number(r.get(f"{side}_id_number") or "")
                                 for _line, r in batch for side in ("holder", "member")})
        pairs: dict[frozenset, int] = {}
        for line, row in batch:
            if None in row:
                self.emit(ReportRow(Outcome.INVALID_ROW, line, message=_("列数多于表头。")))
                continue
            found, failed = [], False
            for side, role in (("holder", _("绑定人/授权人")), ("member", _("被绑定人/共济人"))):
                person, failure = self._identify(
                    line, (row.get(f"{side}_id_type") or "").strip() or IdType.RESIDENT_ID,
                    row.get(f"{side}_id_number") or "", row.get(f"{side}_name") or "", role,
                    persons)
                if failure is not None:
                    self.emit(failure)
                    failed = True
                    break
                found.append(person)
            if failed:
                continue
            if found[0]["pk"] == found[1]["pk"]:
                self.emit(ReportRow(Outcome.INVALID_ROW, line, message=_("两列为同一参保人。")))
            elif not self._in_region(*found):
                self.emit(self._other_region(line))
            else:
                pairs.setdefault(frozenset(p["pk"] for p in found), line)
        pids = list({pk for pair in pairs for pk in pair})
        linked: set[frozenset] = set()
        for kind in self.kinds:
            lines: dict[int, int] = {}
            for pk, a, b in kind.model.objects.filter(
                _q_in(f"{kind.first}_id", pids), _q_in(f"{kind.second}_id", pids)
            ).values_list("pk", f"{kind.first}_id", f"{kind.second}_id").order_by("pk"):
                if frozenset((a, b)) in pairs:
                    lines[pk] = pairs[frozenset((a, b))]
                    linked.add(frozenset((a, b)))
            self.end_links(kind, sorted(lines), lines)
        for pair, line in pairs.items():
            if pair not in linked:
                self.emit(ReportRow(Outcome.NO_LINKS, line))
        self.advance(len(batch))
