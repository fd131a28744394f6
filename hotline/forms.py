import datetime
import re
import uuid

from crispy_forms.helper import FormHelper
from crispy_forms.layout import HTML, Div, Fieldset, Layout, Submit
from django import forms
from django.core.exceptions import ValidationError
from django.urls import reverse_lazy
from django.utils import timezone
from django.utils.functional import lazy
from django.utils.html import format_html, strip_tags
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from incidents.dates import DatePrecision
from incidents.filters import MIN_YEAR, month_choices
from incidents.models import Category, Region
from incidents.widgets import DATE_INPUT_FORMATS, PageDateInput

from . import tracking
from .models import DESCRIPTION_MIN_LENGTH, CallbackRequest, Complaint
from .vault import evidence

# C0 and C1 control characters other than tab and newlines: invisible, never meant.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")

# The example a phone field shows, and its error repeats: a made-up number (the example of
# Ukraine's mobile plan), never the hotline's own.
PHONE_EXAMPLE = "(050) 123-45-67"
PHONE_INVALID = _(
    "We cannot call this number. Enter a Ukrainian number like (050) 123-45-67, or any number "
    "with its country code."
)


class ErrorSummaryMixin:
    """A form whose errors are listed at the top of its page, each linked to its field
    (templates/hotline/includes/error_summary.html). The form's own errors are listed there
    only, not again inside the form (templates/bootstrap5/errors.html)."""

    has_error_summary = True
    # The field that an error about the whole form links to.
    non_field_errors_field = None

    def summary_errors(self) -> list[tuple[str, str]]:
        """(id of the field to jump to, message) for every error, in the page's order."""
        anchor = self[self.non_field_errors_field].auto_id if self.non_field_errors_field else ""
        found = [(anchor, str(error)) for error in self.non_field_errors()]
        for field in self:
            anchor = "" if field.is_hidden else field.auto_id
            if anchor and isinstance(field.field.widget, forms.RadioSelect):
                anchor += "_0"  # a group of choices: its first one (the group has no id)
            found += [
                (
                    anchor,
                    f"{strip_tags(str(field.label))}: {error}",
                )
                for error in field.errors
            ]
        return found


class IntakeFormMixin(ErrorSummaryMixin):
    """What both public forms share: a honeypot, a double-submit key, clean text."""

    honeypot_field = "website"

    def add_intake_fields(self):
        # Bots fill every field; people never see this one (hidden by CSS, skipped by tab).
        self.fields[self.honeypot_field] = forms.CharField(
            required=False,
            label=_("Leave this field empty"),
            widget=forms.TextInput(attrs={"autocomplete": "off", "tabindex": "-1"}),
        )
        self.fields["submission_key"] = forms.UUIDField(
            widget=forms.HiddenInput, initial=uuid.uuid4
        )

    @property
    def is_spam(self) -> bool:
        return bool(self.data.get(self.honeypot_field))

    def clean(self):
        cleaned = super().clean()
        for name, value in cleaned.items():
            if isinstance(value, str):
                cleaned[name] = _CONTROL.sub("", value)
        return cleaned


def privacy_link_label():
    return format_html(
        '{} (<a href="{}">{}</a>)',
        _("I agree that IMI processes these details to help me"),
        reverse_lazy("privacy"),
        _("privacy notice"),
    )


