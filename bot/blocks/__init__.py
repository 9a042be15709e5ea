"""Block Kit builders: pure functions of data, built with slack_sdk.models (DESIGN §2)."""
