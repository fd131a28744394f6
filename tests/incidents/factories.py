import datetime

import factory
from django.utils import timezone
from factory.django import DjangoModelFactory

from incidents.models import Category, Incident, Region, SourceLink, Victim


class IncidentFactory(DjangoModelFactory):
    class Meta:
        model = Incident
        skip_postgeneration_save = True

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


class VictimFactory(DjangoModelFactory):
    class Meta:
        model = Victim

    incident = factory.SubFactory(IncidentFactory)
    name = factory.Faker("name")
    outlet = "Demo Visti"
    role = "journalist"


class SourceLinkFactory(DjangoModelFactory):
    class Meta:
        model = SourceLink

    incident = factory.SubFactory(IncidentFactory)
    url = factory.Sequence(lambda n: f"https://example.org/source/{n}")
    title = "Source"
