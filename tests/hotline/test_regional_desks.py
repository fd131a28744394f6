"""Regional desks (issue 32, part 3): a regional representative sees and touches the
complaints and callback requests of their regions and those with no region, on every staff
page, export, search, count and notification; the country-wide role sees everything."""

import csv
import io
from urllib.parse import parse_qs, quote_plus, urlsplit

import pytest
from django.contrib.admin.sites import site
from django.contrib.auth.models import Group, Permission
from django.test import RequestFactory
from django.urls import reverse
from django.utils import translation
from hypothesis import HealthCheck, given
from hypothesis import settings as examples
from hypothesis import strategies as st

from hotline import notifications, selectors
from hotline.models import (
    AccessEvent,
    CallbackRequest,
    Complaint,
    Notification,
    StaffDesk,
    StaffProfile,
)
from hotline.services import desk, inbox
from incidents.models import Region

from .factories import (
    AttachmentFactory,
    CallbackRequestFactory,
    CaseMessageFactory,
    ComplaintFactory,
    NoteFactory,
    UserFactory,
)
from .helpers import shown

# What only Kyiv's items carry: none of it may reach a Lviv member's page or export.
KYIV_MARKS = ["Kyivska Taiemna", "KyivOutletSecret", "+380671112233", "0671112233", "Kyivnote"]


def regional_member(username, *regions, email=""):
    user = UserFactory(username=username, is_staff=True, email=email)
    user.groups.add(Group.objects.get(name="Regional representatives"))
    staff_desk = StaffDesk.objects.create(user=user)
    staff_desk.regions.set(regions)
    return user


@pytest.fixture
def lviv(db):
    return Region.objects.get(slug="lviv")


@pytest.fixture
def member(lviv):
    return regional_member("lviv-rep", lviv, email="lviv@example.org")


@pytest.fixture
def items(kyiv, lviv):
    """One complaint and one callback in Lviv, in Kyiv and with no region; Kyiv's with
    evidence, a note, a reply and outbox rows of its own."""
    made = {}
    for key, region in (("lviv", lviv), ("kyiv", kyiv), ("none", None)):
        made[key] = ComplaintFactory(region=region, reporter_name=f"Reporter {key}")
        made[f"{key}-callback"] = CallbackRequestFactory(region=region, name=f"Caller {key}")
    secret = made["kyiv"]
    secret.reporter_name, secret.outlet = "Kyivska Taiemna", "KyivOutletSecret"
    secret.phone = "+380671112233"
    secret.save()
    made["kyiv-callback"].name = "Kyivska Taiemna"
    made["kyiv-callback"].phone = "+380671112233"
    made["kyiv-callback"].save()
    made["attachment"] = AttachmentFactory(complaint=secret, original_name="kyiv-photo.png")
    NoteFactory(complaint=secret, text="Kyivnote: the source is at the court")
    CaseMessageFactory(complaint=secret, sender="reporter", text="Kyivnote reply")
    for key in ("lviv", "kyiv", "none"):
        Notification.objects.create(
            kind=Notification.Kind.NEW_COMPLAINT, channel="email", complaint=made[key]
        )
        Notification.objects.create(
            kind=Notification.Kind.NEW_CALLBACK,
            channel="email",
            callback=made[f"{key}-callback"],
            status="failed",
        )
    return made


def assert_nothing_of_kyiv(html: str, items, url: str = ""):
    # The words searched for come back in the search box and the filters' links.
    for searched in parse_qs(urlsplit(url).query).get("q", []):
        if searched == str(items["kyiv"].pk):
            continue  # an id: Kyiv's address must still not be on the page
        html = html.replace(searched, "").replace(quote_plus(searched), "")
    for mark in KYIV_MARKS:
        assert mark not in html
    for key in ("kyiv", "kyiv-callback"):
        item = items[key]
        assert item.get_absolute_url() not in html
        assert f"№{item.pk}<" not in html


def complaint_url(name, *args):
    return reverse(f"admin:hotline_complaint_{name}", args=args)


def callback_url(name, *args):
    return reverse(f"admin:hotline_callbackrequest_{name}", args=args)


