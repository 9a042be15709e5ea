"""The meeting report (verslag) for the case file: gathered, rendered as Markdown and PDF."""
