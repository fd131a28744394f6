"""Benchmark: the protected-identity check (issue 26) on one article, against 1,000 to 20,000
protected people, beside the search indexing every saved article already gets.

    python bench/identity.py            (or: make bench-identity)

Pure Python, no database: the same functions the publication check runs
(hotline.services.consent._may_be_named, then elsewhere_leaks on the candidates) over generated
Ukrainian names (tests/incidents/names.py), for an article that names nobody protected and
one that names three people with common first names. The baseline, measured in the same
run, is incidents.search.document over the same article: what incidents_index does on
every save. The medians and the ratios are printed and written to bench/results/identity.md;
nothing is asserted about time.
"""

import argparse
import itertools
import os
import random
import statistics
import sys
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
RESULTS = BASE_DIR / "bench" / "results"


def setup() -> None:
    sys.path.insert(0, str(BASE_DIR))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")
    import django

    django.setup()


def median_seconds(work, rounds: int) -> float:
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    setup()
    from hotline.services.consent import Identity, _may_be_named, elsewhere_leaks
    from incidents import identity, search
    from tests.incidents.names import GIVEN, SURNAMES

    random.seed(26)
    given = GIVEN["femn"] + GIVEN["masc"]
    endings = ["", "ко", "ук", "юк", "ич", "ий"]
    names = [f"{g} {s}{e}" for g, s, e in itertools.product(given, SURNAMES, endings)]
    random.shuffle(names)
    paragraph = (
        "Журналістку телеканалу побили біля районного суду в Києві під час зйомки засідання. "
        "Поліція відкрила кримінальне провадження за статтею 171 Кримінального кодексу. "
    )
    plain = [("title", "Побиття журналістки"), ("lead", paragraph), ("body", paragraph * 30)]
    naming = [*plain, ("body2", "Оксана Петренко, Тарас Шевчук і Ірина Коваль розповіли.")]

    def check(texts, people):
        def run():
            identity.read.cache_clear()
            for who in _may_be_named(texts, people):
                elsewhere_leaks(texts, who)

        return run

    def baseline(texts):
        def run():
            search.document(*(text for _field, text in texts))

        return run

    lines = [
        "# The protected-identity check against the search indexing of the same article",
        "",
        "| protected people | article | check (ms) | indexing (ms) | ratio |",
        "| ---: | --- | ---: | ---: | ---: |",
    ]
    for size in (1_000, 5_000, 20_000):
        people = [
            Identity(target="complaint", pk=i, label=f"#{i}", names=(identity.Name.parse(n),))
            for i, n in enumerate(itertools.islice(itertools.cycle(names), size))
        ]
        check(plain, people)()  # the names' keys are computed once per process
        for label, texts in (("names nobody", plain), ("names three people", naming)):
            spent = median_seconds(check(texts, people), args.rounds)
            base = median_seconds(baseline(texts), args.rounds)
            lines.append(
                f"| {size:,} | {label} | {spent * 1000:.1f} | {base * 1000:.1f} "
                f"| {spent / base:.1f}× |"
            )
    report = "\n".join(lines) + "\n"
    print(report)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "identity.md").write_text(report)


if __name__ == "__main__":
    main()
