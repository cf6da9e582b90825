"""Integration tests use the session-wide real stack from tests/conftest.py (`stack`)."""
