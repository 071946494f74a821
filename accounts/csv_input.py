"""CSV files operators feed to management commands (registry feed, allocations, batch
unbinds): UTF-8 with or without BOM (as Excel saves them), a header row, line numbers in
every message. Problems with the file itself are fatal (exit code 2) and raised before
anything is written; problems with a row are collected with the row's line number."""

import csv
from collections.abc import Callable, Hashable, Iterator
from pathlib import Path
from typing import Any

from django.core.management.base import CommandError
from django.utils.translation import gettext as _

from accounts.errors import RuleViolation


def check_file(path: Path, required: list[str]) -> int:
    """Read the whole file once: unreadable, not UTF-8, bad CSV syntax or missing
    columns raise CommandError (exit code 2). Returns the number of non-blank data rows."""
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            reader = csv.reader(handle)
            header = [h.strip() for h in next(reader, [])]
            missing = [c for c in required if c not in header]
            if missing:
                raise CommandError(_("缺少列:%(columns)s") % {"columns": ", ".join(missing)},
                                   returncode=2)
            return sum(1 for row in reader if any(cell.strip() for cell in row))
    except OSError as exc:
        raise CommandError(_("无法读取文件:%(error)s") % {"error": exc}, returncode=2) from exc
    except UnicodeDecodeError as exc:
        raise CommandError(_("文件不是 UTF-8 编码(请在 Excel 中另存为“CSV UTF-8”)。"),
                           returncode=2) from exc
    except csv.Error as exc:
        raise CommandError(_("CSV 格式错误:%(error)s") % {"error": exc}, returncode=2) from exc


def data_rows(path: Path) -> Iterator[tuple[int, dict[str, str]]]:
    """(line number, row) of the non-blank data rows, streamed; header names stripped.
    A row with more cells than the header has them under the key None."""
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        reader.fieldnames = [h.strip() for h in reader.fieldnames or []]
        for row in reader:
            if any((v or "").strip() for k, v in row.items() if k is not None) or None in row:
                yield reader.line_num, row


def validate_file(
    path: Path, required: list[str], validate: Callable[[dict[str, str]], Any],
    key: Callable[[Any], Hashable] | None = None,
) -> tuple[list[tuple[int, Any]], list[tuple[int, str]]]:
    """Validate every row before anything is written: (valid rows, errors), each with its
    line number. `validate` raises RuleViolation for a bad row; `key` finds duplicates."""
    check_file(path, required)
    valid: list[tuple[int, Any]] = []
    errors: list[tuple[int, str]] = []
    seen: dict[Hashable, int] = {}
    for line, row in data_rows(path):
        if None in row:
            errors.append((line, _("列数多于表头。")))
            continue
        if any("\x00" in (v or "") for v in row.values()):
            # PostgreSQL text cannot hold NUL: refuse the row instead of failing the write
            errors.append((line, _("含有空字符(NUL),请检查文件。")))
            continue
        try:
            data = validate({k: v or "" for k, v in row.items()})
        except RuleViolation as exc:
            errors.append((line, exc.text))
            continue
        if key is not None:
            k = key(data)
            if k in seen:
                errors.append((line, _("与第 %(line)s 行重复。") % {"line": seen[k]}))
                continue
            seen[k] = line
        valid.append((line, data))
    return valid, errors


def operator(username: str, *, permissions: tuple[str, ...] = (), denied: str = ""):
    """The one operator lookup of every management command (`--operator`): an active
    staff member holding `permissions`, else exit code 2 before anything is written
    (`denied`: the message when a permission is missing)."""
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.filter(username=username, is_active=True).first()
    if user is None:
        raise CommandError(_("经办人“%(name)s”不存在或已停用。") % {"name": username},
                           returncode=2)
    if not all(user.has_perm(p) for p in permissions):
        raise CommandError(denied or _("经办人“%(name)s”没有此项操作的权限。")
                           % {"name": username}, returncode=2)
    return user


def report_row_errors(command, errors: list[tuple[int, str]], *, skip_invalid: bool) -> None:
    """Each bad row on stderr with its line number; without --skip-invalid any bad row
    stops the command before anything is written (exit code 1)."""
    for line, message in errors:
        command.stderr.write(_("第 %(line)s 行:%(message)s") % {"line": line, "message": message})
    if errors and not skip_invalid:
        raise CommandError(
            _("%(n)s 行有误,未写入任何数据(可用 --skip-invalid 只写入正确的行)。")
            % {"n": len(errors)}, returncode=1)
