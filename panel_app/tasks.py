"""Every queue job, gathered so the worker and the web process know the same set.

Jobs live with their feature (`mail/jobs.py`, `zoom/jobs.py`...) and are thin: load by
id, call a service, commit. Import each feature's job module here.
"""
import panel_app.api.webhooks.jobs  # noqa: E402,F401  (outgoing webhooks: delivery job, sweep, listeners)
import panel_app.mail.jobs  # noqa: E402,F401  (invites, notices, group messages, reminders, reconcile sweep)
import panel_app.privacy.jobs  # noqa: E402,F401  (retention)
import panel_app.zoom.jobs  # noqa: E402,F401  (Zoom registrant sync, webhook processing, attendance import)
import panel_app.zoom.receivers  # noqa: E402,F401  (Zoom listeners of registration and privacy signals)
