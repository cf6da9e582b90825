"""End-to-end evaluation through the REST channel: `python -m api.cli eval-chat FILE.jsonl` (see `command.py`).

Each question goes to `POST /api/v1/chat` in a fresh conversation; only what that response returns is judged
(`classify.py`), then counted overall and by tag (`report.py`).
"""
