"""The Excel-safe report of a batch unbind (UTF-8 with BOM, formula-safe text cells):
one row per input row / link, written by the command and by batch jobs alike."""

import csv
from collections import Counter
from typing import TextIO

from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from accounts.excel import excel_text
from families.services.batch.types import Outcome, ReportRow
from families.services.registry import ImportOutcome, ImportRow

KIND_LABELS = {"binding": gettext_noop("亲情账户绑定"), "copay": gettext_noop("家庭共济授权")}
HEADER = [gettext_noop(h) for h in (
    "行号", "结果代码", "结果", "类型", "关系ID", "绑定人/授权人证件号码",
    "被绑定人/共济人证件号码", "统筹区", "原状态", "现状态", "说明")]


class ReportWriter:
    """Writes ReportRows to an open text handle; counts outcomes as it goes."""

    def __init__(self, handle: TextIO, *, header: bool = True) -> None:
        self.handle = handle
        self.writer = csv.writer(handle)
        if header:
            self.writer.writerow([_(h) for h in HEADER])
        self.count = 0
        self.outcomes: Counter = Counter()
        # Translated once: a report can have a million rows.
        self.outcome_labels = {o.value: str(o.label) for o in Outcome}
        self.kind_labels = {k: _(v) for k, v in KIND_LABELS.items()}

    def write(self, row: ReportRow) -> None:
        self.writer.writerow([
            row.line or "", row.outcome, self.outcome_labels[row.outcome],
            self.kind_labels.get(row.kind, ""), row.link_id or "",
            excel_text(row.first_id), excel_text(row.second_id), row.region_code,
            row.old_status, row.new_status, excel_text(row.message),
        ])
        self.outcomes[row.outcome] += 1
        self.count += 1
        if self.count % 5000 == 0:
            self.handle.flush()


IMPORT_HEADER = [gettext_noop(h) for h in ("行号", "证件号码", "结果代码", "结果", "说明")]


class ImportReportWriter:
    """The registry import's report (`import_persons --report`, registry jobs): one row
    per input row, UTF-8 with BOM, formula-safe; counts outcomes as it goes."""

    def __init__(self, handle: TextIO, *, header: bool = True) -> None:
        self.handle = handle
        self.writer = csv.writer(handle)
        if header:
            self.writer.writerow([_(h) for h in IMPORT_HEADER])
        self.outcomes: Counter = Counter()
        self.labels = {o.value: str(o.label) for o in ImportOutcome}

    def write(self, row: ImportRow) -> None:
        self.write_values(row.line, row.id_number, row.outcome, row.message)

    def write_values(self, line: int, masked_id: str, outcome: str, message: str) -> None:
        self.writer.writerow([line, excel_text(masked_id), outcome, self.labels[outcome],
                              excel_text(message)])
        self.outcomes[outcome] += 1
