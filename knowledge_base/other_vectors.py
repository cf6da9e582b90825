"""The catalogue of other procedures in vectors: which of them a question is closest to in meaning.

The catalogue's own matching (``catalogue.CatalogueIndex``) needs a name, an alias or a ``near`` phrase in the
question's words; a citizen asking about a lump-sum social-insurance payment or a fishing boat's papers seldom uses
them. Each phrase of each entry (name, official name, aliases, near phrases) is embedded as a passage, once per
embedder (through the embedding cache); a question's vector is compared with them by the searcher, which says when an
entry is clearly closer than any guide (``SearchConfig.other_margin``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from knowledge_base.catalogue import Entry
from knowledge_base.embedders import Embedder


@dataclass(frozen=True)
class OtherVectors:
    entry_ids: tuple[str, ...]  # the entry of each phrase
    vectors: np.ndarray  # one L2-normalised row per phrase

    @classmethod
    def build(cls, entries: Iterable[Entry], embedder: Embedder) -> OtherVectors:
        pairs = [(entry.id, text) for entry in entries for text, _near in entry.phrases()]
        vectors = embedder.embed_passages([text for _, text in pairs])
        return cls(tuple(entry_id for entry_id, _ in pairs), np.asarray(vectors, dtype=np.float32))

    def closest(self, vector: np.ndarray) -> tuple[str, float] | None:
        """The entry whose best phrase is nearest to ``vector``, with that cosine; None for an empty catalogue."""
        if not self.entry_ids:
            return None
        scores = self.vectors @ vector
        best = int(np.argmax(scores))
        return self.entry_ids[best], float(scores[best])
