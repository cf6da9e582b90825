"""Rasa SDK actions: thin and stateless; they ask the app (over HTTP) and turn answers into messages."""
