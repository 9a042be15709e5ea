"""Agreements made in a meeting (actions, bodemeisen, samenwerking, afsluitingsplan): recorded,
shown in the one agreements message, reminded of by DM, answered, and escalated."""