# --- Every staff page and export --------------------------------------------------------------


def test_a_regional_member_sees_nothing_of_another_region_on_any_staff_page(client, member, items):
    client.force_login(member)
    kyiv, kyiv_callback = items["kyiv"], items["kyiv-callback"]
    lists = [
        reverse("admin:index"),  # the duty desk
        complaint_url("changelist"),
        complaint_url("changelist") + "?q=Kyivska",
        complaint_url("changelist") + "?q=0671112233",
        complaint_url("changelist") + f"?q={kyiv.pk}",
        complaint_url("changelist") + "?status__exact=new&overdue=yes&unread=yes",
        complaint_url("changelist") + f"?region__id__exact={kyiv.region_id}",
        callback_url("changelist"),
        callback_url("changelist") + "?q=Kyivska",
        callback_url("changelist") + "?q=%2B380671112233",
        reverse("admin:hotline_notification_changelist"),
        reverse("admin:hotline_notification_changelist") + "?status__exact=failed",
        complaint_url("change", items["lviv"].pk),
        callback_url("change", items["lviv-callback"].pk),
    ]
    for url in lists:
        page = client.get(url)
        assert page.status_code == 200, url
        assert_nothing_of_kyiv(page.content.decode(), items, url)
    # Kyiv's own addresses: the answer for what does not exist.
    for url in [
        complaint_url("change", kyiv.pk),
        callback_url("change", kyiv_callback.pk),
    ]:
        assert client.get(url).status_code == 302  # the admin's "does not exist"
    for url in [
        complaint_url("history", kyiv.pk),
        callback_url("history", kyiv_callback.pk),
        complaint_url("message", kyiv.pk),
        callback_url("call", kyiv_callback.pk),
        reverse("hotline:attachment-download", args=[items["attachment"].pk]),
    ]:
        page = client.get(url)
        assert page.status_code == 404, url
        assert_nothing_of_kyiv(page.content.decode(), items)


def test_the_desk_counts_only_the_members_regions(member, items):
    tiles = {tile.key: tile.count for tile in selectors.duty_tiles(member)}
    assert tiles["complaints-new"] == 2  # Lviv and no region, not Kyiv
    assert tiles["callbacks-new"] == 2
    assert tiles["unread-replies"] == 0  # Kyiv's reply is not counted
    assert tiles["notifications-failed"] == 2


def test_exports_hold_only_the_members_regions(client, member, items):
    client.force_login(member)
    for model, url in ((Complaint, complaint_url), (CallbackRequest, callback_url)):
        every = list(model.objects.values_list("pk", flat=True))  # Kyiv's ids posted too
        response = client.post(
            url("changelist"), {"action": "export_csv", "_selected_action": every}
        )
        assert response.status_code == 200
        text = response.content.decode("utf-8-sig")
        ids = {int(row["id"]) for row in csv.DictReader(io.StringIO(text))}
        key = "" if model is Complaint else "-callback"
        assert ids == {items[f"lviv{key}"].pk, items[f"none{key}"].pk}
        assert_nothing_of_kyiv(text, items)
        event = AccessEvent.objects.filter(action="export").latest("pk")
        assert set(event.item_ids) == ids


def test_actions_posted_with_another_regions_ids_leave_them_as_they_were(client, member, items):
    client.force_login(member)
    kyiv = items["kyiv"]
    client.post(
        complaint_url("changelist"),
        {"action": "assign_to_me", "_selected_action": [kyiv.pk, items["lviv"].pk]},
    )
    kyiv.refresh_from_db()
    assert kyiv.assignee_id is None
    assert Complaint.objects.get(pk=items["lviv"].pk).assignee == member


def test_the_country_wide_role_sees_everything(client, triage, items):
    client.force_login(triage)
    html = client.get(complaint_url("changelist")).content.decode()
    assert "Kyivska Taiemna" in html or f"{items['kyiv']}" in html
    assert client.get(complaint_url("change", items["kyiv"].pk)).status_code == 200
    assert 'id="desk-banner"' not in html


# --- The banner -------------------------------------------------------------------------------


