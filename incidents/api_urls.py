"""/api/: the read-only public API, its OpenAPI schema and its self-hosted documentation."""

from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularSwaggerSplitView
from rest_framework.routers import DefaultRouter

from . import api


class DocsView(api.JSONErrors, SpectacularSwaggerSplitView):
    # The page is HTML only; DRF's OPTIONS answer would try to render it as a template.
    metadata_class = None


app_name = "api"

router = DefaultRouter()
router.register("incidents", api.IncidentViewSet, basename="incident")
router.register("categories", api.CategoryViewSet, basename="category")
router.register("regions", api.RegionViewSet, basename="region")

urlpatterns = [
    path("schema/", api.SchemaView.as_view(), name="schema"),
    path("docs/", DocsView.as_view(url_name="api:schema"), name="docs"),
    path("", include(router.urls)),
    # Anything else under /api/ is a JSON 404, never the site's HTML page: a line break in the
    # address too ("." stops at one, and /api/%0A fell through to the site's 404).
    re_path(r"^[\s\S]*$", api.NotFoundView.as_view(), name="not-found"),
]
