import datetime

import pytest
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import ngettext, override

from incidents.models import Incident
from tests.incidents.pages import ADMIN_INLINES_EMPTY

from .factories import IncidentFactory, UserFactory, VictimFactory
from .pages import parse

CHANGELIST = "/admin/incidents/incident/"


def changelist_titles(response):
    assert response.status_code == 200
    table = parse(response).by_id("result_list")
    if table is None:
        return set()
    return {row.find("th").text for row in table.find("tbody").find_all("tr")}


@pytest.fixture
def admin_data(db, beating, censorship, lviv):
    IncidentFactory(title="Published in Kyiv", categories=[beating])
    IncidentFactory(title="Draft in Lviv", draft=True, region=lviv, categories=[censorship])
    IncidentFactory(title="English one", language="en", perpetrator_type="police")
    victim_incident = IncidentFactory(title="With a victim")
    VictimFactory(incident=victim_incident, name="Oksana Searchable", outlet="Hromadske")


@pytest.mark.django_db
def test_incident_changelist_lists_everything_including_drafts(admin_client, admin_data):
    titles = changelist_titles(admin_client.get(CHANGELIST))
    assert titles == {"Published in Kyiv", "Draft in Lviv", "English one", "With a victim"}


@pytest.mark.django_db
@pytest.mark.parametrize(
    "query, expected",
    [
        ({"q": "Lviv"}, {"Draft in Lviv"}),
        ({"q": "Searchable"}, {"With a victim"}),
        ({"q": "Hromadske"}, {"With a victim"}),
        ({"status__exact": "draft"}, {"Draft in Lviv"}),
        ({"language__exact": "en"}, {"English one"}),
        ({"perpetrator_type__exact": "police"}, {"English one"}),
        ({"is_featured__exact": "1"}, set()),
    ],
)
def test_incident_changelist_search_and_filters(admin_client, admin_data, query, expected):
    assert changelist_titles(admin_client.get(CHANGELIST, query)) == expected


@pytest.mark.django_db
def test_incident_changelist_filters_by_category_and_region(
    admin_client, admin_data, censorship, lviv
):
    by_category = admin_client.get(CHANGELIST, {"categories__id__exact": censorship.pk})
    assert changelist_titles(by_category) == {"Draft in Lviv"}
    by_region = admin_client.get(CHANGELIST, {"region__id__exact": lviv.pk})
    assert changelist_titles(by_region) == {"Draft in Lviv"}


@pytest.mark.django_db
def test_incident_changelist_date_hierarchy(admin_client, admin_data):
    IncidentFactory(
        title="Old one", published_at=datetime.datetime(2019, 2, 27, 12, tzinfo=datetime.UTC)
    )
    assert changelist_titles(admin_client.get(CHANGELIST, {"published_at__year": "2019"})) == {
        "Old one"
    }


@pytest.mark.django_db
def test_incident_changelist_shows_categories(admin_client, admin_data):
    page = admin_client.get(CHANGELIST).content.decode()
    assert "Побиття, напад" in page


@pytest.mark.django_db
def test_incident_add_and_change_pages(admin_client, admin_data):
    assert admin_client.get(f"{CHANGELIST}add/").status_code == 200
    incident = Incident.objects.get(title="With a victim")
    response = admin_client.get(f"{CHANGELIST}{incident.pk}/change/")
    assert response.status_code == 200
    assert "Oksana Searchable" in response.content.decode()


