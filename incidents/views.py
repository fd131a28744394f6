from django.conf import settings
from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.http import Http404
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.views.generic import DetailView, ListView, TemplateView

from . import fragments, search, selectors
from .barometer import counts
from .filters import IncidentFilter
from .models import Category, Incident, current_language


class PublicRecordMixin:
    """What every public page of the record starts from, as djangoproject.com's blog views
    share one mixin: `public_incidents()` the stories the reader may see in their language,
    `filtered(params)` the same narrowed by the list page's filters (the barometer and the
    exports count the same incidents for the same parameters). Staff may preview what is not
    public yet only where a view says so (the article page)."""

    every_language = False

    def public_incidents(self):
        return Incident.objects.public()

    def filtered(self, params) -> IncidentFilter:
        return IncidentFilter.public(params, every_language=self.every_language)


def month_name(day) -> str:
    """A month and its year, as in "December 2026" or "грудень 2026": Ukrainian writes month
    names in lower case, and Django's "F" capitalises them."""
    text = date_format(day, "F Y")
    return text.lower() if translation.get_language() == "uk" else text


class HomeView(PublicRecordMixin, TemplateView):
    template_name = "incidents/home.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        today = timezone.localdate()
        language = current_language()
        month = today.replace(day=1)
        # The numbers come from the summary tables: no page view counts the whole archive.
        in_month = counts.by_dimension(language, counts.DIMENSIONS["group"], (month, month))
        groups = list(Category.objects.groups())
        for group in groups:
            group.month_count = in_month.get(group.pk, 0)
        # One language per page: the articles written in the reader's language (issue 16).
        own = self.public_incidents().filter(language=language)
        context.update(
            featured=fragments.cards(own.filter(is_featured=True).with_card_data()[:3]),
            latest=fragments.cards(own.filter(is_featured=False).with_card_data()[:6]),
            years=counts.per_year(language),
            month_total=counts.total(language, month, counts.month_end(month)),
            month_groups=groups,
            today=today,
            month_label=month_name(today),
        )
        return context


class IncidentListView(PublicRecordMixin, ListView):
    template_name = "incidents/incident_list.html"
    context_object_name = "incidents"

    def get_queryset(self):
        self.filterset = self.filtered(self.request.GET)
        text = self.filterset.chosen().get("q", "")
        self.terms = search.parse(text)
        self.ignored = search.ignored(text)
        # What a card shows (fragments.cards and search_cards read only the keys when the
        # cards are cached); a search's card shows the passage that matched, so its text.
        incidents = self.filterset.qs.with_card_data()
        if self.terms:
            incidents = incidents.defer(None).defer(*Incident.HEAVY_FIELDS[2:])
        return incidents

    def paginate_queryset(self, queryset, page_size):
        # A page number that is not a number, or past the end, is answered with a real page
        # and a note, never an error: people share and edit these URLs by hand.
        requested = self.request.GET.get("page")
        self.count_capped = False
        hits = self.filterset.search_hits
        if hits is not None:
            # A search pages through the ids it found (counted, ordered) and reads only the
            # page's incidents: its one query is not run again to count or to sort.
            paginator = Paginator(hits.ids, self.get_paginate_by(queryset))
            page = paginator.get_page(requested)
            # Only their keys when the cards are cached (fragments.search_cards); else the
            # whole incidents with their text, for the passage shown.
            found = Incident.objects.filter(pk__in=page.object_list).with_card_data()
            found = (
                fragments.keys_only(found)
                if fragments.caching()
                else found.defer(None).defer(*Incident.HEAVY_FIELDS[2:])
            )
            by_id = {incident.pk: incident for incident in found}
            page.object_list = [by_id[pk] for pk in page.object_list if pk in by_id]
        else:
            paginator = Paginator(queryset, self.get_paginate_by(queryset))
            # The total from the summary tables where they can answer it (no text search, two
            # dimensions at most): the count over the whole archive was the list's main cost.
            known = counts.filtered_total(self.filterset, current_language())
            if known is not None:
                paginator.count = known
            else:
                # Filters the tables cannot answer (three dimensions, the record's filters):
                # counted up to INCIDENTS_COUNT_MAX, never the whole archive (a count of
                # 75,000 rows was 0.4 s at 100,000 incidents, a lever on the site); past it
                # the page says "more than" and pages stop there.
                counted = queryset.count_up_to(settings.INCIDENTS_COUNT_MAX)
                paginator.count, self.count_capped = counted
            page = paginator.get_page(requested)
        self.page_adjusted = requested not in (None, "", str(page.number))
        return paginator, page, page.object_list, page.has_other_pages()

    def get_paginate_by(self, queryset):
        return settings.INCIDENTS_PER_PAGE

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        total = context["paginator"].count
        if self.terms:
            cards = fragments.search_cards(context["incidents"], self.terms)
        else:
            cards = fragments.cards(context["incidents"])
        context["incidents"] = context["object_list"] = cards
        switch = self.filterset.other_languages()
        own_only = switch.copy()
        own_only.pop("languages", None)
        context.update(
            every_language=self.filterset.every_language,
            every_language_query=switch.urlencode(),
            own_language_query=own_only.urlencode(),
            **self.near_misses(total),
        )
        hits = self.filterset.search_hits
        context.update(
            filter=self.filterset,
            filter_panel=fragments.filter_panel(self.filterset),
            total=total,
            # A search lists at most the newest SEARCH_MAX_RESULTS matches, and of a word
            # found in many articles the newest it read (IncidentQuerySet.search_hits).
            search_capped=hits is not None and not hits.complete,
            count_capped=self.count_capped,
            # Joining words and single letters are not searched for: said, not hidden.
            search_ignored=", ".join(f"«{word}»" for word in self.ignored),
            search_unused=bool(self.ignored) and not self.terms,
            page_adjusted=self.page_adjusted,
            page_range=context["paginator"].get_elided_page_range(
                context["page_obj"].number, on_each_side=1, on_ends=1
            ),
        )
        return context

    def near_misses(self, total: int) -> dict:
        """When nothing matches: how many match in the other languages, and a spelling
        that finds something ("did you mean")."""
        if total:
            return {}
        chosen = self.filterset.chosen()
        result = {}
        if not self.filterset.every_language:
            everywhere = self.filtered(self.filterset.other_languages())
            matching = everywhere.qs
            hits = everywhere.search_hits
            result["other_language_total"] = (
                len(hits.ids) if hits else matching.count_up_to(settings.INCIDENTS_COUNT_MAX)[0]
            )
        if self.terms:
            params = self.request.GET.copy()
            params.pop("q", None)
            params.pop("page", None)
            unsearched = self.filtered(params)
            # The search just run is the first answer: which typed words find nothing.
            found = self.filterset.search_hits
            suggestion = unsearched.qs.suggestion(chosen["q"], found=found)
            if suggestion:
                params["q"] = suggestion
                result.update(suggestion=suggestion, suggestion_query=params.urlencode())
            elif len(self.terms) > 1:
                # No incident has every word ("напад на журналістку"): each word that finds
                # something on its own is offered, one query for all of them.
                words = [term.typed for term in self.terms]
                finds = unsearched.qs.each_finds(words)
                offered = []
                for word, found_any in zip(words, finds, strict=True):
                    if found_any:
                        params["q"] = word
                        offered.append({"word": word, "query": params.urlencode()})
                result["each_word"] = offered
        return result


