import contextlib
import os

from django.conf import settings
from django.core.files.storage import FileSystemStorage
from django.utils.deconstruct import deconstructible

FILE_MODE = 0o600
DIR_MODE = 0o700


def make_private_dirs(path) -> None:
    """`path` and every folder missing above it, readable by the service's user only (what
    os.makedirs's mode leaves to the umask for the folders above)."""
    path = os.path.abspath(path)
    if os.path.isdir(path):
        return
    make_private_dirs(os.path.dirname(path))
    with contextlib.suppress(FileExistsError):
        os.mkdir(path, DIR_MODE)
    os.chmod(path, DIR_MODE)


def open_private_new(path):
    """A new file, for writing bytes, readable by the service's user only; fails if it exists."""
    make_private_dirs(os.path.dirname(path))
    return os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE), "wb")


@deconstructible
class PrivateStorage(FileSystemStorage):
    """Evidence storage: under PRIVATE_MEDIA_ROOT, outside MEDIA_ROOT, with no URL at all.

    Files are only ever streamed to staff by hotline.views.attachment_download, which checks
    permissions and logs the access. The location is read on every use so a test (or an
    operator) changing PRIVATE_MEDIA_ROOT takes effect at once.
    """

    def __init__(self):
        # Readable by the service's user only (issue 29): encrypted, but no one else's to copy.
        super().__init__(
            base_url=None, file_permissions_mode=FILE_MODE, directory_permissions_mode=DIR_MODE
        )

    @property
    def base_location(self):
        return str(settings.PRIVATE_MEDIA_ROOT)

    @property
    def location(self):
        return os.path.abspath(self.base_location)

    def url(self, name):
        raise NotImplementedError("Private files have no public URL.")


private_storage = PrivateStorage()
