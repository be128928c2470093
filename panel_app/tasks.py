"""Every queue job, gathered so the worker and the web process know the same set.

Jobs live with their feature (`mail/jobs.py`, `zoom/jobs.py`...) and are thin: load by
id, call a service, commit. Import each feature's job module here.
"""
