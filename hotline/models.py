import datetime
import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinLengthValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from phonenumber_field.modelfields import PhoneNumberField
from simple_history.models import HistoricalRecords

from incidents.dates import DatePrecision
from incidents.models import Category, Incident, Language, PerpetratorType, Region, SourceLink

from .vault.cipher import Lock
from .vault.storage import private_storage

DESCRIPTION_MIN_LENGTH = 50
DESCRIPTION_MAX_LENGTH = 20_000


def desk_regions(user) -> frozenset[int] | None:
    """The regions a staff member's desk covers (their ids), or None for the country-wide
    role: a superuser, or anyone holding COUNTRY_WIDE (through a group or themselves).
    Everyone else sees their desk's regions and the items with no region; without a desk,
    or with a desk of no regions, only the items with no region (closed by default: a
    new account or a new group sees nobody's data until it is given regions or the role).
    Kept on the user object for the request (a permission cache does the same)."""
    if user is None or not user.is_active or not user.is_authenticated:
        return frozenset()
    if user.is_superuser or user.has_perm(COUNTRY_WIDE):
        return None
    cached = getattr(user, "_desk_regions", None)
    if cached is None:
        cached = frozenset(
            StaffDesk.regions.through.objects.filter(staffdesk__user=user).values_list(
                "region_id", flat=True
            )
        )
        user._desk_regions = cached
    return cached


def desk_filter(user, prefix: str = "") -> Q:
    """The one rule of what a staff member sees, as a filter on an item with a region
    (`prefix` reaches it through a relation, e.g. "complaint__"). The inverse read, who
    sees an item (StaffDesk.covering), is written beside it."""
    regions = desk_regions(user)
    if regions is None:
        return Q()
    return Q(**{f"{prefix}region__isnull": True}) | Q(**{f"{prefix}region__in": regions})


class TriageQuerySet(models.QuerySet):
    """The rules a shift works by, written once: what is open, what is overdue, and what a
    staff member's desk covers."""

    def visible_to(self, user):
        """What this staff member may see and touch: every staff read starts here (the
        admin's lists and pages, searches, counts, exports, downloads, the desk's tiles)."""
        if user is None or not user.is_authenticated or not user.is_active:
            return self.none()
        return self.filter(desk_filter(user))

    def open(self):
        return self.exclude(status__in=self.model.FINISHED).filter(erased_at__isnull=True)

    def overdue(self, now=None):
        """Open, and its current state's time to act has passed (see TriageItem.due_at)."""
        return self.open().filter(due_at__lt=now or timezone.now())

    # The shift's order (shift_order): overdue first, the longest overdue at the top; then
    # what waits for the shift, the new first, then by due time; then what needs nothing
    # (closed, rejected, published, erased), the newest first.
    SHIFT_ORDER = (
        "-is_overdue",
        "-is_waiting",
        "-is_new",
        models.F("due_at").asc(nulls_last=True),
        "-created_at",
    )

    def shift_order(self, now=None):
        """Open items first, in the order the shift works them (SHIFT_ORDER)."""
        waiting = (
            ~Q(status__in=self.model.FINISHED) & Q(erased_at__isnull=True) & Q(due_at__isnull=False)
        )

        def flag(condition):
            return models.Case(
                models.When(condition, then=models.Value(1)),
                default=models.Value(0),
                output_field=models.IntegerField(),
            )

        return self.annotate(
            is_overdue=flag(waiting & Q(due_at__lt=now or timezone.now())),
            is_waiting=flag(waiting),
            is_new=flag(waiting & Q(status="new")),
        ).order_by(*self.SHIFT_ORDER)


class CallbackQuerySet(TriageQuerySet):
    def asked_again(self, phone, since):
        """The request this number already made since then and that still waits for its first
        call: a second one (Back, then Send again) adds nothing to it."""
        return (
            self.open()
            .filter(phone=phone, status=CallbackRequest.Status.NEW, created_at__gte=since)
            .order_by("created_at")
            .first()
        )


class ComplaintQuerySet(TriageQuerySet):
    def names_protected(self):
        """Complaints with a name the public must not read (the queryset form of
        Complaint.name_withheld, plus every complaint reported for someone else, whose
        reporter is never named)."""
        return self.filter(
            Q(anonymous=True) | Q(consent_withdrawn_at__isnull=False) | Q(for_someone_else=True)
        )

    def with_unread_replies(self):
        return self.filter(messages__sender="reporter", messages__read_at__isnull=True).distinct()

    def waiting_for_reporter(self):
        """Open, and the last word in the conversation is staff's: the desk waits for an
        answer (the inbox has a timer of its own in the reporter's hands)."""
        last_sender = (
            CaseMessage.objects.filter(complaint=models.OuterRef("pk"))
            .order_by("-created_at", "-pk")
            .values("sender")[:1]
        )
        return (
            self.open()
            .annotate(last_sender=models.Subquery(last_sender))
            .filter(last_sender="staff")
        )


