"""Persons and households of the load generator (see families/loadgen/__init__.py)."""

from __future__ import annotations

import datetime
from array import array

from families.idnumbers import make_resident_id
from families.loadgen.data import (
    BIRTH_DAYS,
    FIRST_BIRTH,
    GIVEN,
    ID_SPACE,
    REGIONS,
    SURNAMES,
    UTC,
)
from families.loadgen.helpers import _multiplier, _weighted
from families.loadgen.sql import (
    CopyStream,
)
from families.models import (
    Person,
)


class PersonRows:
    """Mixin of LoadGenerator (families/loadgen/__init__.py)."""

    # persons ------------------------------------------------------------------------------
    def _persons(self, first_id: int) -> None:
        o, rng = self.o, self.rng
        rnd = rng.random
        n = o.persons
        self.first_person = first_id
        # Region of every generated person (index into region_ids): links need the holder's.
        self.person_region = array("b", bytes(n))
        out = CopyStream(Person, self.factory, self.result.rows)
        surname = _weighted(rng, SURNAMES)
        region_pick = _weighted(rng, list(enumerate(self.region_weights)))
        multiplier = _multiplier(ID_SPACE)
        births = [FIRST_BIRTH + datetime.timedelta(days=d) for d in range(BIRTH_DAYS)]
        born_2016 = (datetime.date(2016, 1, 1) - FIRST_BIRTH).days
        activation_base = datetime.datetime(2019, 6, 1, tzinfo=UTC)
        given, n_given = GIVEN, len(GIVEN)
        bar = self.progress("persons", n)
        left, family, region_index = 0, "", 0
        for i in range(n):
            pid = first_id + i
            if left == 0:  # a new household: surname and insured region shared
                left = rng.choice((1, 2, 2, 3, 3, 3, 4, 4, 5))
                family, region_index = surname(), region_pick()
            left -= 1
            self.person_region[i] = region_index
            day, seqsex = divmod((pid * multiplier) % ID_SPACE, 1000)
            sex = "M" if seqsex % 2 else "F"
            region_id = self.region_ids[region_index]
            district = f"{REGIONS[region_index][0][:4]}{1 + int(rnd() * 9):02d}"
            birth = births[day]
            name = family + given[int(rnd() * n_given)]
            if rnd() < 0.7:
                name += given[int(rnd() * n_given)]
            r = rnd()
            status, death = "normal", None
            if r < 0.01:
                status = "terminated"
                death = datetime.date(2023, 1, 1) + datetime.timedelta(days=int(rnd() * 700))
            elif r < 0.04:
                status = "terminated"
            elif r < 0.07:
                status = "suspended"
            out.write({
                "id": pid, "id_type": "resident_id",
                "id_number": make_resident_id(district, birth, seqsex // 2, sex),
                "name": name, "sex": sex, "birth_date": birth,
                "phone": f"1{3 + int(rnd() * 7)}{int(rnd() * 1e9):09d}",
                "insurance_type": "employee" if rnd() < 0.4 else "resident",
                "insured_region_id": region_id, "insurance_status": status,
                "evoucher_activated_at": activation_base + datetime.timedelta(
                    minutes=int(rnd() * 2_500_000)) if rnd() < 0.75 else None,
                "death_date": death,
                "birth_region_id": region_id if day >= born_2016 else None,
            })
            if i % 10_000 == 9_999:
                bar.update(10_000)
        bar.update(n % 10_000)
        bar.close()
        out.close()
