"""Vietnamese tokenizer for Rasa: underthesea word segmentation over normalised syllables.

- Syllables are found on the original text (runs of letters, digits and marks), so every token's
  start/end always points into the message as the citizen typed it.
- underthesea groups syllables into words ("căn cước"); a word becomes one token "căn_cước".
  Text typed without diacritics is not segmented (underthesea's model mis-groups folded text, e.g.
  "lam ho | chieu can"): it stays one token per syllable, whose lemmas equal those of the syllables.
- Token text is the shared normal form (knowledge_base.text.normalize: NFC, lower case, one
  spelling of "uỷ/ủy"); the lemma is its diacritic-folded form, so featurizers that use lemmas see
  "can_cuoc" whether or not the citizen typed diacritics.
- Punctuation and emoji are dropped.
"""

from __future__ import annotations

import unicodedata
from typing import Any

from rasa.engine.graph import ExecutionContext
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.tokenizers.tokenizer import Token, Tokenizer
from rasa.shared.nlu.training_data.message import Message

from knowledge_base.text import fold, has_diacritics, normalize


def syllable_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of each run of letters, digits and combining marks in ``text``."""
    spans: list[tuple[int, int]] = []
    start = None
    for index, char in enumerate(text):
        if unicodedata.category(char)[0] in "LNM":
            if start is None:
                start = index
        elif start is not None:
            spans.append((start, index))
            start = None
    if start is not None:
        spans.append((start, len(text)))
    return spans


def _segment(syllables: list[str]) -> list[str]:
    from underthesea import word_tokenize  # imported lazily: heavy, and only needed when segmenting

    return word_tokenize(" ".join(syllables))


def group_syllables(syllables: list[str], words: list[str]) -> list[tuple[int, int]]:
    """Map segmented words back to syllable index ranges; anything that does not line up stays one
    syllable per token (underthesea may re-split or re-spell text)."""
    groups: list[tuple[int, int]] = []
    i = 0
    for word in words:
        target = fold(word.replace(" ", "").replace("_", ""))
        if not target:
            continue
        j, joined = i, ""
        while j < len(syllables) and len(joined) < len(target):
            joined += fold(syllables[j])
            j += 1
        if joined != target or j == i:
            break
        groups.append((i, j))
        i = j
    groups.extend((k, k + 1) for k in range(i, len(syllables)))
    return groups


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER, is_trainable=False)
class VietnameseTokenizer(Tokenizer):
    """Word-segmenting tokenizer robust to missing diacritics, tone-placement variants and emoji."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {
            "intent_tokenization_flag": False,
            "intent_split_symbol": "_",
            "token_pattern": None,
            "prefix_separator_symbol": None,
            "segment_words": True,  # False: one token per syllable
        }

    @staticmethod
    def supported_languages() -> list[str] | None:
        return ["vi"]

    @classmethod
    def create(cls, config: dict[str, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> VietnameseTokenizer:
        return cls(config)

    def tokenize(self, message: Message, attribute: str) -> list[Token]:
        text = message.get(attribute) or ""
        spans = syllable_spans(text)
        if not spans:
            return [Token(text, 0, lemma=text)]
        syllables = [normalize(text[start:end]) or text[start:end].lower() for start, end in spans]
        if self._config.get("segment_words", True) and len(spans) > 1 and any(map(has_diacritics, syllables)):
            groups = group_syllables(syllables, _segment(syllables))
        else:
            groups = [(k, k + 1) for k in range(len(spans))]
        tokens = []
        for first, last in groups:
            word = "_".join(syllables[first:last])
            tokens.append(Token(word, spans[first][0], spans[last - 1][1], lemma=fold(word)))
        return self._apply_token_pattern(tokens)