class TriageItem(models.Model):
    """What a callback request and a complaint share: who handles it, its times, and the
    rules for moving its status (each subclass has its own Status, TRANSITIONS and FINISHED,
    the statuses whose personal data the retention job erases after the period)."""

    TRANSITIONS: dict = {}
    FINISHED: frozenset = frozenset()

    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assignee"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    escalated_at = models.DateTimeField(_("escalated at"), null=True, blank=True, editable=False)
    # When the current state must have been acted on (hotline.services.triage.due_at): set by the
    # one service that changes the status, empty for states with no timer.
    due_at = models.DateTimeField(_("act by"), null=True, blank=True, editable=False, db_index=True)
    closed_at = models.DateTimeField(
        _("finished at"),
        null=True,
        blank=True,
        editable=False,
        help_text=_(
            "Set when the item is finished (a callback request closed, a complaint closed or "
            "not taken up) and cleared if it is taken up again. The retention period of its "
            "personal data counts from here."
        ),
    )
    erased_at = models.DateTimeField(
        _("personal data erased at"), null=True, blank=True, editable=False
    )
    created_at = models.DateTimeField(_("received"), default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = TriageQuerySet.as_manager()

    class Meta:
        abstract = True
        ordering = ["-created_at"]

    def can_move_to(self, status: str) -> bool:
        if self.erased_at is not None:
            return False  # nothing is left to work on
        return status in self.TRANSITIONS.get(self.status, set())

    @property
    def overdue(self) -> bool:
        return (
            self.due_at is not None
            and self.due_at < timezone.now()
            and self.status not in self.FINISHED
            and self.erased_at is None
        )


class CallbackRequest(TriageItem):
    """A visitor asks the hotline to call them back."""

    class Topic(models.TextChoices):
        JOURNALISTS_RIGHTS = "journalists_rights", _("Journalists' rights")
        ACCESS_TO_INFORMATION = (
            "access_to_information",
            _("Access to information and accreditation"),
        )
        PRE_PUBLICATION = "pre_publication", _("Legal review before publication")
        COMPLAINT_AGAINST_JOURNALIST = (
            "complaint_against_journalist",
            _("Complaints against journalists"),
        )
        ADVERTISING_LABELLING = "advertising_labelling", _("Labelling of advertising")
        OTHER = "other", _("Other")

    class PreferredTime(models.TextChoices):
        ANY = "any", _("Any time")
        MORNING = "morning", _("Morning (9:00–12:00)")
        AFTERNOON = "afternoon", _("Afternoon (12:00–18:00)")
        EVENING = "evening", _("Evening (18:00–22:00)")

    class Status(models.TextChoices):
        NEW = "new", _("New")
        IN_PROGRESS = "in_progress", _("In progress")
        CALLED_BACK = "called_back", _("Called back")
        NO_ANSWER = "no_answer", _("No answer")
        UNREACHABLE = "unreachable", _("Unreachable")
        CLOSED = "closed", _("Closed")

    TRANSITIONS = {
        Status.NEW: {
            Status.IN_PROGRESS,
            Status.CALLED_BACK,
            Status.NO_ANSWER,
            Status.UNREACHABLE,
            Status.CLOSED,
        },
        Status.IN_PROGRESS: {
            Status.CALLED_BACK,
            Status.NO_ANSWER,
            Status.UNREACHABLE,
            Status.CLOSED,
        },
        Status.NO_ANSWER: {
            Status.IN_PROGRESS,
            Status.CALLED_BACK,
            Status.NO_ANSWER,
            Status.UNREACHABLE,
            Status.CLOSED,
        },
        # A supervisor decides: try again, or close.
        Status.UNREACHABLE: {Status.IN_PROGRESS, Status.CALLED_BACK, Status.CLOSED},
        Status.CALLED_BACK: {Status.CLOSED},
        Status.CLOSED: set(),
    }
    # Unanswered attempts after which the request is unreachable and goes to the supervisor.
    MAX_UNANSWERED = 3
    # Work on it is over: the retention period of its personal data starts.
    FINISHED = frozenset({Status.CLOSED})

    name = models.CharField(_("name"), max_length=120, blank=True)
    phone = PhoneNumberField(
        _("phone number"),
        help_text=_(
            "A Ukrainian number like (050) 123-45-67, or any number with its country code."
        ),
    )
    preferred_time = models.CharField(
        _("when to call"), max_length=12, choices=PreferredTime.choices, default=PreferredTime.ANY
    )
    topic = models.CharField(_("topic"), max_length=32, choices=Topic.choices)
    message = models.TextField(_("short message"), max_length=1000, blank=True)
    language = models.CharField(_("language"), max_length=2, choices=Language.choices)
    consent = models.BooleanField(_("consent to processing"), default=False)
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.NEW, db_index=True
    )
    handled_at = models.DateTimeField(_("handled at"), null=True, blank=True)
    call_again_at = models.DateTimeField(
        _("call again at"),
        null=True,
        blank=True,
        editable=False,
        help_text=_("Set when a call attempt ends with “asked to call later” or no answer."),
    )
    attempts = models.PositiveSmallIntegerField(_("call attempts"), default=0, editable=False)
    last_outcome = models.CharField(_("last attempt"), max_length=16, blank=True, editable=False)
    submission_key = models.UUIDField(editable=False, unique=True, default=uuid.uuid4)
    # Staff set it when they know it (the form does not ask): it puts the request on the
    # regional desk; empty, every desk sees it.
    region = models.ForeignKey(
        Region,
        verbose_name=_("region"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        help_text=_(
            "The region's representative sees the request; with no region, every desk does."
        ),
    )

    history = HistoricalRecords(excluded_fields=["submission_key"])
    objects = CallbackQuerySet.as_manager()

    class Meta:
        verbose_name = _("callback request")
        verbose_name_plural = _("callback requests")
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["status", "created_at"], name="callback_status_created_idx"),
            # What the daily erasure looks for: finished, not yet erased.
            models.Index(
                fields=["closed_at"],
                name="callback_retention_due_idx",
                condition=Q(erased_at__isnull=True),
            ),
        ]
        permissions = [("export_callbackrequest", _("Can export callback requests as CSV"))]
        constraints = [
            models.CheckConstraint(condition=Q(consent=True), name="callback_has_consent"),
        ]

    def __str__(self) -> str:
        return _("Callback request #%(id)s") % {"id": self.pk}

    def get_absolute_url(self) -> str:
        return reverse("admin:hotline_callbackrequest_change", args=[self.pk])


