import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from tests.incidents.test_views import rich_incidents
@pytest.mark.django_db
def test_show(client):
    rich_incidents(5)
    with CaptureQueriesContext(connection) as c:
        client.get("/incidents/?region=kyiv&group=physical-aggression")
    for q in c.captured_queries: print(q["sql"][:300]); print()
    with CaptureQueriesContext(connection) as c:
        client.get("/incidents/incident-2/")
    print(len(c))
