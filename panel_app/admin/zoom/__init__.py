"""Console: an event's Zoom meeting set-up and interpreters (routes attach to the admin blueprint)."""
