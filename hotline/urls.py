from django.urls import path

from . import views

app_name = "hotline"

urlpatterns = [
    path("callback/", views.CallbackRequestView.as_view(), name="callback"),
    path("callback/thanks/", views.CallbackThanksView.as_view(), name="callback-thanks"),
    path("complaint/", views.ComplaintView.as_view(), name="complaint"),
    path("complaint/thanks/", views.ComplaintThanksView.as_view(), name="complaint-thanks"),
    path("complaint/status/", views.TrackView.as_view(), name="track"),
    # The case inbox of the session that typed the code (never the code in the URL).
    path("complaint/case/", views.CaseView.as_view(), name="case"),
    path("leave/", views.quick_exit, name="quick-exit"),
    # Staff only; everyone else gets 404 (see views.attachment_download).
    path("evidence/<int:pk>/", views.attachment_download, name="attachment-download"),
]
