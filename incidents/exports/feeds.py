import datetime

from django.contrib.syndication.views import Feed
from django.db.models import Prefetch
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from django.utils.feedgenerator import Atom1Feed
from django.utils.html import escape
from django.utils.translation import gettext_lazy as _

from ..models import Category, Incident, IncidentUpdate, current_language


def own_language_incidents():
    """A feed in a language carries the articles written in it (issue 16)."""
    return Incident.objects.public().filter(language=current_language())


FEED_SIZE = 30
FEED_UPDATES = 3  # the latest public dated updates each item carries (issue 17)


def with_feed_data(incidents):
    """What an item shows, in a fixed number of queries: categories and latest updates."""
    return incidents.prefetch_related(
        "categories",
        Prefetch(
            "updates",
            queryset=IncidentUpdate.objects.filter(is_public=True).order_by("-on", "-pk")[
                :FEED_UPDATES
            ],
            to_attr="latest_updates",
        ),
    )


class OnePieceFeed(Feed):
    """Django's feed writes its XML into the response in hundreds of small pieces, and a
    WSGI server sends each with its own system call: joined, the feed is sent at once."""

    def __call__(self, request, *args, **kwargs):
        response = super().__call__(request, *args, **kwargs)
        response.content = response.content
        return response


class LatestIncidentsFeed(OnePieceFeed):
    title = _("IMI Portal: violations of journalists' rights")
    description = _("The latest incidents recorded by the Institute of Mass Information.")

    def link(self):
        return reverse("incidents:list")

    def items(self):
        return with_feed_data(own_language_incidents())[:FEED_SIZE]

    def item_title(self, item: Incident):
        return item.title

    def item_description(self, item: Incident):
        # RSS descriptions and Atom summaries are HTML to a feed reader, and the lead is plain
        # text: escaped, "<script>" in a lead is shown as typed, never run or dropped. The
        # latest dated updates follow it, each "Update on DATE: text".
        parts = [escape(item.lead)]
        for update in getattr(item, "latest_updates", []):
            label = _("Update on %(date)s") % {"date": update.on.strftime("%d.%m.%Y")}
            parts.append(f"<p><strong>{escape(label)}:</strong> {escape(update.text)}</p>")
        return "".join(parts)

    def item_pubdate(self, item: Incident):
        return item.published_at

    def item_updateddate(self, item: Incident):
        """The later of the last edit and the last public dated update (issue 17)."""
        if item.last_update_on is None:
            return item.updated_at
        day = timezone.make_aware(datetime.datetime.combine(item.last_update_on, datetime.time()))
        return max(item.updated_at, day)

    def item_categories(self, item: Incident):
        return [c.name for c in item.categories.all()]


class LatestIncidentsAtomFeed(LatestIncidentsFeed):
    feed_type = Atom1Feed
    subtitle = LatestIncidentsFeed.description


class CategoryIncidentsFeed(LatestIncidentsFeed):
    """Incidents of one category, or of every category in a group."""

    def get_object(self, request, slug):
        return get_object_or_404(Category, slug=slug)

    def title(self, obj: Category):
        return _("IMI Portal: %(category)s") % {"category": obj.name}

    def link(self, obj: Category):
        return obj.get_absolute_url()

    def items(self, obj: Category):
        through = Incident.categories.through
        if obj.is_group:
            ids = through.objects.filter(category__parent=obj).values("incident")
        else:
            ids = through.objects.filter(category=obj).values("incident")
        return with_feed_data(own_language_incidents().filter(pk__in=ids))[:FEED_SIZE]


class CategoryIncidentsAtomFeed(CategoryIncidentsFeed):
    feed_type = Atom1Feed
    subtitle = LatestIncidentsFeed.description