class IncidentDetailView(PublicRecordMixin, DetailView):
    template_name = "incidents/incident_detail.html"
    context_object_name = "incident"

    def get_queryset(self):
        queryset = Incident.objects.select_related("region", "author").prefetch_related(
            Prefetch("victims", queryset=selectors.victims_for_public()),
            "sources",
            "perpetrators",
            "cases",
            "categories__parent",
        )
        if self.request.user.is_active and self.request.user.is_staff:
            return queryset  # staff preview drafts and archived articles
        return queryset.published()

    def get_object(self, queryset=None):
        incident = super().get_object(queryset)
        if not incident.is_public and not self.request.user.has_perm("incidents.view_incident"):
            raise Http404
        return incident

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        incident = self.object
        category_ids = [c.pk for c in incident.categories.all()]
        context["related"] = (
            self.public_incidents()
            .in_categories(categories=category_ids)
            .exclude(pk=incident.pk)
            .exclude(translation_of=incident.pk)
            .exclude(pk=incident.translation_of_id or 0)
            .select_related("region")[:4]
        )
        context["other_versions"] = versions = list(incident.story_versions())
        victims = list(incident.victims.all())
        elsewhere = selectors.people_elsewhere(victims)
        for victim in victims:
            victim.elsewhere = elsewhere.get(victim.pk, [])
        context["victims"] = victims
        context["timeline"] = selectors.timeline_page(incident, self.request.GET.get("updates"))
        context["language_links"] = self.language_links(incident, versions)
        language = current_language()
        context["untranslated"] = incident.language != language and not any(
            version.language == language for version in versions
        )
        return context

    def language_links(self, incident: Incident, versions: list[Incident]) -> list[dict]:
        """The header's language switcher on an article: to its translation where there is
        one; else to this article with the menus in that language, saying so (`missing`)."""
        by_language = {version.language: version for version in versions}
        by_language[incident.language] = incident
        links = []
        for code, name in settings.LANGUAGES:
            version = by_language.get(code, incident)
            with translation.override(code):
                url = version.get_absolute_url()
            links.append(
                {"code": code, "name": name, "url": url, "missing": code not in by_language}
            )
        return links