@pytest.mark.parametrize("language", ["uk", "en"])
def test_the_banner_names_the_members_regions(client, member, items, lviv, language):
    volyn = Region.objects.get(slug="volyn")
    member.desk.regions.add(volyn)
    StaffProfile.objects.create(user=member, language=language)  # the admin's language
    client.force_login(member)
    for url in (reverse("admin:index"), complaint_url("changelist"), callback_url("changelist")):
        html = client.get(url).content.decode()
        assert 'id="desk-banner"' in html
        with translation.override(language):
            names = ", ".join(sorted(str(r.name) for r in (lviv, volyn)))
        assert (
            shown(
                "You see the complaints and callbacks of: %(regions)s (and those with no region).",
                language,
                regions=names,
            )
            in html
        )


# --- A member with no region ------------------------------------------------------------------


def test_a_member_with_no_region_sees_only_what_has_no_region_and_is_told(client, items):
    nobody = regional_member("no-region")
    assert set(Complaint.objects.visible_to(nobody)) == {items["none"]}
    assert set(CallbackRequest.objects.visible_to(nobody)) == {items["none-callback"]}
    client.force_login(nobody)
    html = client.get(complaint_url("changelist")).content.decode()
    assert (
        shown(
            "Your desk has no region: you see only the complaints and callbacks with no"
            " region. Ask an administrator to give you your regions."
        )
        in html
    )
    assert "Reporter lviv" not in html


def test_an_account_without_a_desk_or_the_role_sees_only_what_has_no_region(items):
    newcomer = UserFactory(username="new", is_staff=True)
    newcomer.user_permissions.add(Permission.objects.get(codename="view_complaint"))
    assert set(Complaint.objects.visible_to(newcomer)) == {items["none"]}


# --- Refused by address, audited --------------------------------------------------------------


def test_opening_another_regions_item_by_its_address_is_refused_and_audited(client, member, items):
    client.force_login(member)
    kyiv = items["kyiv"]
    refused = client.get(complaint_url("change", kyiv.pk))
    missing = client.get(complaint_url("change", 999_999))
    # The same answer as for a complaint that does not exist: its existence is not confirmed.
    assert refused.status_code == missing.status_code == 302
    assert refused["Location"] == missing["Location"]
    events = AccessEvent.objects.filter(action=AccessEvent.Action.OUTSIDE_DESK)
    assert list(events.values_list("target", "target_id", "username")) == [
        ("complaint", kyiv.pk, "lviv-rep")
    ]
    assert not AccessEvent.objects.filter(action="view", target_id=kyiv.pk).exists()
    client.get(reverse("hotline:attachment-download", args=[items["attachment"].pk]))
    download = events.filter(attachment_id=items["attachment"].pk).get()
    assert download.target_id == kyiv.pk
    assert not AccessEvent.objects.filter(action="download").exists()


# --- Moved to another region while open ------------------------------------------------------


def test_a_complaint_moved_away_while_open_refuses_the_members_next_save(
    client, member, items, kyiv
):
    complaint = items["lviv"]
    client.force_login(member)
    assert client.get(complaint_url("change", complaint.pk)).status_code == 200
    before = Complaint.objects.get(pk=complaint.pk).updated_at
    Complaint.objects.filter(pk=complaint.pk).update(region=kyiv)  # a colleague moved it
    response = client.post(
        complaint_url("change", complaint.pk), {"status": "triage", "priority": 3}, follow=True
    )
    assert [m.level_tag for m in response.context["messages"]] == ["error"]
    after = Complaint.objects.get(pk=complaint.pk)
    assert (after.status, after.priority, after.updated_at) == ("new", complaint.priority, before)
    # The services refuse the stale instance too, and write nothing.
    for move in (
        lambda: desk.change_status(obj=complaint, status="triage", user=member),
        lambda: desk.complaint_set_priority(complaint=complaint, priority=3, user=member),
        lambda: desk.assign(obj=complaint, user=member),
        lambda: inbox.case_message_send(complaint=complaint, text="Hello", author=member),
    ):
        with pytest.raises(desk.OutsideDeskError):
            move()
    after = Complaint.objects.get(pk=complaint.pk)
    assert (after.status, after.assignee_id, after.messages.count()) == ("new", None, 0)
    callback = items["lviv-callback"]
    CallbackRequest.objects.filter(pk=callback.pk).update(region=kyiv)
    with pytest.raises(desk.OutsideDeskError):
        desk.callback_log_attempt(callback=callback, outcome="reached", user=member)
    assert CallbackRequest.objects.get(pk=callback.pk).attempts == 0


