import datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext, override

from incidents.models import Category, Incident, Victim

from .factories import IncidentFactory, TranslationFactory, VictimFactory


def error_fields(excinfo):
    return set(excinfo.value.message_dict)


# --- Incident.clean -----------------------------------------------------------------------


@pytest.mark.django_db
def test_published_incident_needs_a_publication_time():
    incident = IncidentFactory.build(status=Incident.Status.PUBLISHED, published_at=None)
    with pytest.raises(ValidationError) as excinfo:
        incident.clean()
    assert error_fields(excinfo) == {"published_at"}


@pytest.mark.django_db
def test_draft_needs_no_publication_time():
    IncidentFactory.build(draft=True).clean()


@pytest.mark.django_db
def test_incident_abroad_needs_a_country(abroad):
    incident = IncidentFactory.build(region=abroad, country="")
    with pytest.raises(ValidationError) as excinfo:
        incident.clean()
    assert error_fields(excinfo) == {"country"}

    incident.country = "Poland"
    incident.clean()


@pytest.mark.django_db
def test_country_only_for_incidents_abroad(kyiv):
    incident = IncidentFactory.build(region=kyiv, country="Poland")
    with pytest.raises(ValidationError) as excinfo:
        incident.clean()
    assert error_fields(excinfo) == {"country"}


@pytest.mark.django_db
def test_translation_must_be_in_the_other_language():
    original = IncidentFactory(language="uk")
    translation = IncidentFactory.build(translation_of=original, language="uk")
    with pytest.raises(ValidationError) as excinfo:
        translation.clean()
    assert error_fields(excinfo) == {"language"}

    translation.language = "en"
    translation.clean()


@pytest.mark.django_db
def test_translation_of_a_translation_is_refused():
    translation = TranslationFactory()
    second = IncidentFactory.build(translation_of=translation, language="uk")
    with pytest.raises(ValidationError) as excinfo:
        second.clean()
    assert error_fields(excinfo) == {"translation_of"}


@pytest.mark.django_db
def test_incident_cannot_translate_itself():
    incident = IncidentFactory()
    incident.translation_of = incident
    with pytest.raises(ValidationError) as excinfo:
        incident.clean()
    assert "translation_of" in error_fields(excinfo)


@pytest.mark.django_db
def test_original_with_translations_cannot_become_a_translation():
    translation = TranslationFactory()
    original = translation.translation_of
    other = IncidentFactory(language="en")
    original.translation_of = other
    with pytest.raises(ValidationError) as excinfo:
        original.clean()
    assert error_fields(excinfo) == {"translation_of"}


@pytest.mark.django_db
def test_only_one_translation_per_language():
    translation = TranslationFactory()
    second = IncidentFactory.build(
        translation_of=translation.translation_of, language="en", slug="second-english"
    )
    with pytest.raises(ValidationError):
        second.full_clean(exclude=["categories"])


# --- Article body -------------------------------------------------------------------------


@pytest.mark.django_db
def test_body_markdown_is_rendered_on_save():
    incident = IncidentFactory(body="Some **bold** words.\n\n- one\n- two")
    assert "<strong>bold</strong>" in incident.body_html
    assert "<li>one</li>" in incident.body_html


@pytest.mark.django_db
@pytest.mark.parametrize(
    "body, forbidden",
    [
        ("Hi <script>alert('x')</script> there", ["<script", "alert("]),
        ("![photo](https://tracker.example.com/pixel.png)", ["<img", "tracker.example.com"]),
        ('<img src="https://tracker.example.com/p.png">', ["<img", "tracker.example.com"]),
        ('<iframe src="https://video.example.com/embed/1"></iframe>', ["<iframe", "video."]),
        ('<p onerror="alert(1)" onclick="alert(2)">text</p>', ["onerror", "onclick"]),
        ("[click me](javascript:alert(1))", ["javascript:"]),
        ('<a href="javascript:alert(1)">click</a>', ["javascript:"]),
    ],
)
def test_body_html_is_sanitised(body, forbidden):
    html = IncidentFactory(body=body).body_html
    for fragment in forbidden:
        assert fragment not in html


@pytest.mark.django_db
def test_links_in_body_pass_no_referrer():
    html = IncidentFactory(body="Read [the report](https://imi.org.ua/report).").body_html
    assert 'href="https://imi.org.ua/report"' in html
    assert 'rel="noopener noreferrer nofollow"' in html
    assert ">the report</a>" in html


# --- Categories ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_category_under_a_category_is_refused(beating):
    nested = Category(slug="nested", name_uk="Вкладена", name_en="Nested", parent=beating)
    with pytest.raises(ValidationError) as excinfo:
        nested.full_clean()
    assert error_fields(excinfo) == {"parent"}


@pytest.mark.django_db
def test_group_with_categories_cannot_move_under_another_group():
    group = Category.objects.get(slug="physical-aggression")
    group.parent = Category.objects.get(slug="legal-pressure")
    with pytest.raises(ValidationError) as excinfo:
        group.full_clean()
    assert error_fields(excinfo) == {"parent"}


@pytest.mark.django_db
def test_category_under_a_group_is_fine():
    group = Category.objects.get(slug="legal-pressure")
    Category(slug="fines", name_uk="Штрафи", name_en="Fines", parent=group).full_clean()


@pytest.mark.django_db
def test_bilingual_name_follows_the_active_language(beating):
    with override("en"):
        assert str(beating) == "Beating, attack"
    with override("uk"):
        assert str(beating) == "Побиття, напад"


# --- Victims ------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["uk", "en"])
def test_anonymous_victim_public_name_is_withheld(language):
    victim = VictimFactory(name="Olena Secret", is_anonymous=True)
    nameless = VictimFactory(name="")
    with override(language):
        assert str(victim.public_name) == gettext("Name withheld")
        assert str(nameless.public_name) == gettext("Name withheld")
        assert "Olena" not in str(victim)


@pytest.mark.django_db
def test_named_victim_public_name_is_the_name():
    assert VictimFactory(name="Andrii Named").public_name == "Andrii Named"
    assert Victim.objects.count() == 1


# --- published() and for_language() -------------------------------------------------------


@pytest.mark.django_db
def test_published_excludes_drafts_archived_and_scheduled():
    live = IncidentFactory(title="Live")
    IncidentFactory(draft=True)
    IncidentFactory(archived=True)
    IncidentFactory(scheduled=True)
    assert list(Incident.objects.published()) == [live]


@pytest.mark.django_db
def test_scheduled_incident_goes_live_when_its_time_comes():
    incident = IncidentFactory(scheduled=True)
    assert not incident.is_public
    Incident.objects.filter(pk=incident.pk).update(
        published_at=timezone.now() - datetime.timedelta(seconds=1)
    )
    assert list(Incident.objects.published()) == [incident]


@pytest.mark.django_db
def test_translated_story_shows_once_in_each_language():
    translation = TranslationFactory(translation_of__title="Оригінал")
    original = translation.translation_of
    assert list(Incident.objects.published().for_language("uk")) == [original]
    assert list(Incident.objects.published().for_language("en")) == [translation]


@pytest.mark.django_db
def test_english_only_story_shows_in_both_languages():
    english_only = IncidentFactory(language="en", title="Only in English")
    assert list(Incident.objects.published().for_language("uk")) == [english_only]
    assert list(Incident.objects.published().for_language("en")) == [english_only]


@pytest.mark.django_db
def test_draft_translation_leaves_the_original_in_its_place():
    translation = TranslationFactory(draft=True)
    original = translation.translation_of
    assert list(Incident.objects.published().for_language("en")) == [original]
