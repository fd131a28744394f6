from django.urls import path

from . import views
from .exports import urls as exports_urls
from .public_cache import cached_page

app_name = "incidents"

urlpatterns = [
    path("", cached_page(views.IncidentListView.as_view()), name="list"),
    *exports_urls.urlpatterns,
    # Last: any other single segment is an article's slug.
    path("<slug:slug>/", cached_page(views.IncidentDetailView.as_view()), name="detail"),
]
