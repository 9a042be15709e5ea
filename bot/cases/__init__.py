"""A case: registering it (its private channel and people) and guests' confidentiality."""
