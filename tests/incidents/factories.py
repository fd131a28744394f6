import datetime

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.utils import timezone
from factory.django import DjangoModelFactory

from incidents import services
from incidents.models import Category, Incident, Region, SourceLink, Victim


class IncidentFactory(DjangoModelFactory):
    class Meta:
        model = Incident
        skip_postgeneration_save = True

    class Params:
        draft = factory.Trait(status=Incident.Status.DRAFT, published_at=None)
        archived = factory.Trait(status=Incident.Status.ARCHIVED)
        scheduled = factory.Trait(
            published_at=factory.LazyFunction(lambda: timezone.now() + datetime.timedelta(days=2))
        )

    title = factory.Sequence(lambda n: f"Incident number {n}")
    slug = factory.Sequence(lambda n: f"incident-{n}")
    lead = factory.Faker("sentence", nb_words=12)
    body = factory.Faker("paragraph", nb_sentences=5)
    language = "uk"
    status = Incident.Status.PUBLISHED
    published_at = factory.LazyFunction(lambda: timezone.now() - datetime.timedelta(hours=1))
    occurred_on = factory.LazyAttribute(
        lambda o: timezone.localdate(o.published_at) if o.published_at else timezone.localdate()
    )
    region = factory.LazyFunction(lambda: Region.objects.get(slug="kyiv"))

    @factory.post_generation
    def categories(self, create, extracted, **kwargs):
        if not create:
            return
        if extracted is None:
            extracted = [Category.objects.get(slug="beating")]
        self.categories.set(extracted)

    @factory.post_generation
    def listed(self, create, extracted, **kwargs):
        """What every writer does: the listing flags and the counts follow (the service)."""
        if create:
            services.incidents_refresh(ids=[self.pk])


class TranslationFactory(IncidentFactory):
    """The English version of an existing (Ukrainian) original."""

    translation_of = factory.SubFactory(IncidentFactory)
    language = "en"
    title = factory.LazyAttribute(lambda o: f"{o.translation_of.title} (English)")
    occurred_on = factory.LazyAttribute(lambda o: o.translation_of.occurred_on)
    region = factory.LazyAttribute(lambda o: o.translation_of.region)


class VictimFactory(DjangoModelFactory):
    class Meta:
        model = Victim
        skip_postgeneration_save = True

    incident = factory.SubFactory(IncidentFactory)
    name = factory.Faker("name")
    outlet = "Demo Visti"
    role = "journalist"

    @factory.post_generation
    def indexed(self, create, extracted, **kwargs):
        """The admin saves victims with their incident, then refreshes it (search text)."""
        if create:
            services.incidents_refresh(ids=[self.incident_id])


class SourceLinkFactory(DjangoModelFactory):
    class Meta:
        model = SourceLink

    incident = factory.SubFactory(IncidentFactory)
    url = factory.Sequence(lambda n: f"https://example.org/source/{n}")
    title = "Source"


class UserFactory(DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ["username"]
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda o: f"{o.username}@example.org")
    password = factory.django.Password("a long test password")

    @factory.post_generation
    def permissions(self, create, extracted, **kwargs):
        """permissions=["incidents.view_incident", ...]"""
        if not create or not extracted:
            return
        for dotted in extracted:
            app_label, codename = dotted.split(".")
            self.user_permissions.add(
                Permission.objects.get(content_type__app_label=app_label, codename=codename)
            )
