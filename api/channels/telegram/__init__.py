"""The Telegram channel (python-telegram-bot): `bot` (updates → gateway → replies), `pusher` (messages written later),
`formatting` (texts, splitting, keyboards), `webhook` (the webhook route)."""
