"""The Zalo Official Account channel: `webhook` (POST /zalo/webhook: signature, age, store, acknowledge), `bot` (the
channel: events → gateway → replies, in the background), `pusher` (officer and system messages written later),
`sending` (Zalo's sending rules: the 48-hour window, 8 messages per citizen message, unfollow), `tokens` (the OA's
token pair: OAuth v4 refresh, once across replicas, encrypted at rest), `api` (the OpenAPI calls), `formatting`
(texts, splitting, buttons)."""