class CallbackRequestForm(IntakeFormMixin, forms.ModelForm):
    consent = forms.BooleanField(required=True)

    class Meta:
        model = CallbackRequest
        fields = ["name", "phone", "preferred_time", "topic", "message", "consent"]
        widgets = {
            "message": forms.Textarea(attrs={"rows": 3, "maxlength": 1000}),
            "phone": forms.TextInput(
                attrs={"type": "tel", "autocomplete": "tel", "placeholder": PHONE_EXAMPLE}
            ),
            "name": forms.TextInput(attrs={"autocomplete": "name"}),
        }
        labels = {"name": _("Your name (optional)")}
        error_messages = {"phone": {"invalid": PHONE_INVALID}}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.add_intake_fields()
        self.fields["consent"].label = privacy_link_label()
        self.fields["topic"].choices = [("", "—")] + list(CallbackRequest.Topic.choices)
        self.helper = FormHelper()
        self.helper.attrs = {"novalidate": "", "class": "intake-form"}
        self.helper.layout = Layout(
            "name",
            "phone",
            "preferred_time",
            "topic",
            "message",
            "consent",
            Div(self.honeypot_field, css_class="hp-field", aria_hidden="true"),
            "submission_key",
            Submit("submit", _("Call me back"), css_class="btn-lg w-100"),
        )


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class EvidenceField(forms.FileField):
    """Up to MAX_FILES files, each checked by content (see hotline.vault.evidence)."""

    widget = MultipleFileInput

    def widget_attrs(self, widget):
        """What static/js/forms.js needs to catch a file the form cannot take before it is
        sent (a 60 MB video would travel for minutes, then be refused): the limits, and the
        server's own messages in the page's language."""
        return {
            **super().widget_attrs(widget),
            "data-max-bytes": evidence.MAX_FILE_SIZE,
            "data-max-files": evidence.MAX_FILES,
            "data-too-big": format_lazy(
                "{} {}", evidence.TOO_BIG, _("It is taken off the files to send; the rest stays.")
            ),
            "data-too-many": _("Attach at most %(max)d files (you attached %(count)d)."),
        }

    def clean(self, data, initial=None):
        files = (
            [f for f in (data or []) if f]
            if isinstance(data, list | tuple)
            else ([data] if data else [])
        )
        if len(files) > evidence.MAX_FILES:
            raise ValidationError(
                _("Attach at most %(max)d files (you attached %(count)d)."),
                params={"max": evidence.MAX_FILES, "count": len(files)},
                code="too_many",
            )
        checked, errors = [], []
        for upload in files:
            try:
                checked.append(evidence.check_upload(upload))
            except ValidationError as error:
                errors.append(error)
        # The files that passed, even when another did not: the view keeps them for the
        # visitor (this field is the form's own copy).
        self.passed = checked
        if errors:
            raise ValidationError(errors)
        return checked


class HeldFilesMixin:
    """A form that sends, besides its own files, those this session holds (a refused form's,
    large files finished sending: hotline.HeldFile); at most MAX_FILES in all."""

    held_files: list = []

    def clean_attachments(self):
        files = self.cleaned_data["attachments"]
        total = len(files) + len(self.held_files)
        if total > evidence.MAX_FILES:
            raise ValidationError(
                _("Attach at most %(max)d files (you attached %(count)d)."),
                params={"max": evidence.MAX_FILES, "count": total},
                code="too_many",
            )
        return files


