"""Prep before a meeting: questions by DM, answers summarised for the regisseurs."""
