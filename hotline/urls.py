from django.urls import path
from django.views.generic import TemplateView

app_name = "hotline"

# Placeholders until the hotline intake lands: they give the number to call.
urlpatterns = [
    path(
        "callback/",
        TemplateView.as_view(template_name="hotline/callback_placeholder.html"),
        name="callback",
    ),
    path(
        "complaint/",
        TemplateView.as_view(template_name="hotline/complaint_placeholder.html"),
        name="complaint",
    ),
]