class ComplaintForm(HeldFilesMixin, IntakeFormMixin, forms.ModelForm):
    consent_processing = forms.BooleanField(required=True)
    # Asked first, in plain words: "not safe now" puts the complaint at the top of the desk
    # (hotline.services.triage.start) and the hotline above everything on the thank-you page.
    safety = forms.ChoiceField(
        label=_("Are you safe now?"),
        choices=[
            (Complaint.Safety.SAFE, _("Yes, I am safe now")),
            (Complaint.Safety.NOT_SAFE, _("No, I am in danger now")),
        ],
        widget=forms.RadioSelect(
            attrs={
                # What static/js/forms.js shows instead when the report is for someone else.
                "data-other-label": _("Is the person it happened to safe now?"),
                "data-other-choices": format_lazy(
                    "{}|{}", _("Yes, they are safe now"), _("No, they are in danger now")
                ),
            }
        ),
        error_messages={"required": _("Say whether you are safe now: “no” brings help first.")},
    )
    help_needed = forms.MultipleChoiceField(
        label=_("What help do you need?"),
        choices=Complaint.Help.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Tick all that apply, or none."),
    )
    attachments = EvidenceField(
        label=_("Evidence files"),
        required=False,
        help_text=_("Up to 5 files, 10 MB each: photos, video, audio, PDF or office documents."),
    )
    day_unknown = forms.BooleanField(
        label=_("I don't know the exact day"),
        required=False,
        help_text=_("Then give the month and year, or just the year."),
    )
    occurred_month = forms.TypedChoiceField(
        label=_("Month"),
        required=False,
        choices=lambda: [("", _("I don't know the month")), *month_choices()],
    )
    occurred_year = forms.TypedChoiceField(
        label=_("Year"),
        required=False,
        choices=lambda: [
            ("", "—"),
            *((str(y), str(y)) for y in range(timezone.localdate().year, MIN_YEAR - 1, -1)),
        ],
    )

    class Meta:
        model = Complaint
        fields = [
            "safety",
            "help_needed",
            "for_someone_else",
            "reporter_name",
            "outlet",
            "role",
            "anonymous",
            "victim_name",
            "victim_outlet",
            "victim_relation",
            "victim_agreed_to_be_named",
            "email",
            "phone",
            "preferred_channel",
            "safe_times",
            "occurred_on",
            "region",
            "place",
            "category",
            "perpetrator_type",
            "description",
            "links",
            "consent_processing",
            "consent_publish",
        ]
        widgets = {
            "occurred_on": PageDateInput(),
            "description": forms.Textarea(attrs={"rows": 8}),
            "links": forms.Textarea(attrs={"rows": 2}),
            "phone": forms.TextInput(
                attrs={"type": "tel", "autocomplete": "tel", "placeholder": PHONE_EXAMPLE}
            ),
            "email": forms.EmailInput(attrs={"autocomplete": "email"}),
            "reporter_name": forms.TextInput(attrs={"autocomplete": "name"}),
            "victim_name": forms.TextInput(attrs={"autocomplete": "off"}),
            "victim_outlet": forms.TextInput(attrs={"autocomplete": "off"}),
        }
        labels = {
            "for_someone_else": _("I am reporting for another person"),
            "reporter_name": _("Your name"),
            "victim_name": _("Their name"),
            "victim_outlet": _("Their media outlet"),
            "victim_relation": _("Who they are to you"),
            "victim_agreed_to_be_named": _("They agreed, themselves, that IMI may name them"),
        }
        error_messages = {"phone": {"invalid": PHONE_INVALID}}
        help_texts = {
            # Lazy all the way: formatted in the language of the page that shows it.
            "description": lazy(
                lambda: (
                    _(
                        "Who did what, when and where; what you did; whether you were hurt or "
                        "equipment was damaged. At least %(min)d characters."
                    )
                    % {"min": DESCRIPTION_MIN_LENGTH}
                ),
                str,
            )(),
        }

    non_field_errors_field = "email"  # "give us an e-mail or a phone number"
    # The two phrasings of a question that speaks of the person it happened to: the reporter
    # (the label above) or the person they report for (static/js/forms.js swaps them).
    OTHER_HELP = {
        "consent_publish": _(
            "IMI may publish an incident about it: without their name unless they agreed to be"
            " named, and never with yours."
        ),
    }

    def __init__(self, *args, held_files=(), **kwargs):
        super().__init__(*args, **kwargs)
        # Files this visitor attached on an earlier try, kept for them (hotline.HeldFile).
        self.held_files = list(held_files)
        self.add_intake_fields()
        self.fields["occurred_on"].input_formats = DATE_INPUT_FORMATS
        self.fields["occurred_on"].help_text = _("Leave it empty if you don't know the date.")
        self.fields["region"].queryset = Region.objects.all()
        self.fields["category"].queryset = Category.objects.leaves().select_related("parent")
        self.fields["category"].label_from_instance = lambda c: f"{c.parent.name} — {c.name}"
        # "I don't know" is an answer, and the first choice: nobody is stopped by it.
        for name in ("region", "category"):
            self.fields[name].empty_label = _("I don't know")
        self.fields["consent_processing"].label = privacy_link_label()
        self.fields["attachments"].widget.attrs["accept"] = evidence.ACCEPT_ATTRIBUTE
        self.helper = FormHelper()
        self.helper.attrs = {"novalidate": "", "class": "intake-form"}
        self.fields["reporter_name"].help_text = _(
            "Reporting for someone else? A pseudonym, or leave it empty: your tracking code is"
            " your way back to the case."
        )
        self.fields["for_someone_else"].help_text = _(
            "For example a colleague who is detained, injured or missing. Your own name then"
            " becomes optional and is never published."
        )
        self.fields["victim_agreed_to_be_named"].help_text = _(
            "Tick only if they told you so. If they could not be asked, leave it: their name is"
            " never published."
        )
        for name, text in self.OTHER_HELP.items():
            self.fields[name].widget.attrs["data-other-help"] = text
        self.helper.layout = Layout(
            Fieldset(_("Your safety"), "safety", "help_needed", css_class="safety-first"),
            Fieldset(
                _("Who you are"),
                "for_someone_else",
                "reporter_name",
                "outlet",
                "role",
                Div("anonymous", css_class="for-self-only"),
            ),
            Fieldset(
                _("The person it happened to"),
                HTML(
                    '<p class="form-text for-someone-else-hint">{% load i18n %}{% translate'
                    ' "Only if you report for another person." %}</p>'
                ),
                "victim_name",
                "victim_outlet",
                "victim_relation",
                "victim_agreed_to_be_named",
                css_class="for-someone-else",
            ),
            Fieldset(
                _("How to reach you"),
                HTML('{% include "hotline/includes/contact_hint.html" %}'),
                "email",
                "phone",
                "preferred_channel",
                "safe_times",
            ),
            Fieldset(
                _("What happened"),
                # One block: the legend's next sibling never hides (Bootstrap clears the
                # legend's float on it), whichever of the day or the month is shown.
                Div(
                    Div("occurred_on", css_class="day-known"),
                    "day_unknown",
                    Div(
                        Div("occurred_month", css_class="col-sm-7"),
                        Div("occurred_year", css_class="col-sm-5"),
                        css_class="row day-unknown",
                    ),
                    css_class="occurred",
                ),
                "region",
                "place",
                "category",
                "perpetrator_type",
                "description",
                "links",
            ),
            Fieldset(
                _("Evidence"),
                HTML('{% include "hotline/includes/held_files.html" %}'),
                "attachments",
                HTML("{% load large_uploads %}{% large_upload %}"),
            ),
            Fieldset(_("Consent"), "consent_processing", "consent_publish"),
            Div(self.honeypot_field, css_class="hp-field", aria_hidden="true"),
            "submission_key",
            Submit("submit", _("Send the complaint"), css_class="btn-lg btn-danger w-100"),
        )

    VICTIM_FIELDS = ("victim_name", "victim_outlet", "victim_relation", "victim_agreed_to_be_named")

    def clean(self):
        cleaned = super().clean()
        self._clean_date(cleaned)
        if not cleaned.get("for_someone_else"):
            # Typed, then the box unticked: nothing about another person is kept.
            for name in self.VICTIM_FIELDS:
                if name in cleaned:
                    cleaned[name] = False if name == "victim_agreed_to_be_named" else ""
        return cleaned

    def clean_occurred_on(self):
        value = self.cleaned_data["occurred_on"]
        if value is None:
            return value
        if value > timezone.localdate():
            raise ValidationError(_("The date cannot be in the future."))
        if value < datetime.date(1991, 1, 1):
            raise ValidationError(_("Please check the year."))
        return value

    # Questions whose answers are stored through others (the date and its precision).
    NOT_STORED = ("day_unknown", "occurred_month", "occurred_year")

    def complaint_fields(self) -> dict:
        """The valid form's answers as the complaint's fields (intake.complaint_submit's
        `data`): not the files, the key, the trap for robots, nor the date's helpers."""
        left_out = ("attachments", "submission_key", self.honeypot_field, *self.NOT_STORED)
        return {name: v for name, v in self.cleaned_data.items() if name not in left_out}

    def _clean_date(self, cleaned: dict) -> None:
        """ "I don't know the exact day": the month and year, or the year alone, become the
        date, its precision said (the draft made from the complaint carries it); no year is
        the same answer as an empty date."""
        cleaned["occurred_precision"] = DatePrecision.DAY
        if not cleaned.get("day_unknown"):
            return
        self.errors.pop("occurred_on", None)  # a day typed before the box was ticked
        year, month = cleaned.get("occurred_year"), cleaned.get("occurred_month")
        if not year:
            if month:
                self.add_error("occurred_year", _("Give the year too, or untick the box."))
            cleaned["occurred_on"] = None
            return
        first = datetime.date(int(year), int(month) if month else 1, 1)
        if first > timezone.localdate():
            self.add_error("occurred_month", _("The date cannot be in the future."))
            return
        cleaned["occurred_on"] = first
        cleaned["occurred_precision"] = DatePrecision.MONTH if month else DatePrecision.YEAR