def test_a_member_can_only_put_an_item_in_their_own_regions(member, lviv):
    admin_view = site._registry[Complaint]
    request = RequestFactory().get("/")
    request.user = member
    field = admin_view.formfield_for_foreignkey(Complaint._meta.get_field("region"), request)
    assert list(field.queryset) == [lviv]


# --- Notifications ---------------------------------------------------------------------------


def test_staff_mail_goes_to_the_desks_of_the_region_and_to_the_country_wide(
    notify_settings, member, triage, kyiv, lviv
):
    notify_settings.STAFF_NOTIFY_EMAILS = []
    triage.email = "country@example.org"
    triage.save()
    regional_member("kyiv-rep", kyiv, email="kyiv@example.org")
    regional_member("none-rep", email="none@example.org")

    def recipients(**item):
        row = Notification(kind=Notification.Kind.NEW_COMPLAINT, channel="email", **item)
        return {r.email for r in notifications.staff_recipients(row)}

    assert recipients(complaint=ComplaintFactory(region=lviv)) == {
        "lviv@example.org",
        "country@example.org",
    }
    assert recipients(complaint=ComplaintFactory(region=kyiv)) == {
        "kyiv@example.org",
        "country@example.org",
    }
    assert recipients(complaint=ComplaintFactory(region=None)) == {
        "lviv@example.org",
        "kyiv@example.org",
        "none@example.org",
        "country@example.org",
    }
    assert recipients(callback=CallbackRequestFactory(region=lviv)) == {
        "lviv@example.org",
        "country@example.org",
    }


# --- The rule, over random desks and items ----------------------------------------------------

REGION_SLUGS = ["lviv", "kyiv", "volyn", None]


@examples(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    desk_regions=st.sets(st.sampled_from(REGION_SLUGS[:3])),
    item_regions=st.lists(st.sampled_from(REGION_SLUGS), min_size=1, max_size=6),
)
def test_what_a_member_sees_is_their_regions_and_what_has_none(db, desk_regions, item_regions):
    from django.db import transaction

    regions = {slug: Region.objects.get(slug=slug) for slug in REGION_SLUGS if slug}
    with transaction.atomic():
        sid = transaction.savepoint()
        user = regional_member("prop", *(regions[s] for s in desk_regions), email="p@example.org")
        complaints = [
            ComplaintFactory(region=regions.get(slug) if slug else None) for slug in item_regions
        ]
        callbacks = [
            CallbackRequestFactory(region=regions.get(slug) if slug else None)
            for slug in item_regions
        ]
        expected = {
            i for i, slug in enumerate(item_regions) if slug is None or slug in desk_regions
        }
        request = RequestFactory().get("/")
        request.user = user
        for model, made in ((Complaint, complaints), (CallbackRequest, callbacks)):
            wanted = {made[i].pk for i in expected}
            assert set(model.objects.visible_to(user).values_list("pk", flat=True)) == wanted
            # The changelist's queryset, search and filters start from it.
            listed = site._registry[model].get_queryset(request)
            assert set(listed.values_list("pk", flat=True)) == wanted
        tiles = {tile.key: tile.count for tile in selectors.duty_tiles(user)}
        assert tiles["complaints-new"] == tiles["callbacks-new"] == len(expected)
        # Who is mailed is the same rule read the other way round.
        for i, complaint in enumerate(complaints):
            row = Notification(kind="new_complaint", channel="email", complaint=complaint)
            mailed = "p@example.org" in {r.email for r in notifications.staff_recipients(row)}
            assert mailed == (i in expected)
        transaction.savepoint_rollback(sid)