@pytest.mark.django_db
def test_adding_an_incident_in_the_admin_records_the_author(
    admin_client, admin_user, kyiv, beating
):
    response = admin_client.post(
        f"{CHANGELIST}add/",
        {
            "title": "Added in admin",
            "slug": "added-in-admin",
            "lead": "Lead.",
            "body": "Body with <script>x()</script>.",
            "status": "draft",
            "language": "uk",
            "occurred_on": "2024-05-01",
            "categories": [beating.pk],
            "region": kyiv.pk,
            "perpetrator_type": "unknown",
            **ADMIN_INLINES_EMPTY,
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    incident = Incident.objects.get(slug="added-in-admin")
    assert incident.author == admin_user
    assert "<script" not in incident.body_html


@pytest.mark.django_db
def test_admin_publishes_only_by_its_button_and_with_a_time(admin_client, kyiv, beating):
    """The status is not a field (issue 27): a posted "published" saves a draft; "Save and
    publish now" publishes through the service, which gives it its time."""
    fields = {
        "title": "No time",
        "slug": "no-time",
        "lead": "Lead.",
        "body": "Body.",
        "status": "published",
        "language": "uk",
        "occurred_on": "2024-05-01",
        "categories": [beating.pk],
        "region": kyiv.pk,
        "perpetrator_type": "unknown",
        **ADMIN_INLINES_EMPTY,
    }
    assert admin_client.post(f"{CHANGELIST}add/", fields).status_code == 302
    incident = Incident.objects.get(slug="no-time")
    assert incident.status == Incident.Status.DRAFT and incident.published_at is None
    admin_client.post(f"{CHANGELIST}{incident.pk}/change/", {**fields, "_publish": "1"})
    incident.refresh_from_db()
    assert incident.is_public and incident.published_at is not None


def run_action(client, action, incidents):
    return client.post(
        CHANGELIST,
        {"action": action, "_selected_action": [incident.pk for incident in incidents]},
        follow=True,
    )


@pytest.mark.django_db
def test_publish_action_publishes_drafts_now_and_keeps_earlier_times(admin_client):
    draft = IncidentFactory(draft=True, title="Fresh draft")
    earlier = datetime.datetime(2019, 2, 27, 20, 25, tzinfo=datetime.UTC)
    unpublished = IncidentFactory(
        status=Incident.Status.DRAFT, published_at=earlier, title="Was published before"
    )
    before = timezone.now()
    response = run_action(admin_client, "publish", [draft, unpublished])
    assert response.status_code == 200
    with override("uk"):
        message = ngettext("%d incident published.", "%d incidents published.", 2) % 2
    assert [str(m) for m in response.context["messages"]] == [message]

    draft.refresh_from_db()
    unpublished.refresh_from_db()
    assert draft.status == unpublished.status == Incident.Status.PUBLISHED
    assert before <= draft.published_at <= timezone.now()
    assert unpublished.published_at == earlier
    assert set(Incident.objects.published()) == {draft, unpublished}


@pytest.mark.django_db
def test_unpublish_action_returns_incidents_to_draft(admin_client, client):
    incident = IncidentFactory(title="Going back")
    published_at = incident.published_at
    other = IncidentFactory(title="Staying")
    response = run_action(admin_client, "unpublish", [incident])
    assert response.status_code == 200
    with override("uk"):
        message = (
            ngettext("%d incident returned to draft.", "%d incidents returned to draft.", 1) % 1
        )
    assert [str(m) for m in response.context["messages"]] == [message]

    incident.refresh_from_db()
    assert incident.status == Incident.Status.DRAFT
    assert incident.published_at == published_at  # kept for a later republish
    assert client.get(f"/incidents/{incident.slug}/").status_code == 404
    other.refresh_from_db()
    assert other.status == Incident.Status.PUBLISHED

    run_action(admin_client, "publish", [incident])
    incident.refresh_from_db()
    assert incident.status == Incident.Status.PUBLISHED
    assert incident.published_at == published_at
    assert client.get(f"/incidents/{incident.slug}/").status_code == 200


@pytest.mark.django_db
def test_staff_who_may_only_view_cannot_publish(client):
    viewer = UserFactory(is_staff=True, permissions=["incidents.view_incident"])
    client.force_login(viewer)
    draft = IncidentFactory(draft=True)
    run_action(client, "publish", [draft])
    draft.refresh_from_db()
    assert draft.status == Incident.Status.DRAFT


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url, expected",
    [
        ("/admin/incidents/category/", "Побиття, напад"),
        ("/admin/incidents/category/?q=beating", "Побиття, напад"),
        ("/admin/incidents/category/?is_wartime__exact=1", "Руйнування редакцій"),
        ("/admin/incidents/region/", "Львівська область"),
        ("/admin/incidents/region/?kind__exact=abroad", "За кордоном"),
    ],
)
def test_category_and_region_changelists(admin_client, url, expected):
    response = admin_client.get(url)
    assert response.status_code == 200
    assert expected in response.content.decode()


@pytest.mark.django_db
def test_category_and_region_change_pages(admin_client, beating, kyiv):
    assert admin_client.get(f"/admin/incidents/category/{beating.pk}/change/").status_code == 200
    assert admin_client.get(f"/admin/incidents/region/{kyiv.pk}/change/").status_code == 200
    assert admin_client.get("/admin/incidents/category/add/").status_code == 200


@pytest.mark.parametrize(
    ("title", "slug"),
    [
        ("Журналістку побили в Харкові", "zhurnalistku-pobyly-v-kharkovi"),
        ("Згурський і Їжакевич: погрози в Щасті", "zghurskyi-i-yizhakevych-pohrozy-v-shchasti"),
        ("Reporter detained in Kyiv", "reporter-detained-in-kyiv"),
    ],
)
def test_an_empty_slug_is_made_from_the_title_by_the_national_standard(title, slug):
    from incidents.text import slug_from_title

    assert slug_from_title(title) == slug


@pytest.mark.django_db
def test_the_editor_may_leave_the_slug_empty_and_gets_a_unique_one():
    from incidents.admin import IncidentAdminForm

    from .factories import IncidentFactory

    IncidentFactory(slug="zhurnalistku-pobyly-v-kharkovi")
    form = IncidentAdminForm(data={"title": "Журналістку побили в Харкові", "slug": ""})
    form.is_valid()
    assert form.cleaned_data["slug"] == "zhurnalistku-pobyly-v-kharkovi-2"
    form = IncidentAdminForm(data={"title": "Будь-що", "slug": "my-own"})
    form.is_valid()
    assert form.cleaned_data["slug"] == "my-own"


@pytest.mark.django_db
def test_the_live_preview_renders_through_the_public_sanitiser(client):
    from django.contrib.auth import get_user_model

    boss = get_user_model().objects.create_superuser("ed", "ed@imi.example", "pw 12345678")
    client.force_login(boss)
    url = reverse("admin:incidents_incident_preview")
    response = client.post(
        url,
        {
            "title": "<b>Заголовок</b>",
            "lead": "Лід",
            "body": "**Жирний** текст\n\n<script>alert(1)</script>\n\n![x](https://evil.example/a.png)",
        },
    )
    html = response.content.decode()
    assert response.status_code == 200 and "no-store" in response["Cache-Control"]
    assert "<strong>Жирний</strong>" in html
    assert "<script>" not in html and "<img" not in html and "evil.example" not in html
    assert "&lt;b&gt;Заголовок&lt;/b&gt;" in html  # the title is text
    assert client.get(url).status_code == 403  # POST only


@pytest.mark.django_db
def test_only_editors_get_a_preview(client):
    from django.contrib.auth import get_user_model

    clerk = get_user_model().objects.create_user("clerk", "c@imi.example", "pw 12345678")
    clerk.is_staff = True
    clerk.save()
    client.force_login(clerk)
    response = client.post(reverse("admin:incidents_incident_preview"), {"body": "x"})
    assert response.status_code == 403