def code_field(label) -> forms.CharField:
    """A box to type a tracking code in: no autocomplete or spell-check, capitals on phones."""
    return forms.CharField(
        label=label,
        max_length=40,
        widget=forms.TextInput(
            attrs={
                "autocomplete": "off",
                "autocapitalize": "characters",
                "spellcheck": "false",
                "placeholder": "XXXX-XXXX-XXXX-XXXX",
            }
        ),
    )


class TrackingForm(ErrorSummaryMixin, forms.Form):
    code = code_field(_("Tracking code"))

    def clean_code(self):
        value = self.cleaned_data["code"]
        if tracking.normalise(value) is None:
            raise ValidationError(
                _(
                    "A tracking code has 16 letters and digits, like K7Q4-9XMD-2RHP-5WNA"
                    " (codes given out before December 2026 have 12)."
                ),
                code="shape",
            )
        return value


class PlainTextField(forms.CharField):
    """Text with invisible control characters dropped before it is checked (a NUL pasted
    from somewhere is removed, not a reason to refuse the reply)."""

    def to_python(self, value):
        if isinstance(value, str):
            value = _CONTROL.sub("", value)
        return super().to_python(value)


class CaseReplyForm(HeldFilesMixin, ErrorSummaryMixin, forms.Form):
    """The reporter's reply in their case inbox: words, evidence or both."""

    non_field_errors_field = "text"

    text = PlainTextField(
        label=_("Your reply"),
        max_length=5000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 5, "maxlength": 5000}),
        help_text=_("Only IMI staff read it. At most 5,000 characters."),
    )
    attachments = EvidenceField(
        label=_("Add evidence"),
        required=False,
        help_text=_("Photos, video, audio, PDF or office documents: up to 5 files of 10 MB each."),
    )
    submission_key = forms.UUIDField(widget=forms.HiddenInput, initial=uuid.uuid4)

    def __init__(self, *args, held_files=(), **kwargs):
        super().__init__(*args, **kwargs)
        # Large files this session finished sending (hotline.HeldFile): sent with the reply.
        self.held_files = list(held_files)
        self.fields["attachments"].widget.attrs["accept"] = evidence.ACCEPT_ATTRIBUTE

    def clean(self):
        cleaned = super().clean()
        if (
            not self.errors
            and not cleaned.get("text")
            and not cleaned.get("attachments")
            and not self.held_files
        ):
            raise ValidationError(_("Write a reply or add a file."), code="empty")
        return cleaned


class CodeCheckForm(forms.Form):
    """The reporter types their new code back once, to show they kept it."""

    typed = code_field(_("Type your tracking code here"))
