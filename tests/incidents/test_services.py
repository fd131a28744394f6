import datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from incidents.models import Incident
from incidents.services import incident_publish, incident_save_record, incident_unpublish

from .factories import IncidentFactory

EARLIER = datetime.datetime(2019, 2, 27, 20, 25, tzinfo=datetime.UTC)


@pytest.mark.django_db
def test_publish_a_draft_now():
    draft = IncidentFactory(draft=True)
    before = timezone.now()
    incident_publish(incident=draft)
    draft.refresh_from_db()
    assert draft.status == Incident.Status.PUBLISHED
    assert before <= draft.published_at <= timezone.now()
    assert list(Incident.objects.published()) == [draft]


@pytest.mark.django_db
def test_publish_at_a_given_time_schedules_it():
    draft = IncidentFactory(draft=True)
    later = timezone.now() + datetime.timedelta(days=1)
    incident_publish(incident=draft, at=later)
    draft.refresh_from_db()
    assert draft.status == Incident.Status.PUBLISHED
    assert draft.published_at == later
    assert not Incident.objects.published().exists()


@pytest.mark.django_db
def test_republish_keeps_the_first_publication_time():
    incident = IncidentFactory(published_at=EARLIER)
    incident_unpublish(incident=incident)
    incident_publish(incident=incident)
    incident.refresh_from_db()
    assert incident.status == Incident.Status.PUBLISHED
    assert incident.published_at == EARLIER


@pytest.mark.django_db
def test_publish_refuses_an_invalid_incident_and_saves_nothing(abroad):
    draft = IncidentFactory(draft=True, region=abroad, country="")
    with pytest.raises(ValidationError):
        incident_publish(incident=draft)
    draft.refresh_from_db()
    assert draft.status == Incident.Status.DRAFT
    assert draft.published_at is None


@pytest.mark.django_db
def test_unpublish_takes_it_off_the_public_record():
    incident = IncidentFactory(published_at=EARLIER)
    incident_unpublish(incident=incident)
    incident.refresh_from_db()
    assert incident.status == Incident.Status.DRAFT
    assert incident.published_at == EARLIER
    assert not Incident.objects.published().exists()


@pytest.mark.django_db
def test_unpublish_an_archived_incident_makes_it_a_draft():
    incident = IncidentFactory(archived=True)
    incident_unpublish(incident=incident)
    incident.refresh_from_db()
    assert incident.status == Incident.Status.DRAFT


# --- incident_save_record: a whole incident from a plain record (the demo, an import) ------


def record(kyiv, beating, **changes):
    fields = {
        "title": "Журналістку не пустили на сесію",
        "lead": "Охорона не пустила журналістку на сесію міської ради.",
        "body": "Охорона не пустила журналістку на сесію міської ради.",
        "language": "uk",
        "occurred_on": datetime.date(2019, 2, 25),
        "region_id": kyiv.pk,
    }
    return {
        "slug": "a-record",
        "fields": fields | changes.pop("fields", {}),
        "categories": [beating.pk],
        "status": Incident.Status.PUBLISHED,
        "published_at": EARLIER,
        "victims": [{"name": "Ганна Записна", "is_anonymous": False, "outlet": "Demo Visti"}],
        "sources": [{"url": "https://example.org/a", "title": "A post", "publisher": "Demo Visti"}],
        **changes,
    }


@pytest.mark.django_db
def test_a_record_is_written_once_and_published_by_the_service(kyiv, beating):
    incident, outcome = incident_save_record(**record(kyiv, beating))
    assert outcome == "created"
    incident.refresh_from_db()
    assert (incident.status, incident.published_at) == (Incident.Status.PUBLISHED, EARLIER)
    assert incident.listed_uk and incident.search_document
    assert list(incident.history.order_by("history_id").values_list("status", flat=True)) == [
        "draft",
        "published",
    ]
    assert [v.name for v in incident.victims.all()] == ["Ганна Записна"]
    updated_at = incident.updated_at

    assert incident_save_record(**record(kyiv, beating)) == (incident, "unchanged")
    incident.refresh_from_db()
    assert incident.updated_at == updated_at and incident.history.count() == 2

    _same, outcome = incident_save_record(**record(kyiv, beating, sources=[]))
    assert outcome == "updated" and not incident.sources.exists()


