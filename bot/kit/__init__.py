"""What every feature uses: the runtime and its Turn, the wiring and the access guard, ids and
payload refs, texts, common Block Kit helpers, form helpers, the Slack port helpers, the clock.

The kit imports no feature: features import the kit (tests/test_imports.py keeps it so).
"""
