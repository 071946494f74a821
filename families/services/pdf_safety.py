"""A scanned PDF is a picture of a paper document: it never needs scripts, actions,
attachments or forms. Refuse any PDF that carries them, and anything that only pretends
to be a PDF (an HTML page behind a `%PDF-` header), so that no stored scan can run code
in a viewer that opens it."""

import re
import zlib

from django.utils.translation import gettext as _

from accounts.errors import RuleViolation

# PDF names that start scripts or actions, launch programs, embed files or forms.
ACTIVE_NAMES = ("JavaScript", "JS", "OpenAction", "AA", "Launch", "EmbeddedFile",
                "EmbeddedFiles", "RichMedia", "XFA", "SubmitForm", "ImportData", "GoToR",
                "GoToE")
_NAME = re.compile(rb"/((?:[A-Za-z0-9_.+-]|#[0-9A-Fa-f]{2})+)")
_HEX = re.compile(rb"#([0-9A-Fa-f]{2})")
_MARKUP = re.compile(rb"<\s*(?:!doctype|html|head|body|script|iframe|svg|object|embed|meta)\b",
                     re.IGNORECASE)
_STREAM = re.compile(rb"stream\r?\n")
# Decompressed bytes looked at per stream (object streams hide names inside Flate data).
_INFLATE_LIMIT = 4 * 1024 * 1024
_ACTIVE = {name.encode() for name in ACTIVE_NAMES}


def _names(data: bytes) -> set[bytes]:
    """Every PDF name in `data`, with #xx escapes decoded (/J#61vaScript is /JavaScript)."""
    return {_HEX.sub(lambda m: bytes([int(m.group(1), 16)]), m.group(1))
            for m in _NAME.finditer(data)}


def _inflated_streams(data: bytes):
    for match in _STREAM.finditer(data):
        inflater = zlib.decompressobj()
        try:
            yield inflater.decompress(data[match.end():match.end() + _INFLATE_LIMIT],
                                      _INFLATE_LIMIT)
        except zlib.error:
            continue


def pdf_refuse_active_content(upload, name: str) -> None:
    """Raise `scan_pdf_active_content` for a PDF with scripts, actions, attachments or
    forms, `scan_type_not_allowed` for markup behind a PDF header or a file without
    the PDF trailer."""
    upload.seek(0)
    data = upload.read()
    upload.seek(0)
    if _MARKUP.search(data[:4096]) or b"%%EOF" not in data[-2048:]:
        raise RuleViolation(
            "scan_type_not_allowed",
            _("文件“%(name)s”不是 PDF、JPEG 或 PNG 文件(按文件内容判断)。") % {"name": name},
            name=name,
        )
    found = _names(data) & _ACTIVE
    if not found:
        for inflated in _inflated_streams(data):
            found = _names(inflated) & _ACTIVE
            if found:
                break
    if found:
        raise RuleViolation(
            "scan_pdf_active_content",
            _("PDF 文件“%(name)s”含有脚本、自动动作、附件或表单等活动内容,不能作为扫描件。"
              "请重新扫描或打印为普通 PDF 后上传。") % {"name": name},
            name=name, active=sorted(n.decode("latin-1") for n in found),
        )