@pytest.mark.django_db
def test_a_public_record_that_now_names_a_withheld_victim_is_refused_and_kept(kyiv, beating):
    incident, _outcome = incident_save_record(**record(kyiv, beating))
    withheld = [{"name": "Ганна Записна", "is_anonymous": True, "outlet": "Demo Visti"}]
    with pytest.raises(ValidationError) as refused:
        incident_save_record(
            **record(
                kyiv, beating, victims=withheld, fields={"body": "Ганна Записна розповіла ІМІ."}
            )
        )
    assert refused.value.error_list[0].code == "personal_data"
    incident.refresh_from_db()
    assert incident.body.startswith("Охорона") and not incident.victims.get().is_anonymous


@pytest.mark.django_db
def test_a_record_moves_between_states_only_through_their_owners(kyiv, beating):
    incident, _outcome = incident_save_record(
        **record(kyiv, beating, status=Incident.Status.ARCHIVED)
    )
    incident.refresh_from_db()
    assert (incident.status, incident.published_at) == (Incident.Status.ARCHIVED, EARLIER)
    assert not incident.listed_uk
    _same, outcome = incident_save_record(**record(kyiv, beating, status=Incident.Status.DRAFT))
    incident.refresh_from_db()
    assert outcome == "updated" and incident.status == Incident.Status.DRAFT
    assert list(incident.history.order_by("history_id").values_list("status", flat=True)) == [
        "draft",
        "published",
        "archived",
        "draft",
    ]


@pytest.mark.django_db
def test_a_record_carries_no_status_of_its_own(kyiv, beating):
    for owned in ({"status": "published"}, {"published_at": EARLIER}, {"listed_uk": True}):
        with pytest.raises(ValueError, match="Not a record's field"):
            incident_save_record(**record(kyiv, beating, fields=owned))
    assert not Incident.objects.exists()


# A record's sources: any list, read again as any other, keeps the row of every address still
# cited (the source archive's copies hang on it), and ends equal to the record.
SOURCE_ADDRESSES = ["https://example.org/a", "https://example.org/b", "https://example.net/c", ""]
source_rows = st.lists(
    st.fixed_dictionaries(
        {"url": st.sampled_from(SOURCE_ADDRESSES), "publisher": st.sampled_from(["A", "Б"])}
    ),
    max_size=5,
)


def pks_by_address(incident):
    rows = incident.sources.exclude(url="").order_by("pk").values_list("url", "pk")
    by_address = {}
    for url, pk in rows:
        by_address.setdefault(url, []).append(pk)
    return by_address


def as_cited(rows):
    return sorted((row["url"], row["publisher"]) for row in rows)


@pytest.mark.django_db
@hsettings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(first=source_rows, second=source_rows)
def test_a_record_read_again_keeps_the_row_of_every_address_still_cited(
    kyiv, beating, first, second
):
    incident, _ = incident_save_record(**record(kyiv, beating, slug="sources", sources=first))
    before = pks_by_address(incident)

    _same, outcome = incident_save_record(**record(kyiv, beating, slug="sources", sources=second))

    assert as_cited(incident.sources.values("url", "publisher")) == as_cited(second)
    after = pks_by_address(incident)
    for url, pks in after.items():
        kept = min(len(pks), len(before.get(url, [])))
        assert pks[:kept] == before.get(url, [])[:kept], url
    if first == second:
        assert outcome == "unchanged"
    if as_cited(first) != as_cited(second):
        assert outcome == "updated"
    Incident.objects.filter(slug="sources").delete()
