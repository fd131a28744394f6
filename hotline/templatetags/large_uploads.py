"""The large-file field of the complaint form and the case inbox reply (static/js/uploads.js)."""

from django import template
from django.conf import settings

from ..vault import evidence

register = template.Library()


@register.inclusion_tag("hotline/includes/large_upload.html")
def large_upload():
    return {
        "chunk_bytes": settings.EVIDENCE_UPLOAD_CHUNK_BYTES,
        "max_bytes": settings.EVIDENCE_UPLOAD_MAX_BYTES,
        "direct_max_bytes": evidence.MAX_FILE_SIZE,
        "accept": evidence.ACCEPT_ATTRIBUTE,
    }
