"""Channel adapters: they turn a messaging platform's updates into gateway calls and deliver the replies.

No conversation logic lives here: every message goes through `api.services.gateway.handle_citizen_message`.
"""
