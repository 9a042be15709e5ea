"""The case's record: the meeting report (verslag) as Markdown and PDF, and the timeline."""
