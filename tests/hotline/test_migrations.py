"""Public updates written before the case inbox open the conversation after the upgrade."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("hotline", "0008_notification_message_token")]
AFTER = [("hotline", "0009_case_inbox_and_evidence_vault")]


@pytest.mark.production_database
@pytest.mark.django_db(transaction=True)
def test_public_updates_become_staff_messages_and_back():
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    old = executor.loader.project_state(BEFORE).apps
    complaint = old.get_model("hotline", "Complaint").objects.create(
        tracking_code_hash="h" * 64,
        language="uk",
        reporter_name="Олена",
        email="olena@example.org",
        description="Що сталося, досить довго, щоб пройти перевірку довжини опису.",
        consent_processing=True,
    )
    old.get_model("hotline", "PublicUpdate").objects.create(
        complaint_id=complaint.pk, text="Ми звернулися до поліції."
    )

    executor = MigrationExecutor(connection)
    executor.migrate(AFTER)
    new = executor.loader.project_state(AFTER).apps
    message = new.get_model("hotline", "CaseMessage").objects.get()
    assert (message.complaint_id, message.sender, message.text) == (
        complaint.pk,
        "staff",
        "Ми звернулися до поліції.",
    )

    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    old = executor.loader.project_state(BEFORE).apps
    assert old.get_model("hotline", "PublicUpdate").objects.get().text == message.text
    MigrationExecutor(connection).migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())
