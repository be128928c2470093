"""Attendance: who came and for how long (Zoom sessions, report import, manual marks)."""
