"""The one filter definition shared by the incident list and, later, statistics and exports."""

import calendar
import copy
import datetime

import django_filters
from django import forms
from django.db.models import Exists, F, OuterRef
from django.http import QueryDict
from django.utils import timezone
from django.utils.dates import MONTHS
from django.utils.translation import gettext_lazy as _

from .models import (
    Category,
    CriminalCase,
    Incident,
    PerpetratorType,
    Region,
    Verification,
    current_language,
)
from .widgets import DATE_INPUT_FORMATS, FastSelect, ListedModelChoiceField, PageDateInput


class EveryLanguageCheckbox(forms.CheckboxInput):
    """ "Also show incidents in other languages": a checkbox whose value in the address is
    languages=all (CheckboxInput alone gives True/False, which no choice matches)."""

    def __init__(self, attrs=None):
        super().__init__(attrs, check_test=lambda value: value == "all")

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        context["widget"]["attrs"]["value"] = "all"
        return context

    def value_from_datadict(self, data, files, name):
        return data.get(name)


class ModelChoiceFilter(django_filters.ModelChoiceFilter):
    """django-filter's, its choices read by one plain query (see widgets.py)."""

    field_class = ListedModelChoiceField


MIN_YEAR = 1991  # Ukraine's independence: nothing in the record is older.


def year_choices():
    this_year = datetime.date.today().year
    return [(str(y), str(y)) for y in range(this_year, MIN_YEAR - 1, -1)]


def month_choices():
    return [(str(number), name) for number, name in MONTHS.items()]


# ?verification=: the lowest level shown (issue 17).
VERIFICATION_AT_LEAST = {
    "sourced": Verification.ONE_SOURCE,
    "confirmed": Verification.CONFIRMED,
    "victim": Verification.VICTIM,
}


