from django.dispatch import Signal

# Sent by incidents.services when an incident becomes public. The hotline listens so that a
# complaint turned into this incident is marked published, without incidents knowing of it.
incident_published = Signal()
