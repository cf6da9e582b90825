"""Rasa SDK actions: thin and stateless; they ask the app (over HTTP) and turn answers into messages."""

from actions import log_masking

log_masking.install()  # before any action logs: the action server's log holds no personal numbers