def months_ago(today: datetime.date, months: int) -> datetime.date:
    """The same day `months` months earlier (the month's last day if it is shorter)."""
    year, month = divmod(today.year * 12 + today.month - 1 - months, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return datetime.date(year, month + 1, min(today.day, last))


class OwnFieldsForm(forms.Form):
    """The filterset's form. Its class is made for one filterset from fields made for it
    alone (a filter's field is new with each copy of the filter), so Django's deep copy of
    them for the form (a third of building the filterset) is left out."""

    def __init__(self, *args, **kwargs):
        fields = self.base_fields
        self.base_fields = {}  # what Django's __init__ deep-copies: nothing
        super().__init__(*args, **kwargs)
        del self.base_fields  # the class's own again
        self.fields = dict(fields)


def _own_copy(base, parent, model):
    """A filter of `parent`'s own: its arguments copied, its field not made yet, and its
    `method` resolved on `parent` (django-filter's FilterMethod points at its filter)."""
    own = copy.copy(base)
    own.extra = dict(base.extra)
    own.__dict__.pop("_field", None)
    if base.method is not None:
        own.method = base.method  # a FilterMethod of this copy, not of `base`
    own.model, own.parent = model, parent
    return own


class IncidentFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(
        label=_("Search"),
        method="filter_search",
        max_length=200,
        widget=forms.TextInput(attrs={"type": "search", "placeholder": _("Words to find")}),
    )
    group = ModelChoiceFilter(
        label=_("Type of violation"),
        queryset=Category.objects.groups(),
        taxonomy="groups",
        to_field_name="slug",
        method="filter_group",
        empty_label=_("All types"),
        widget=FastSelect,
    )
    category = ModelChoiceFilter(
        label=_("Violation"),
        queryset=Category.objects.leaves().select_related("parent"),
        taxonomy="categories",
        to_field_name="slug",
        method="filter_category",
        empty_label=_("All violations"),
        widget=FastSelect,
    )
    region = ModelChoiceFilter(
        label=_("Region"),
        queryset=Region.objects.all(),
        taxonomy="regions",
        to_field_name="slug",
        empty_label=_("All regions"),
        widget=FastSelect,
    )
    perpetrator = django_filters.ChoiceFilter(
        label=_("Perpetrator"),
        field_name="perpetrator_type",
        choices=PerpetratorType.choices,
        empty_label=_("Anyone"),
        widget=FastSelect,
    )
    year = django_filters.ChoiceFilter(
        label=_("Year"),
        method="filter_year",
        choices=year_choices,
        empty_label=_("Any year"),
        widget=FastSelect,
    )
    month = django_filters.ChoiceFilter(
        label=_("Month"),
        method="filter_month",
        choices=month_choices,
        empty_label=_("Any month"),
        widget=FastSelect,
    )
    # A date filter holds the incidents known to have happened inside it (their whole
    # period: "2022" is in the year 2022, not in its March); counts.py counts the same way.
    date_from = django_filters.DateFilter(
        label=_("From"),
        method="filter_date_from",
        widget=PageDateInput(),
    )
    date_to = django_filters.DateFilter(
        label=_("To"),
        method="filter_date_to",
        widget=PageDateInput(),
    )

    verification = django_filters.ChoiceFilter(
        label=_("Verification"),
        choices=[
            ("sourced", _("At least one source")),
            ("confirmed", _("Confirmed: two independent sources or the victim")),
            ("victim", _("Confirmed by the victim")),
        ],
        method="filter_verification",
        empty_label=_("Every incident recorded"),
        widget=FastSelect,
    )
    updated = django_filters.ChoiceFilter(
        label=_("Updated"),
        choices=[
            ("7", _("in the last 7 days")),
            ("30", _("in the last 30 days")),
            ("90", _("in the last 3 months")),
            ("365", _("in the last year")),
        ],
        method="filter_updated",
        empty_label=_("Any time or never"),
        widget=FastSelect,
    )
    no_verdict = django_filters.ChoiceFilter(
        label=_("No verdict"),
        choices=[
            ("6", _("6 months after the incident")),
            ("12", _("a year after the incident")),
            ("24", _("2 years after the incident")),
            ("60", _("5 years after the incident")),
        ],
        method="filter_no_verdict",
        empty_label=_("Whatever the case's stage"),
        widget=FastSelect,
    )

    languages = django_filters.ChoiceFilter(
        label=_("Also show incidents written in other languages"),
        choices=[("all", _("yes"))],
        method="filter_languages",
        widget=EveryLanguageCheckbox,
    )

    class Meta:
        model = Incident
        fields = []
        form = OwnFieldsForm

    @classmethod
    def public(cls, params, *, every_language=False, **kwargs) -> "IncidentFilter":
        """What the public may see (`Incident.objects.public()`), narrowed by the list page's
        parameters: every public page, count and export of the record starts here, so the
        same URL parameters give the same incidents everywhere."""
        return cls(
            params or None,
            queryset=Incident.objects.public(),
            every_language=every_language,
            **kwargs,
        )

    def __init__(
        self,
        data=None,
        queryset=None,
        *,
        request=None,
        prefix=None,
        language: str | None = None,
        every_language=False,
    ):
        """`language`: the reader's (the interface language unless the API is told another);
        only incidents written in it are shown unless languages=all. `every_language`: the
        barometer's filter, which counts every story whatever language it is written in."""
        # django-filter's BaseFilterSet.__init__, except for the filters: it deep-copies
        # every one of them for each filterset (their widgets, choices and querysets: 800
        # copies, a tenth of a list page's miss). Each field is made anew from its filter's
        # arguments and deep-copies its widget itself, so a shallow copy per filter is as
        # separate as the deep one (tests/incidents/test_filters.py).
        if queryset is None:
            queryset = self._meta.model._default_manager.all()
        if data is not None and not any(name in data for name in self.base_filters):
            # No filter asked for (a page number, an address with a tracking parameter): the
            # unbound filterset, which selects the same and validates nothing, and whose form
            # is only made if a page shows it (a tenth of an API miss).
            data = None
        self.is_bound = data is not None
        self.data = data or QueryDict()
        self.queryset = queryset
        self.request = request
        self.form_prefix = prefix
        self.filters = {
            name: _own_copy(base, self, queryset.model) for name, base in self.base_filters.items()
        }
        self.language = language or current_language()
        # What the text search found (IncidentQuerySet.search_hits), once `qs` is read:
        # the list page counts and pages it without asking the database again.
        self.search_hits = None
        if every_language:
            del self.filters["languages"]
        elif not self.every_language:
            # Here rather than in filter_queryset, which an unbound filter (no parameters at
            # all) never runs.
            self.queryset = self.queryset.filter(language=self.language)

    @property
    def form(self):
        """django-filter's form, made when first asked for, of the filters the address
        names (`get_form_class`), with the site's date formats and Bootstrap's classes."""
        if not hasattr(self, "_form"):
            _dressed(super().form)
        return self._form

    def get_form_class(self):
        """A bound filterset validates the fields the address names, not all 13: a filter
        not named is not applied either way (its value is empty), and making and cleaning
        every field was a tenth of a filtered miss. The panel shows them all
        (`fields_for_display`)."""
        if not self.is_bound:
            return super().get_form_class()
        named = {name: f.field for name, f in self.filters.items() if name in self.data}
        return type(f"{self.__class__.__name__}Form", (self._meta.form,), named)

    def _whole_form(self):
        """Every filter's field, bound to the same values, for the panel that shows them,
        with the errors of the validated form (a field not named has none): not validated
        again, which would look each slug up twice."""
        if not self.is_bound:
            return self.form
        if not hasattr(self, "_whole"):
            whole = django_filters.FilterSet.get_form_class(self)(
                self.data, prefix=self.form_prefix
            )
            whole._errors = self.form.errors
            whole.cleaned_data = getattr(self.form, "cleaned_data", {})
            self._whole = _dressed(whole)
        return self._whole

    def is_valid(self) -> bool:
        """No filter asked for is valid too (django-filter's is False when unbound, which the
        API's filter backend answers with a 400)."""
        return not self.is_bound or self.form.is_valid()

    def chosen(self) -> dict:
        """The filters that were understood, by name, as cleaned values (a slug filter gives
        its model object); values that failed validation are left out, as `qs` leaves them."""
        if not self.is_bound:
            return {}
        self.errors  # noqa: B018 -- runs validation so cleaned_data exists
        cleaned = getattr(self.form, "cleaned_data", {})
        return {name: value for name, value in cleaned.items() if value not in (None, "")}

    @property
    def fields_for_display(self):
        """The bound fields, a field that failed validation marked for Bootstrap and for
        screen readers (its message is tied to it)."""
        form = self._whole_form()
        if self.is_bound:
            for name in form.errors:  # runs validation so the fields know their errors
                if name in form.fields:
                    attrs = form.fields[name].widget.attrs
                    attrs["class"] = f"{attrs.get('class', '')} is-invalid".strip()
                    attrs["aria-invalid"] = "true"
                    attrs["aria-describedby"] = f"id_{name}_error"
        return list(form)

    def filter_search(self, queryset, name, value):
        return queryset  # applied last, in filter_queryset

    def filter_languages(self, queryset, name, value):
        return queryset  # applied in filter_queryset, where its absence counts too

    @property
    def every_language(self) -> bool:
        """True when incidents in every language are shown (asked for, or the barometer)."""
        if "languages" not in self.filters:
            return True
        return (self.data or {}).get("languages") == "all"  # its only valid value

    def filter_queryset(self, queryset):
        # The search goes last: on PostgreSQL it keeps the newest matches, which must be
        # the newest among those the other filters chose.
        queryset = super().filter_queryset(queryset)
        text = self.form.cleaned_data.get("q")
        self.search_hits = queryset.search_hits(text) if text else None
        return queryset.matching(self.search_hits)

    def other_languages(self) -> QueryDict:
        """This filter's parameters with languages=all, without a page: the switch's address."""
        params = QueryDict(mutable=True)
        data = self.data or {}
        pairs = data.lists() if hasattr(data, "lists") else ((k, [v]) for k, v in data.items())
        for key, values in pairs:
            if key not in ("languages", "page"):
                params.setlist(key, values)
        params["languages"] = "all"
        return params

    def filter_group(self, queryset, name, value: Category):
        return queryset.in_categories(group=value)

    def filter_category(self, queryset, name, value: Category):
        return queryset.in_categories(categories=[value])

    def filter_year(self, queryset, name, value: str):
        if self.form.cleaned_data.get("month"):
            return queryset  # filter_month takes the year's month
        year = int(value)
        return queryset.occurred_within(datetime.date(year, 1, 1), datetime.date(year, 12, 31))

    def filter_month(self, queryset, name, value: str):
        """A month of a year is a range of days, read off the date's index (the monthly
        report's cards); a month in every year can only be matched by its number, and only
        by incidents known to that month."""
        year = self.form.cleaned_data.get("year")
        if not year:
            return queryset.filter(
                occurred_on__month=value,
                occurred_until__month=value,
                occurred_until__year=F("occurred_on__year"),
            )
        first = datetime.date(int(year), int(value), 1)
        last = first.replace(day=calendar.monthrange(first.year, first.month)[1])
        return queryset.occurred_within(first, last)

    def filter_date_from(self, queryset, name, value: datetime.date):
        return queryset.occurred_within(start=value)

    def filter_date_to(self, queryset, name, value: datetime.date):
        return queryset.occurred_within(end=value)

    def filter_verification(self, queryset, name, value):
        return queryset.filter(verification__gte=VERIFICATION_AT_LEAST[value])

    def filter_updated(self, queryset, name, value):
        since = timezone.localdate() - datetime.timedelta(days=int(value))
        return queryset.filter(last_update_on__gte=since)

    def filter_no_verdict(self, queryset, name, value):
        """Incidents at least N months old whose case has reached no verdict (or that
        have no case at all): impunity, as CPJ and UNESCO follow it."""
        before = months_ago(timezone.localdate(), int(value))
        verdicts = CriminalCase.objects.filter(
            incident=OuterRef("pk"), status=CriminalCase.Status.VERDICT
        )
        return queryset.filter(occurred_on__lte=before).exclude(Exists(verdicts))

    @property
    def active_filters(self):
        """The filters that were understood and applied, for the "N incidents match" line."""
        active = []
        for name, value in self.chosen().items():
            if name == "languages":
                continue  # said by the switch above the results
            field = self.form.fields[name]
            if hasattr(field, "choices") and not hasattr(value, "pk"):
                value = dict(field.choices).get(value, value)
            elif hasattr(value, "strftime"):
                value = value.strftime("%d.%m.%Y")
            active.append((field.label, value))
        return active


def _dressed(form):
    """The filter form with the site's date formats and Bootstrap's classes, as crispy-forms
    gave them (the panel renders the fields itself, templates/incidents/includes/
    filter_panel.html, which costs a tenth as much)."""
    for name in ("date_from", "date_to"):
        if name in form.fields:
            form.fields[name].input_formats = DATE_INPUT_FORMATS
    for field in form.fields.values():
        css = "form-select" if isinstance(field.widget, forms.Select) else "form-control"
        if isinstance(field.widget, forms.CheckboxInput):
            css = "form-check-input"
        field.widget.attrs["class"] = css
    return form


def applied_filters(filterset: IncidentFilter) -> dict[str, str]:
    """The filters that were understood and applied, as URL parameter values, in form order."""
    applied = {}
    chosen = filterset.chosen()
    for name in filterset.filters:
        if name not in chosen:
            continue
        value = chosen[name]
        if hasattr(value, "slug"):
            value = value.slug
        elif hasattr(value, "isoformat"):
            value = value.isoformat()
        applied[name] = str(value)
    return applied
