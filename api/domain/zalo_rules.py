"""Zalo's sending rules (the stricter reading where sources differ; docs/channels.md, "Zalo"): a citizen may be
written to only within 48 hours of their last message, with at most 8 messages per citizen message."""

import datetime as dt

WINDOW = dt.timedelta(hours=48)
MAX_PER_CITIZEN_MESSAGE = 8
