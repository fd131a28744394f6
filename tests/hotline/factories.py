import datetime
import hashlib

import factory
from django.utils import timezone
from factory.django import DjangoModelFactory

from hotline import tracking
from hotline.models import Attachment, CallbackRequest, CaseMessage, Complaint, Note
from hotline.services import triage
from hotline.vault import cipher
from incidents.models import Category, Region
from tests.incidents.factories import UserFactory  # noqa: F401 -- one staff factory

from .evidence_files import png_bytes

DESCRIPTION = (
    "Police officers pushed me away from the entrance of the court and broke my camera "
    "while I was filming the hearing."
)


class TimedFactory(DjangoModelFactory):
    """Items get the timer of their status, as the services give it (unless one is passed)."""

    class Meta:
        abstract = True

    @classmethod
    def _create(cls, model_class, *args, **kwargs):

        obj = model_class(*args, **kwargs)
        if "due_at" not in kwargs:
            obj.due_at = triage.due_at(obj)
        obj.save()
        return obj


class CallbackRequestFactory(TimedFactory):
    class Meta:
        model = CallbackRequest

    name = factory.Faker("name")
    phone = "+380504477063"
    topic = CallbackRequest.Topic.JOURNALISTS_RIGHTS
    language = "uk"
    consent = True


class ComplaintFactory(TimedFactory):
    """A complaint; its tracking code is thrown away (use complaint_with_code to keep it)."""

    class Meta:
        model = Complaint

    tracking_code_hash = factory.LazyFunction(lambda: tracking.digest(tracking.generate()))
    language = "uk"
    reporter_name = factory.Faker("name")
    outlet = "Demo Visti"
    email = factory.Sequence(lambda n: f"reporter{n}@example.org")
    phone = "+380671234567"
    occurred_on = factory.LazyFunction(lambda: timezone.localdate() - datetime.timedelta(days=3))
    region = factory.LazyFunction(lambda: Region.objects.get(slug="kyiv"))
    category = factory.LazyFunction(lambda: Category.objects.get(slug="beating"))
    place = "Kyiv, Shevchenkivskyi district court"
    description = DESCRIPTION
    consent_processing = True


def complaint_with_code(**kwargs) -> tuple[Complaint, str]:
    """A saved complaint and the tracking code that finds it."""
    code = tracking.generate()
    complaint = ComplaintFactory(tracking_code_hash=tracking.digest(code), **kwargs)
    return complaint, code


class CaseMessageFactory(DjangoModelFactory):
    """A message from staff in the reporter's case inbox (sender="reporter" for a reply)."""

    class Meta:
        model = CaseMessage

    complaint = factory.SubFactory(ComplaintFactory)
    sender = CaseMessage.Sender.STAFF
    text = "We have contacted the police about your case."


class NoteFactory(DjangoModelFactory):
    class Meta:
        model = Note

    complaint = factory.SubFactory(ComplaintFactory)
    text = "Called the reporter, waiting for photos."


class AttachmentFactory(DjangoModelFactory):
    """An evidence file, stored for real in private storage (a temporary directory in tests)."""

    class Meta:
        model = Attachment

    complaint = factory.SubFactory(ComplaintFactory)
    original_name = "photo.png"
    content_type = "image/png"
    data = png_bytes()

    @classmethod
    def _create(cls, model_class, *args, data=b"", **kwargs):
        """Stored as the site stores evidence: encrypted by the vault."""
        attachment = model_class(
            *args, size=len(data), sha256=hashlib.sha256(data).hexdigest(), **kwargs
        )
        lock = cipher.store(attachment.file, [data])
        attachment.key_id, attachment.wrapped_key = lock.key_id, lock.wrapped_key
        attachment.save()
        return attachment
