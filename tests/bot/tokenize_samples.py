"""Run inside .venv-rasa: tokenize each JSON line of stdin (a string) with the real Rasa component
and print, per line, the tokens as [text, start, end, lemma]. Used by test_vi_tokenizer.py, because
pytest lives in the other venv."""

from __future__ import annotations

import json
import sys

from rasa.shared.nlu.training_data.message import Message

from bot.components.vi_tokenizer import VietnameseTokenizer


def main() -> None:
    tokenizer = VietnameseTokenizer(VietnameseTokenizer.get_default_config())
    for line in sys.stdin:
        message = Message(data={"text": json.loads(line)})
        tokenizer.process([message])
        tokens = message.get("text_tokens")
        print(json.dumps([[t.text, t.start, t.end, t.lemma] for t in tokens], ensure_ascii=False))


if __name__ == "__main__":
    main()
