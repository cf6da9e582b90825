"""Sizes the whole app agrees on."""

REPLY_MAX_CHARS = 4000  # an officer's reply
MAX_PAYLOAD_CHARS = 512  # a button's payload
MAX_TITLE_CHARS = 200  # a button's title, stored as what the citizen "said"
MAX_DB_ID = 2**31 - 1  # ids beyond this name nothing (a 404, never a database error)
