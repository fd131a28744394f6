"""Large evidence files over the tus 1.0 protocol (https://tus.io/protocols/resumable-upload):
the core protocol with the `creation` and `termination` extensions, spoken by the vendored
tus-js-client on the complaint form and the case inbox (static/js/uploads.js).

Our own small implementation, not a package: django-tus, the Django one, is unmaintained
since 2020 and writes each chunk to disk as plaintext, while evidence must be encrypted as it
arrives (hotline.services.uploads) and an upload must belong to the one browser session that
started it. The protocol is five small requests; what matters is behind them.

Every request but OPTIONS goes through Django's CSRF check (the script sends X-CSRFToken),
and an upload of another session answers exactly as one that does not exist: 404.
"""

import base64
import binascii

from django.conf import settings
from django.http import HttpResponse
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.views import View
from django.views.decorators.cache import never_cache

from .models import Upload
from .services import uploads
from .views import _case, _holder

TUS_VERSION = "1.0.0"


def _answer(status: int, text: str = "", **headers) -> HttpResponse:
    response = HttpResponse(text, status=status, content_type="text/plain; charset=utf-8")
    response["Tus-Resumable"] = TUS_VERSION
    for name, value in headers.items():
        response[name.replace("_", "-")] = str(value)
    return response


def _metadata(header: str) -> dict[str, str]:
    """Upload-Metadata: "key base64value,key2 base64value2" (values may be absent)."""
    found = {}
    for pair in filter(None, (part.strip() for part in header.split(","))):
        key, _space, value = pair.partition(" ")
        try:
            found[key] = base64.b64decode(value, validate=True).decode() if value else ""
        except (binascii.Error, UnicodeDecodeError):
            continue
    return found


def _number(value) -> int | None:
    if value is None or not str(value).isdigit():
        return None
    return int(value)


@method_decorator(never_cache, name="dispatch")
class TusView(View):
    http_method_names = ["options", "post", "head", "patch", "delete"]

    def dispatch(self, request, *args, **kwargs):
        if request.method != "OPTIONS" and request.headers.get("Tus-Resumable") != TUS_VERSION:
            return _answer(
                412, _("This needs version 1.0.0 of the tus protocol."), Tus_Version=TUS_VERSION
            )
        try:
            return super().dispatch(request, *args, **kwargs)
        except uploads.UploadRefused as refused:
            return _answer(refused.status, refused.message)

    def options(self, request, *args, **kwargs):
        return _answer(
            204,
            Tus_Version=TUS_VERSION,
            Tus_Extension="creation,termination",
            Tus_Max_Size=settings.EVIDENCE_UPLOAD_MAX_BYTES,
        )

    def upload(self, pk) -> Upload | None:
        return Upload.objects.of(_holder(self.request)).filter(pk=pk).first()

    def not_found(self):
        return _answer(404, uploads.NOT_FOUND)


class UploadCreateView(TusView):
    def post(self, request):
        if request.headers.get("Upload-Defer-Length"):
            return _answer(400, _("The size of the file is missing."))
        complaint, _ended = _case(request)
        meta = _metadata(request.headers.get("Upload-Metadata", ""))
        upload = uploads.upload_create(
            holder=_holder(request, create=True),
            name=meta.get("filename") or meta.get("name") or "",
            length=_number(request.headers.get("Upload-Length")),
            complaint=complaint,
        )
        location = reverse("hotline:upload", args=[upload.pk])
        return _answer(201, Location=location)


class UploadView(TusView):
    def head(self, request, pk):
        upload = self.upload(pk)
        if upload is None:
            return self.not_found()
        return _answer(200, Upload_Offset=upload.offset, Upload_Length=upload.length)

    def patch(self, request, pk):
        upload = self.upload(pk)
        if upload is None:
            return self.not_found()
        if request.content_type != "application/offset+octet-stream":
            return _answer(415, _("The piece must be sent as application/offset+octet-stream."))
        offset = _number(request.headers.get("Upload-Offset"))
        count = _number(request.META.get("CONTENT_LENGTH"))
        if offset is None or count is None:
            return _answer(400, _("The piece says neither where it starts nor how long it is."))
        upload = uploads.upload_append(upload=upload, offset=offset, stream=request, count=count)
        return _answer(204, Upload_Offset=upload.offset)

    def delete(self, request, pk):
        upload = self.upload(pk)
        if upload is None:
            return self.not_found()
        uploads.upload_delete(upload)
        return _answer(204)
