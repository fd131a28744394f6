"""The site's addresses plus /bench/trivial/: the baseline every page is measured against.

It runs through the same gunicorn, middleware and settings as the pages, and does nothing:
no template, no query. A page's figure is its requests per second divided by this one's,
measured in the same run, so the machine's speed and load divide out."""

from django.http import HttpResponse
from django.urls import path

from imi_portal.urls import urlpatterns as site


def trivial(request):
    return HttpResponse("ok", content_type="text/plain")


urlpatterns = [path("bench/trivial/", trivial), *site]