class CallAttempt(models.Model):
    """One call an operator made to return a callback request, and how it ended."""

    class Outcome(models.TextChoices):
        REACHED = "reached", _("Reached")
        NO_ANSWER = "no_answer", _("No answer")
        BUSY = "busy", _("Busy")
        WRONG_NUMBER = "wrong_number", _("Wrong number")
        CALL_LATER = "call_later", _("Asked to call later")

    # Outcomes that count toward CallbackRequest.MAX_UNANSWERED.
    UNANSWERED = frozenset({Outcome.NO_ANSWER, Outcome.BUSY})

    callback = models.ForeignKey(
        "CallbackRequest", on_delete=models.CASCADE, related_name="call_attempts"
    )
    outcome = models.CharField(_("outcome"), max_length=16, choices=Outcome.choices)
    call_again_at = models.DateTimeField(_("call again at"), null=True, blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("operator"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("when"), default=timezone.now)

    class Meta:
        verbose_name = _("call attempt")
        verbose_name_plural = _("call attempts")
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return self.get_outcome_display()


class Complaint(TriageItem):
    """A journalist reports a violation of their rights."""

    class Role(models.TextChoices):
        JOURNALIST = "journalist", _("Journalist")
        EDITOR = "editor", _("Editor")
        CAMERA = "camera", _("Camera operator or photographer")
        BLOGGER = "blogger", _("Blogger")
        MEDIA_MANAGER = "media_manager", _("Media manager or owner")
        OTHER = "other", _("Other")

    class Channel(models.TextChoices):
        PHONE = "phone", _("Phone call")
        EMAIL = "email", _("E-mail")
        MESSENGER = "messenger", _("Signal or another messenger on that number")

    class Status(models.TextChoices):
        NEW = "new", _("Received")
        TRIAGE = "triage", _("Being reviewed")
        VERIFYING = "verifying", _("Being verified")
        VERIFIED = "verified", _("Verified")
        REJECTED = "rejected", _("Not taken up")
        PUBLISHED = "published", _("Published")
        CLOSED = "closed", _("Closed")

    class Priority(models.IntegerChoices):
        LOW = 1, _("Low")
        NORMAL = 2, _("Normal")
        HIGH = 3, _("High")
        URGENT = 4, _("Urgent")

    TRANSITIONS = {
        Status.NEW: {Status.TRIAGE, Status.REJECTED},
        Status.TRIAGE: {Status.VERIFYING, Status.REJECTED},
        Status.VERIFYING: {Status.VERIFIED, Status.REJECTED},
        Status.VERIFIED: {Status.PUBLISHED, Status.CLOSED},
        Status.REJECTED: {Status.CLOSED, Status.TRIAGE},
        # Back to verified when its incident stops being public (unpublished, archived).
        Status.PUBLISHED: {Status.CLOSED, Status.VERIFIED},
        Status.CLOSED: set(),
    }
    # What the reporter is told of, once each: every other step is internal and silent.
    # (Receipt is confirmed when the complaint is sent.)
    REPORTER_STAGES = frozenset({Status.VERIFYING, Status.PUBLISHED, Status.REJECTED})
    # Work on it is over: the retention period of its personal data starts. A rejected
    # complaint may still be taken up again (back to triage), and then it is not finished.
    FINISHED = frozenset({Status.CLOSED, Status.REJECTED})

    class Safety(models.TextChoices):
        SAFE = "safe", _("Safe now")
        NOT_SAFE = "not_safe", _("Not safe now")

    class Help(models.TextChoices):
        LEGAL = "legal", _("A lawyer or legal advice")
        MEDICAL = "medical", _("Medical help")
        DIGITAL = "digital", _("Digital security (a hacked account or phone, surveillance)")
        RELOCATION = "relocation", _("Relocation to a safer place")
        PUBLICITY = "publicity", _("Publicity: telling the public about it")
        NOTHING = "nothing", _("No help: I only want it on the record")

    tracking_code_hash = models.CharField(max_length=64, unique=True, editable=False)
    submission_key = models.UUIDField(editable=False, unique=True, default=uuid.uuid4)
    language = models.CharField(_("language"), max_length=2, choices=Language.choices)
    # Who reports. Reporting for someone else (a detained or injured colleague), their own
    # name is optional: a pseudonym or nothing (the tracking code is their way back).
    reporter_name = models.CharField(_("name"), max_length=120, blank=True)
    for_someone_else = models.BooleanField(
        _("reports for another person"),
        default=False,
        help_text=_("The reporter is not the person this happened to."),
    )
    # The person it happened to, when that is someone else (never published unless they
    # agreed: see `name_withheld`).
    victim_name = models.CharField(
        _("name of the person it happened to"), max_length=120, blank=True
    )
    victim_outlet = models.CharField(_("their media outlet"), max_length=200, blank=True)
    victim_relation = models.CharField(
        _("how the reporter knows them"),
        max_length=200,
        blank=True,
        help_text=_("For example: a colleague, their editor, family, their lawyer."),
    )
    victim_agreed_to_be_named = models.BooleanField(
        _("they agreed to be named"),
        default=False,
        help_text=_("Unless they agreed themselves, their name is never published."),
    )
    # Danger and help: "not safe now" puts the complaint first (hotline.services.triage).
    safety = models.CharField(_("safe now?"), max_length=10, choices=Safety.choices, blank=True)
    help_needed = models.JSONField(_("help needed"), default=list, blank=True)
    outlet = models.CharField(_("media outlet"), max_length=200, blank=True)
    role = models.CharField(_("role"), max_length=16, choices=Role.choices, default=Role.JOURNALIST)
    anonymous = models.BooleanField(
        _("don't publish my name"),
        default=False,
        help_text=_(
            "IMI will describe you without your name and your outlet, for example "
            "“a journalist from Kharkiv”."
        ),
    )
    aliases = models.TextField(
        _("also known as"),
        blank=True,
        max_length=2000,
        help_text=_(
            "Other spellings of the reporter's name, one a line: in the other alphabet, a "
            "married or former name, a nickname. When they asked not to be named, no "
            "incident may show these either."
        ),
    )
    # How to reach them
    email = models.EmailField(_("e-mail"), blank=True)
    phone = PhoneNumberField(_("phone number"), blank=True)
    preferred_channel = models.CharField(
        _("preferred way to reach you"),
        max_length=12,
        choices=Channel.choices,
        default=Channel.PHONE,
    )
    safe_times = models.CharField(
        _("when it is safe to contact you"),
        max_length=200,
        blank=True,
        help_text=_("For example: weekdays after 18:00; never call, write only."),
    )
    # What happened
    # Null: the reporter answered "I don't know" (to the date, region or category).
    occurred_on = models.DateField(
        _("date of the incident"),
        null=True,
        blank=True,
        help_text=_("The day, or the first day of the month or year when only that is known."),
    )
    occurred_precision = models.CharField(
        _("the date is known to"),
        max_length=6,
        choices=DatePrecision.choices,
        default=DatePrecision.DAY,
        help_text=_("“I don't know the exact day”: the reporter gave a month and year, or a year."),
    )
    region = models.ForeignKey(
        Region,
        verbose_name=_("region"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    place = models.CharField(_("place"), max_length=200, blank=True)
    category = models.ForeignKey(
        Category,
        verbose_name=_("violation"),
        on_delete=models.PROTECT,
        related_name="+",
        limit_choices_to={"parent__isnull": False},
        null=True,
        blank=True,
    )
    perpetrator_type = models.CharField(
        _("who did it"),
        max_length=20,
        choices=PerpetratorType.choices,
        default=PerpetratorType.UNKNOWN,
    )
    description = models.TextField(
        _("what happened"),
        max_length=DESCRIPTION_MAX_LENGTH,
        validators=[MinLengthValidator(DESCRIPTION_MIN_LENGTH)],
    )
    links = models.TextField(
        _("links"), blank=True, max_length=2000, help_text=_("One address per line.")
    )
    consent_processing = models.BooleanField(_("consent to processing"), default=False)
    consent_publish = models.BooleanField(
        _("the story may be published"),
        default=False,
        help_text=_("IMI may publish an incident about it (without your name if you asked)."),
    )
    consent_withdrawn_at = models.DateTimeField(
        _("consent to publication withdrawn at"),
        null=True,
        blank=True,
        editable=False,
        help_text=_("Set when the reporter withdraws their consent on the tracking page."),
    )
    erasure_requested_at = models.DateTimeField(
        _("erasure of personal data requested at"),
        null=True,
        blank=True,
        editable=False,
        help_text=_("Set when the reporter asks, in their case inbox, to erase their data."),
    )
    # Staff
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.NEW, db_index=True
    )
    reason_for_reporter = models.TextField(
        _("reason given to the reporter"),
        max_length=1000,
        blank=True,
        help_text=_(
            "If the complaint is not taken up: the reason the reporter reads in their case "
            "inbox, if you choose to give one. No names of other people."
        ),
    )
    priority = models.PositiveSmallIntegerField(
        _("priority"), choices=Priority.choices, default=Priority.NORMAL
    )
    incident = models.OneToOneField(
        Incident,
        verbose_name=_("incident"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="complaint",
    )

    history = HistoricalRecords(excluded_fields=["tracking_code_hash", "submission_key"])

    objects = ComplaintQuerySet.as_manager()

    class Meta:
        verbose_name = _("complaint")
        verbose_name_plural = _("complaints")
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["status", "created_at"], name="complaint_status_created_idx"),
            models.Index(fields=["priority"], name="complaint_priority_idx"),
            # What the daily erasure looks for: finished, not yet erased.
            models.Index(
                fields=["closed_at"],
                name="complaint_retention_due_idx",
                condition=Q(erased_at__isnull=True),
            ),
        ]
        permissions = [
            ("export_complaint", _("Can export complaints as CSV")),
            (
                "publish_naming_protected",
                _(
                    "Can publish an incident that names someone protected, confirming with a"
                    " reason that it is someone else"
                ),
            ),
        ]
        constraints = [
            # Once its personal data is erased, a complaint has no contact left.
            models.CheckConstraint(
                condition=~Q(email="") | ~Q(phone="") | Q(erased_at__isnull=False),
                name="complaint_has_contact",
                violation_error_code="no_contact",
                violation_error_message=_(
                    "Give us an e-mail or a phone number, so that we can reach you."
                ),
            ),
            models.CheckConstraint(
                condition=Q(consent_processing=True), name="complaint_has_consent"
            ),
        ]

    def __str__(self) -> str:
        return _("Complaint #%(id)s") % {"id": self.pk}

    def get_absolute_url(self) -> str:
        return reverse("admin:hotline_complaint_change", args=[self.pk])

    @property
    def consent_withdrawn(self) -> bool:
        return self.consent_withdrawn_at is not None

    @property
    def in_danger(self) -> bool:
        """The reporter said they (or the person they report for) are not safe now."""
        return self.safety == self.Safety.NOT_SAFE

    @property
    def name_withheld(self) -> bool:
        """Whether the name of the person this happened to may not be published: they asked
        not to be named, withdrew their consent, or someone else reported it for them and
        they did not agree to be named themselves."""
        if self.consent_withdrawn_at is not None:
            return True
        if self.for_someone_else:
            return not self.victim_agreed_to_be_named
        return self.anonymous

    @property
    def subject_name(self) -> str:
        """The name of the person this happened to (the reporter's own, or the one they
        report for)."""
        return self.victim_name if self.for_someone_else else self.reporter_name

    @property
    def subject_outlet(self) -> str:
        return self.victim_outlet if self.for_someone_else else self.outlet

    def get_help_needed_display(self) -> list[str]:
        labels = dict(self.Help.choices)
        return [str(labels[value]) for value in self.help_needed if value in labels]

    def clean(self):
        super().clean()
        errors = {}
        if self.for_someone_else:
            if not self.victim_name.strip():
                errors["victim_name"] = ValidationError(
                    _("Give the name of the person it happened to."), code="no_name"
                )
        elif not self.reporter_name.strip():
            errors["reporter_name"] = ValidationError(
                _("Give your name, or tick “I am reporting for another person”."),
                code="no_name",
            )
        unknown = set(self.help_needed or []) - set(self.Help.values)
        if not isinstance(self.help_needed, list) or unknown:
            errors["help_needed"] = ValidationError(_("Choose the help from the list."))
        if errors:
            raise ValidationError(errors)

    def validate_constraints(self, exclude=None):
        # erased_at is on no form, so a form excludes it, and Django would then skip the
        # contact rule that mentions it. Its value comes from the instance, not from the
        # user: the rule is still checked, and the form shows its message.
        if exclude:
            exclude = set(exclude) - {"erased_at"}
        super().validate_constraints(exclude=exclude)


class SealedFile(models.Model):
    """A stored file encrypted by the evidence vault (see hotline.vault): the row keeps the
    file's own key, wrapped by EVIDENCE_KEY, and the SHA-256 of the plaintext."""

    key_id = models.CharField(_("key"), max_length=16, blank=True, editable=False)
    wrapped_key = models.CharField(max_length=120, blank=True, editable=False)

    class Meta:
        abstract = True

    @property
    def lock(self) -> Lock:
        return Lock(self.key_id, self.wrapped_key)

    @property
    def encrypted(self) -> bool:
        return bool(self.key_id)


def attachment_path(instance, filename):
    # The stored name says nothing about the file or its owner.
    return f"evidence/{timezone.now():%Y/%m}/{uuid.uuid4().hex}"


class Attachment(SealedFile):
    complaint = models.ForeignKey(Complaint, on_delete=models.CASCADE, related_name="attachments")
    # Sent with a reply in the case inbox (empty: sent with the complaint).
    message = models.ForeignKey(
        "CaseMessage",
        verbose_name=_("message"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="attachments",
    )
    file = models.FileField(_("file"), storage=private_storage, upload_to=attachment_path)
    original_name = models.CharField(_("file name"), max_length=255)
    content_type = models.CharField(_("type"), max_length=100)
    size = models.PositiveBigIntegerField(_("size"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    created_at = models.DateTimeField(_("received"), default=timezone.now)

    class Meta:
        verbose_name = _("evidence file")
        verbose_name_plural = _("evidence files")
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.original_name

    def get_absolute_url(self) -> str:
        return reverse("hotline:attachment-download", args=[self.pk])


def held_file_path(instance, filename):
    return f"held/{uuid.uuid4().hex}"


class HeldFileQuerySet(models.QuerySet):
    def current(self):
        """Held less than HELD_FILE_MAX_AGE ago: older ones are no longer offered."""
        return self.filter(created_at__gte=timezone.now() - HELD_FILE_MAX_AGE)

    def expired(self):
        return self.filter(created_at__lt=timezone.now() - HELD_FILE_MAX_AGE)


HELD_FILE_MAX_AGE = datetime.timedelta(hours=1)


class HeldFile(SealedFile):
    """An evidence file that passed the checks on a complaint form that was not sent yet
    (a field was wrong, or the visitor is still writing): kept in private storage for at
    most an hour, for the one browser session that attached it, so nobody has to attach
    it again. Sent with the complaint, removed by the visitor, or deleted by a job."""

    # Hash of a random token kept in the visitor's session: the session alone finds it.
    holder = models.CharField(max_length=64, db_index=True, editable=False)
    # What the form's "remove" button names: random, never a row id.
    token = models.CharField(max_length=32, unique=True, editable=False)
    file = models.FileField(storage=private_storage, upload_to=held_file_path)
    original_name = models.CharField(_("file name"), max_length=255)
    content_type = models.CharField(_("type"), max_length=100)
    size = models.PositiveBigIntegerField(_("size"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    objects = HeldFileQuerySet.as_manager()

    class Meta:
        verbose_name = _("held evidence file")
        verbose_name_plural = _("held evidence files")
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return self.original_name


def upload_segment_dir(upload_id) -> str:
    return f"uploads/{uuid.UUID(str(upload_id)).hex}"


class UploadQuerySet(models.QuerySet):
    def of(self, holder: str | None):
        """The uploads of one browser session (none without a session)."""
        return self.filter(holder=holder) if holder else self.none()

    def receiving(self):
        return self.filter(state=Upload.State.RECEIVING)

    def abandoned(self):
        """Not touched for EVIDENCE_UPLOAD_EXPIRE_HOURS: the periodic job deletes them."""
        since = timezone.now() - datetime.timedelta(hours=settings.EVIDENCE_UPLOAD_EXPIRE_HOURS)
        return self.filter(updated_at__lt=since)

    def pending_bytes(self) -> int:
        """What these uploads will add once finished (received so far or not)."""
        return self.receiving().aggregate(total=models.Sum("length"))["total"] or 0


class Upload(SealedFile):
    """A large evidence file arriving in pieces (the tus protocol, hotline.uploads): each
    piece is encrypted with this upload's own key as it arrives and kept as a segment under
    uploads/<id>/ in private storage. When the last piece arrives the segments become one
    HeldFile of the same session, and this row says "done" (so a client that missed the
    answer learns so on asking again) until the periodic job deletes it."""

    class State(models.TextChoices):
        RECEIVING = "receiving", _("receiving")
        DONE = "done", _("done")

    # The address in the protocol's URLs: random, so it says nothing about other uploads.
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    # As HeldFile.holder: the session that started it is the only one that finds it.
    holder = models.CharField(max_length=64, db_index=True, editable=False)
    name = models.CharField(_("file name"), max_length=255)
    # Decided from the first piece (hotline.vault.evidence.content_type_of).
    content_type = models.CharField(_("type"), max_length=100, blank=True)
    length = models.PositiveBigIntegerField(_("size"))
    offset = models.PositiveBigIntegerField(_("received"), default=0)
    state = models.CharField(max_length=10, choices=State.choices, default=State.RECEIVING)
    # The held file it became (state "done").
    held_token = models.CharField(max_length=32, blank=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now, db_index=True)

    objects = UploadQuerySet.as_manager()

    class Meta:
        verbose_name = _("large file being received")
        verbose_name_plural = _("large files being received")
        ordering = ["created_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(offset__lte=models.F("length")), name="upload_offset_within_length"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def segment_dir(self) -> str:
        return upload_segment_dir(self.pk)


class CaseMessage(models.Model):
    """The conversation with the reporter in their case inbox (behind the tracking code):
    messages from staff and the reporter's replies. Internal notes are another model (Note)
    and never reach the reporter."""

    class Sender(models.TextChoices):
        STAFF = "staff", _("IMI")
        REPORTER = "reporter", _("Reporter")

    complaint = models.ForeignKey(Complaint, on_delete=models.CASCADE, related_name="messages")
    sender = models.CharField(_("from"), max_length=10, choices=Sender.choices)
    text = models.TextField(_("message"), max_length=5000, blank=True)
    # The staff member who wrote it (a staff message).
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("written by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("sent"), default=timezone.now, db_index=True)
    # A reply: when staff first read it, and who. A staff message: when the reporter first
    # opened the inbox after it was sent (read_by stays empty).
    read_at = models.DateTimeField(_("read at"), null=True, blank=True, editable=False)
    read_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("read by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )
    # A reply posted twice (two tabs, a double click) is saved once.
    submission_key = models.UUIDField(null=True, blank=True, unique=True, editable=False)

    class Meta:
        verbose_name = _("message")
        verbose_name_plural = _("conversation with the reporter")
        ordering = ["created_at", "pk"]
        indexes = [
            # The unread counts on the complaint list and the admin index.
            models.Index(
                fields=["complaint"],
                name="casemessage_unread_idx",
                condition=Q(sender="reporter", read_at__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return self.text[:60] or "…"

    @property
    def from_reporter(self) -> bool:
        return self.sender == self.Sender.REPORTER


class Note(models.Model):
    """A staff-only note on a complaint or a callback request."""

    complaint = models.ForeignKey(
        Complaint, null=True, blank=True, on_delete=models.CASCADE, related_name="notes"
    )
    callback = models.ForeignKey(
        CallbackRequest, null=True, blank=True, on_delete=models.CASCADE, related_name="notes"
    )
    text = models.TextField(_("note"), max_length=5000)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("staff note")
        verbose_name_plural = _("staff notes")
        ordering = ["created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(complaint__isnull=True, callback__isnull=False)
                | Q(complaint__isnull=False, callback__isnull=True),
                name="note_on_exactly_one_item",
            )
        ]

    def __str__(self) -> str:
        return self.text[:60]


def new_message_token() -> str:
    return uuid.uuid4().hex


class NotificationQuerySet(models.QuerySet):
    def pending(self):
        return self.filter(status="pending")

    def failed(self):
        return self.filter(status="failed")

    def visible_to(self, user):
        """The rows about items this staff member sees (TriageQuerySet.visible_to)."""
        if desk_regions(user) is None:
            return self
        return self.filter(
            Q(complaint__isnull=True, callback__isnull=True)
            | Q(complaint__in=Complaint.objects.visible_to(user))
            | Q(callback__in=CallbackRequest.objects.visible_to(user))
        )

    def counts(self) -> dict[str, int]:
        """Pending and failed rows, in one query (the admin index and monitoring)."""
        return self.aggregate(
            pending=models.Count("pk", filter=Q(status="pending")),
            failed=models.Count("pk", filter=Q(status="failed")),
        )


class Notification(models.Model):
    """The outbox: written with the submission, delivered by Celery, the row is the truth."""

    class Kind(models.TextChoices):
        NEW_COMPLAINT = "new_complaint", _("New complaint")
        NEW_CALLBACK = "new_callback", _("New callback request")
        COMPLAINT_RECEIVED = "complaint_received", _("Confirmation to the complainant")
        STATUS_CHANGED = "status_changed", _("Status change, to the complainant")
        # Before the case inbox: a text e-mailed with the message. Old rows only.
        PUBLIC_UPDATE = "public_update", _("Public update, to the complainant")
        CASE_MESSAGE = "case_message", _("New message in the case inbox, to the complainant")
        REPORTER_REPLY = "reporter_reply", _("Reply from the reporter")
        CONSENT_WITHDRAWN = "consent_withdrawn", _("Consent to publication withdrawn")
        ERASURE_REQUESTED = "erasure_requested", _("Erasure of personal data requested")
        ESCALATION = "escalation", _("Escalation")
        UNREACHABLE = "unreachable", _("Callback unreachable, to the supervisor")

    class Channel(models.TextChoices):
        EMAIL = "email", _("E-mail")
        WEBHOOK = "webhook", _("Webhook")

    # Mailed to the reporter; every other kind goes to staff.
    COMPLAINANT_KINDS = frozenset(
        {
            Kind.COMPLAINT_RECEIVED,
            Kind.STATUS_CHANGED,
            Kind.PUBLIC_UPDATE,
            Kind.CASE_MESSAGE,
        }
    )

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")

    kind = models.CharField(_("kind"), max_length=24, choices=Kind.choices)
    channel = models.CharField(_("channel"), max_length=12, choices=Channel.choices)
    complaint = models.ForeignKey(
        Complaint, null=True, blank=True, on_delete=models.CASCADE, related_name="notifications"
    )
    callback = models.ForeignKey(
        CallbackRequest,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="notifications",
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    # Only the complainant's confirmation uses it (the tracking code); emptied once sent.
    payload = models.JSONField(default=dict, blank=True, editable=False)
    # Random per row and kept with it: the Message-ID of its mails is the same on every
    # retry, and never the same as another row's, even in another database or a restore.
    message_token = models.CharField(
        max_length=32, default=new_message_token, editable=False, unique=True
    )
    next_attempt_at = models.DateTimeField(_("next attempt"), default=timezone.now)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)

    objects = NotificationQuerySet.as_manager()

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["status", "created_at"], name="notification_status_idx"),
            models.Index(fields=["status", "next_attempt_at"], name="notification_due_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.get_channel_display()}"


class StaffProfile(models.Model):
    """A staff member's notification preferences."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="staff_profile"
    )
    language = models.CharField(
        _("language of the admin and the notifications"),
        max_length=2,
        choices=Language.choices,
        default=Language.UK,
    )
    notify = models.BooleanField(
        _("e-mail me new submissions"),
        default=True,
        help_text=_("For members of the Hotline operators and Triage groups."),
    )

    class Meta:
        verbose_name = _("notification settings")
        verbose_name_plural = _("notification settings")

    def __str__(self) -> str:
        return str(self.user)


COUNTRY_WIDE = "hotline.view_all_regions"


class StaffDesk(models.Model):
    """A regional representative's desk: the regions whose complaints and callback requests
    they see and work on (with those that have no region). The country-wide role is the
    permission COUNTRY_WIDE, not a desk: see desk_regions."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="desk"
    )
    regions = models.ManyToManyField(
        Region,
        verbose_name=_("regions"),
        related_name="+",
        blank=True,
        help_text=_(
            "The member sees the complaints and callback requests of these regions and those"
            " with no region; with none chosen, only those with no region. Members of a group"
            " with the country-wide permission see everything, whatever is chosen here."
        ),
    )

    class Meta:
        verbose_name = _("regional desk")
        verbose_name_plural = _("regional desk")
        permissions = [
            (
                "view_all_regions",
                _("Can see the complaints and callback requests of every region"),
            )
        ]

    def __str__(self) -> str:
        return str(self.user)

    @staticmethod
    def covering(users, region_id: int | None):
        """Of these users, those who see an item of this region (the inverse of
        desk_filter): everyone for an item with no region; else superusers, the
        country-wide role and the desks of that region."""
        if region_id is None:
            return users
        from django.contrib.auth import get_user_model

        country_wide = get_user_model().objects.with_perm(
            COUNTRY_WIDE,
            include_superusers=True,
            backend="django.contrib.auth.backends.ModelBackend",
        )
        return users.filter(Q(pk__in=country_wide.values("pk")) | Q(desk__regions=region_id))


class AccessEvent(models.Model):
    """Who looked at whose personal data, and when: the access audit.

    Written by the admin (opening a complaint or callback request, its history), the evidence
    download and the CSV exports; shown to superusers only, and no one may change or delete a
    row through the site. It holds ids, never the personal data itself.
    """

    class Action(models.TextChoices):
        VIEW = "view", _("Opened")
        HISTORY = "history", _("Opened the history")
        DOWNLOAD = "download", _("Downloaded evidence")
        REFUSED = "refused", _("Evidence download refused (integrity check failed)")
        EXPORT = "export", _("Exported")
        MESSAGE = "message", _("Wrote to the reporter")
        READ = "read", _("Read the reporter's replies")
        CONFIRMED_NAMING = "confirmed", _("Confirmed publishing a name held as protected")
        SOURCE_COPY = "copy", _("Opened an archived copy of a source")
        OUTSIDE_DESK = "outside", _("Refused: not on their regional desk")

    class Target(models.TextChoices):
        COMPLAINT = "complaint", _("Complaint")
        CALLBACK = "callback", _("Callback request")
        INCIDENT = "incident", _("Incident")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("staff member"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # Kept when the account is deleted, so the record still says who it was.
    username = models.CharField(_("user name"), max_length=150)
    action = models.CharField(_("action"), max_length=10, choices=Action.choices)
    target = models.CharField(_("kind"), max_length=10, choices=Target.choices)
    target_id = models.PositiveBigIntegerField(_("item"), null=True, blank=True, db_index=True)
    attachment_id = models.PositiveBigIntegerField(_("evidence file"), null=True, blank=True)
    # For exports: the ids of the items that left the system. For messages: the message ids.
    item_ids = models.JSONField(_("items"), default=list, blank=True)
    # For a confirmation: why the editor published (the incident's id is in item_ids).
    reason = models.TextField(_("reason"), blank=True)
    created_at = models.DateTimeField(_("when"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("access record")
        verbose_name_plural = _("access audit")
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["target", "target_id"], name="accessevent_target_idx"),
            models.Index(fields=["user", "created_at"], name="accessevent_user_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.username} · {self.get_action_display()} · {self.get_target_display()}"


# --- The source archive: copies of the web pages incidents cite (issue 31) --------------


class SourceArchive(models.Model):
    """Whether IMI holds a copy of one cited source, and when it is fetched next.

    One row per source with an address, written only by hotline.services.sources. The
    copies themselves are SourceCopy rows (one per version), kept apart from this state: a
    version is evidence and never changes, this row changes on every try. `next_try_at` is
    the one "due" rule: now for a new source, later after a failure (doubling), a month on
    after a copy (the re-check); empty when nothing more will be tried (refused, failed).
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting to be copied")
        ARCHIVED = "archived", _("Copy held")
        RETRYING = "retrying", _("Failed, will try again")
        FAILED = "failed", _("Failed, gave up")
        REFUSED = "refused", _("Refused: not an address we fetch")

    class Failure(models.TextChoices):
        SCHEME = "scheme", _("Not an http or https address")
        BAD_URL = "bad_url", _("Not a valid address")
        BLOCKED = "blocked", _("A private or local address")
        DNS = "dns", _("The name does not resolve")
        CONNECT = "connect", _("The connection was refused")
        TIMEOUT = "timeout", _("Timed out")
        TLS = "tls", _("The secure connection failed")
        GONE = "gone", _("The page is gone (404 or 410)")
        HTTP = "http", _("The server answered with an error")
        REDIRECTS = "redirects", _("Too many redirects")
        TOO_LARGE = "too_large", _("Too large")
        PROTOCOL = "protocol", _("Not a valid answer")
        ERROR = "error", _("Could not be stored")

    source = models.OneToOneField(
        SourceLink, verbose_name=_("source"), on_delete=models.CASCADE, related_name="archive"
    )
    url = models.CharField(
        _("address"),
        max_length=500,
        help_text=_("The address this state is for: a source given another one starts over."),
    )
    status = models.CharField(
        _("state"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("failed tries in a row"), default=0)
    next_try_at = models.DateTimeField(_("next try"), null=True, blank=True)
    tried_at = models.DateTimeField(_("last tried"), null=True, blank=True)
    checked_at = models.DateTimeField(
        _("last checked"),
        null=True,
        blank=True,
        help_text=_("The last fetch that succeeded: a copy made, or the same content again."),
    )
    failure = models.CharField(
        _("last failure"), max_length=10, choices=Failure.choices, blank=True
    )
    error = models.CharField(_("last error"), max_length=500, blank=True)
    link_dead_since = models.DateTimeField(
        _("link dead since"),
        null=True,
        blank=True,
        help_text=_(
            "A copy is held but the page has gone (404, 410) or its name no longer resolves. "
            "The source still counts for the verification level: the copy is the evidence."
        ),
    )

    class Meta:
        verbose_name = _("source archive")
        verbose_name_plural = _("source archives")
        ordering = ["pk"]
        indexes = [models.Index(fields=["next_try_at"], name="sourcearchive_due_idx")]

    def __str__(self) -> str:
        return self.url


def source_copy_path(instance, filename):
    # The stored name says nothing about the page.
    return f"sources/{timezone.now():%Y/%m}/{uuid.uuid4().hex}"


class SourceCopy(SealedFile):
    """One version of a cited page as IMI fetched it: the body, encrypted in the vault,
    with its SHA-256, and its text when it is HTML. A later fetch with other content is a
    new version; the same content only moves `checked_at`."""

    archive = models.ForeignKey(
        SourceArchive, verbose_name=_("source"), on_delete=models.CASCADE, related_name="copies"
    )
    version = models.PositiveIntegerField(_("version"))
    url = models.CharField(_("address fetched"), max_length=2000, help_text=_("After redirects."))
    fetched_at = models.DateTimeField(_("fetched"))
    checked_at = models.DateTimeField(_("last seen the same"))
    status_code = models.PositiveSmallIntegerField(_("HTTP status"))
    content_type = models.CharField(_("type"), max_length=100, blank=True)
    size = models.PositiveBigIntegerField(_("size"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    file = models.FileField(_("file"), storage=private_storage, upload_to=source_copy_path)
    text = models.TextField(_("text"), blank=True, help_text=_("The page's text, for HTML."))

    class Meta:
        verbose_name = _("archived copy")
        verbose_name_plural = _("archived copies")
        ordering = ["archive", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["archive", "version"], name="sourcecopy_one_number_per_version"
            )
        ]

    def __str__(self) -> str:
        return f"{self.url} · {self.version}"

    def get_absolute_url(self) -> str:
        return reverse("hotline:source-copy", args=[self.pk])
