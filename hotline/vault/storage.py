import os

from django.conf import settings
from django.core.files.storage import FileSystemStorage
from django.utils.deconstruct import deconstructible


@deconstructible
class PrivateStorage(FileSystemStorage):
    """Evidence storage: under PRIVATE_MEDIA_ROOT, outside MEDIA_ROOT, with no URL at all.

    Files are only ever streamed to staff by hotline.views.attachment_download, which checks
    permissions and logs the access. The location is read on every use so a test (or an
    operator) changing PRIVATE_MEDIA_ROOT takes effect at once.
    """

    def __init__(self):
        super().__init__(base_url=None)

    @property
    def base_location(self):
        return str(settings.PRIVATE_MEDIA_ROOT)

    @property
    def location(self):
        return os.path.abspath(self.base_location)

    def url(self, name):
        raise NotImplementedError("Private files have no public URL.")


private_storage = PrivateStorage()
