"""Audit log: recording who did what, and reading it back for admins."""
