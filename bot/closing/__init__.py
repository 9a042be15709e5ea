"""A safe close, aftercare and reopening (issue 16 point 4)."""
