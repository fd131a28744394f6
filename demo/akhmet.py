"""The one real article of the demo (IMI, 27 February 2019), in English and its Ukrainian
translation, from data/akhmet.yaml: wording kept as published."""

from zoneinfo import ZoneInfo

from incidents.models import Incident

from .data import read
from .record import Spec, source_fields, victim_fields

KYIV = ZoneInfo("Europe/Kyiv")


def akhmet_specs(regions: dict) -> list[Spec]:
    article = read("akhmet")
    facts = {
        "occurred_on": article["occurred_on"],
        "occurred_precision": "day",
        "region_id": regions[article["region"]].pk,
        "country": "",
        "perpetrator_type": article["perpetrator_type"],
    }
    victim = article["victim"]
    specs = []
    for language, version in article["versions"].items():
        body = version["body"]
        specs.append(
            Spec(
                slug=version["slug"],
                fields={
                    **facts,
                    "language": language,
                    "title": version["title"],
                    "lead": body[0],
                    "body": "\n\n".join(body),
                    "place": version["place"],
                    "perpetrator_detail": version["perpetrator_detail"],
                },
                categories=article["categories"],
                status=Incident.Status.PUBLISHED,
                published_at=article["published_at"].replace(tzinfo=KYIV),
                victims=[
                    victim_fields(version["victim"], False, victim["outlet"], version["role"])
                    | {"occupation": victim["occupation"], "origin": victim["origin"]}
                ],
                sources=[
                    source_fields(
                        "",
                        source["title"],
                        source["publisher"],
                        source["published_on"],
                        source["independent"],
                        source["victim_account"],
                    )
                    for source in version["sources"]
                ],
                perpetrators=[(article["perpetrator_category"], version["perpetrator"])],
                people=[(victim["sex"], "", None)],
                translation_of=(
                    article["versions"][version["translation_of"]]["slug"]
                    if "translation_of" in version
                    else None
                ),
            )
        )
    return specs


def needs() -> tuple[set[str], set[str]]:
    """The region and the categories it is filed under."""
    article = read("akhmet")
    return {article["region"]}, set(article["categories"])
