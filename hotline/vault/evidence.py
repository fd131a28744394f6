"""Evidence files: what is accepted, decided from the content, not the name."""

import hashlib
import os
import re
import unicodedata
from dataclasses import dataclass

import puremagic
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

MAX_FILES = 5
MAX_FILE_SIZE = 10 * 1024 * 1024
# Said by the server, and by the form's script before anything is sent (hotline.forms).
TOO_BIG = _(
    "“%(name)s” is larger than 10 MB. Send it under “Large files” on this form (it needs"
    " JavaScript in your browser), or to us after we contact you."
)
SNIFF_BYTES = 64 * 1024

# Extension -> the types its content may be detected as. A file is accepted only when its
# content is one of these types AND matches its own extension (so no .exe called .pdf).
ALLOWED = {
    ".jpg": {"image/jpeg"},
    ".jpeg": {"image/jpeg"},
    ".png": {"image/png"},
    ".gif": {"image/gif"},
    ".webp": {"image/webp"},
    ".heic": {"image/heic", "image/heif"},
    ".pdf": {"application/pdf"},
    ".mp4": {"video/mp4"},
    ".m4v": {"video/mp4", "video/x-m4v"},
    ".mov": {"video/quicktime"},
    ".webm": {"video/webm"},
    ".mp3": {"audio/mpeg"},
    ".m4a": {"audio/mp4", "audio/x-m4a"},
    ".ogg": {"audio/ogg", "video/ogg", "application/ogg"},
    ".doc": {"application/msword", "application/x-ole-storage", "application/vnd.ms-office"},
    ".xls": {"application/vnd.ms-excel", "application/x-ole-storage", "application/vnd.ms-office"},
    ".docx": {"application/vnd.openxmlformats-officedocument.wordprocessingml.document"},
    ".xlsx": {"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"},
    ".pptx": {"application/vnd.openxmlformats-officedocument.presentationml.presentation"},
    ".odt": {"application/vnd.oasis.opendocument.text"},
    ".ods": {"application/vnd.oasis.opendocument.spreadsheet"},
    ".rtf": {"text/rtf", "application/rtf"},
}
# Never accepted, whatever else the content also looks like (polyglots).
FORBIDDEN_TYPES = {
    "application/x-dosexec",
    "application/vnd.microsoft.portable-executable",
    "application/x-executable",
    "application/x-elf",
    "application/x-mach-binary",
    "application/x-msdownload",
    "application/x-sh",
    "text/html",
    "image/svg+xml",
}
ACCEPT_ATTRIBUTE = ",".join(sorted(ALLOWED))
IMAGES = {".jpg", ".jpeg", ".png", ".gif", ".webp", ".heic"}
# Inside an image: markup a browser could run, or a ZIP/JAR that a plug-in could open (GIFAR).
# A photo has neither; a polyglot made to be read two ways does, behind a valid image header
# that is all the type detection looks at.
_SMUGGLED = re.compile(
    rb"<\s*(?:script|html|body|svg|iframe|object|embed)\b|<!doctype\s+html|PK\x03\x04|PK\x05\x06",
    re.IGNORECASE,
)


@dataclass
class CheckedFile:
    upload: object
    name: str
    content_type: str
    size: int
    sha256: str


def safe_name(name: str) -> str:
    """A display name without paths or control characters, at most 255 characters."""
    name = os.path.basename((name or "").replace("\\", "/"))
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C").strip(" .")
    stem, ext = os.path.splitext(name)
    if len(name) > 255:
        name = stem[: 255 - len(ext)] + ext
    return name or "file"


def _detected_types(head: bytes) -> set[str]:
    try:
        matches = puremagic.magic_string(head)
    except puremagic.PureError:
        return set()
    return {m.mime_type for m in matches if m.mime_type}


def _smuggles_something(upload, head: bytes) -> bool:
    if upload.size <= SNIFF_BYTES:
        return smuggles(head, b"")
    upload.seek(upload.size - SNIFF_BYTES)  # a ZIP's directory sits at the end
    return smuggles(head, upload.read(SNIFF_BYTES))


def smuggles(head: bytes, tail: bytes) -> bool:
    """Whether an image's first or last SNIFF_BYTES hide something a browser or a plug-in
    could run (see _SMUGGLED)."""
    return bool(_SMUGGLED.search(head) or _SMUGGLED.search(tail))


def extension_of(name: str) -> str:
    """The extension of an accepted file name; ValidationError ("type") for any other."""
    ext = os.path.splitext(name)[1].lower()
    if ext not in ALLOWED:
        raise ValidationError(
            _("“%(name)s” is not a type we accept: images, PDF, video, audio or office documents."),
            params={"name": name},
            code="type",
        )
    return ext


def not_what_it_says(name: str) -> ValidationError:
    ext = os.path.splitext(name)[1].lower()
    return ValidationError(
        _(
            "“%(name)s” does not contain what its name says (%(ext)s). Please attach the original file."
        ),
        params={"name": name, "ext": ext},
        code="content",
    )


def content_type_of(name: str, head: bytes) -> str:
    """The type of a file called `name` (already made safe) from its first SNIFF_BYTES: one
    its extension allows and nothing forbidden, or ValidationError. The form's files and the
    large-file route (hotline.uploads) both decide here; images are also checked for what
    they smuggle (smuggles), once their end is known."""
    ext = extension_of(name)
    detected = _detected_types(head[:SNIFF_BYTES])
    if detected & FORBIDDEN_TYPES or not detected & ALLOWED[ext]:
        raise not_what_it_says(name)
    return sorted(detected & ALLOWED[ext])[0]


def check_upload(upload) -> CheckedFile:
    """Validate one uploaded file; raises ValidationError with a message for the visitor."""
    name = safe_name(upload.name)
    params = {"name": name}
    if upload.size == 0:
        raise ValidationError(_("“%(name)s” is empty."), params=params, code="empty")
    if upload.size > MAX_FILE_SIZE:
        raise ValidationError(TOO_BIG, params=params, code="too_big")
    extension_of(name)
    upload.seek(0)
    head = upload.read(SNIFF_BYTES)
    content_type = content_type_of(name, head)
    if os.path.splitext(name)[1].lower() in IMAGES and _smuggles_something(upload, head):
        raise not_what_it_says(name)
    digest = hashlib.sha256()
    upload.seek(0)
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    return CheckedFile(
        upload=upload,
        name=name,
        content_type=content_type,
        size=upload.size,
        sha256=digest.hexdigest(),
    )
