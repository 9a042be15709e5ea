"""The App Home tab (what waits for me, my cases) and `/casus help`: the bot's front door."""
