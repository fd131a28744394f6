from django.contrib.syndication.views import Feed
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed
from django.utils.html import escape
from django.utils.translation import gettext_lazy as _

from .models import Category, Incident, current_language
from .views import public_incidents


def own_language_incidents():
    """A feed in a language carries the articles written in it (issue 16)."""
    return public_incidents().filter(language=current_language())


FEED_SIZE = 30


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
        return own_language_incidents().prefetch_related("categories")[:FEED_SIZE]

    def item_title(self, item: Incident):
        return item.title

    def item_description(self, item: Incident):
        # RSS descriptions and Atom summaries are HTML to a feed reader, and the lead is plain
        # text: escaped, "<script>" in a lead is shown as typed, never run or dropped.
        return escape(item.lead)

    def item_pubdate(self, item: Incident):
        return item.published_at

    def item_updateddate(self, item: Incident):
        return item.updated_at

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
        return (
            own_language_incidents().filter(pk__in=ids).prefetch_related("categories")[:FEED_SIZE]
        )


class CategoryIncidentsAtomFeed(CategoryIncidentsFeed):
    feed_type = Atom1Feed
    subtitle = LatestIncidentsFeed.description
