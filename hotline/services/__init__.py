"""The hotline's writes, a module a topic:

- `intake`: callback requests and complaints arrive (with held files and evidence);
- `desk`: staff move an item's status, log call attempts, set priority, assign;
- `triage`: the timers each status gives (`due_at`, escalation, the overdue rule);
- `inbox`: the case inbox's messages, both ways;
- `consent`: who may be named, the publication check, consent withdrawn, erasure asked;
- `publication`: an incident draft from a complaint, complaints following their incident;
- `outbox`: what staff and reporters are told, queued, delivered, retried, escalated.
"""
