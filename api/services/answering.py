"""The answer policy, once: a citizen's question (and the conversation's context) → the reply.

- A button payload names the procedure (entity `procedure_id`): answer it.
- After a clarification, words choose among the offered candidates ("cái thứ hai", "cấp đổi").
- A follow-up about an aspect ("thế mất bao lâu?") keeps the current procedure; a new procedure found with
  confidence replaces it. One made only of the aspect and glue words is answered without a search.
- A question worded (nearly) like an FAQ gets the FAQ's own answer.
- A question that names a procedure of the catalogue of others (and none of ours as clearly): no guide here, the
  body that handles it and its official page, even when search would have offered the closest guide; the same,
  offered as the closest procedure, when search finds a catalogue entry clearly closer in meaning than any guide
  and the message names none of ours.
- Close candidates: the one the message names by its title or an alias, else ask which one (buttons). Nothing fits:
  say so, offer an officer, record the question (masked); when the catalogue of other procedures knows it, name the
  body that handles it and link its official page.

Used by the bot's turn (`api/services/bot_turns.py`) and by the staff console's knowledge-base consult, so an
officer sees exactly what a citizen would be told. No FastAPI here.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from api.core.privacy import mask_pii
from api.db.models import UnansweredQuestion
from api.services import kb_store
from knowledge_base import answers, catalogue, vocabulary
from knowledge_base.aspects import default_detector
from knowledge_base.search import Searcher, SearchResponse, SearchResult
from knowledge_base.service import SearchService
from knowledge_base.text import canon_syllable, fold, normalize, syllables

CHOICE_SEARCH_K = 10
OUT_OF_SCOPE_INTENT = "out_of_scope"
SPECIAL_CASE_WORDS = 12  # a question longer than this, or asking no single aspect, may be about a special case
# Words of a follow-up that name no procedure ("thế làm online được không ạ?"): after the aspect's own phrase is
# taken out, a message made only of these keeps the current procedure, whatever search would rank first.
_GLUE_WORDS = (
    "the con vay neu nhu ma thi la lam duoc dc khong ko k hok co can phai nua a ah nhe nhi oi vang da ok "
    "cho toi em minh anh chi bac chu tui hoi xin voi cai nay do viec thu tuc no ban mat het "
    "bao nhieu may lau gi nao sao ra di den nop o tai tren bang qua khi luc ngay gio roi chua "
    "va hay hoac nguoi dan cong ho so giay to ket qua xong dau giai quyet nhung tien gom buoc phap ly")
_FOLLOW_UP_GLUE = frozenset(_GLUE_WORDS.split())
_ORDINALS = [
    (re.compile(r"\b(cuoi|sau cung)\b"), -1),
    (re.compile(r"\b(thu nhat|dau tien|cai dau|so 1|thu 1|mot)\b|^\s*1\s*$"), 0),
    (re.compile(r"\b(thu hai|so 2|thu 2|hai)\b|^\s*2\s*$"), 1),
    (re.compile(r"\b(thu ba|so 3|thu 3|ba)\b|^\s*3\s*$"), 2),
]


@dataclass
class Question:
    """What the bot knows when it answers: the NLU's reading of the message and the conversation's context."""

    text: str
    intent: str = ""
    entities: dict[str, str] = field(default_factory=dict)  # first value of each entity
    procedure_id: str | None = None  # the procedure the conversation is about (slot)
    aspect: str | None = None  # the aspect last answered (slot)
    pending_choices: list[str] = field(default_factory=list)  # candidates offered by a clarification (slot)


@dataclass
class Decision:
    """The reply and what the conversation remembers; `kind` is answer | clarify | none."""

    kind: str
    message: answers.Message
    procedure_id: str | None = None
    aspect: str | None = None
    candidates: list[str] = field(default_factory=list)
    score: float | None = None
    found: SearchResponse | None = None  # the search this decision read, if any

    def slots(self) -> dict[str, Any]:
        """Slot values to set in Rasa's tracker (None clears a slot)."""
        if self.kind == "answer":
            return {"procedure_id": self.procedure_id, "aspect": self.aspect, "pending_choices": None}
        if self.kind == "clarify":
            return {"pending_choices": self.candidates, "aspect": self.aspect}
        return {"pending_choices": None}


def fold_text(text: str) -> str:
    return fold(normalize(text))


def ordinal_choice(text: str, count: int) -> int | None:
    """ "cái thứ hai" → 1; None when the words name no position among `count` choices."""
    folded = fold_text(text)
    for pattern, index in _ORDINALS:
        if pattern.search(folded):
            return index if index < count else None
    return None


def names_no_procedure(text: str) -> bool:
    """A follow-up made of an aspect and glue words only ("làm online được không", "thế phí bao nhiêu ạ")."""
    return all(canon_syllable(word) in _FOLLOW_UP_GLUE for word in default_detector().residue(text))


def mentioned_procedure(question: Question) -> str | None:
    """The procedure the NLU saw named in the message, unless the message is only an aspect and glue words: DIET
    sometimes tags a glue word as a procedure ("thế" in "thế lệ phí bao nhiêu?")."""
    mentioned = question.entities.get("procedure")
    return None if mentioned and names_no_procedure(question.text) else mentioned


def faq_of(hit: SearchResult) -> str | None:
    """The FAQ id when search's best passage for this hit is an FAQ question ("faq:<id>")."""
    return hit.source.removeprefix("faq:") if hit.source.startswith("faq:") else None


_GUIDE_NAMES: dict[str, catalogue.GuideNames] = {}  # by search index content hash


def guide_names(search: SearchService) -> catalogue.GuideNames:
    """The published guides' titles and aliases, as the search index holds them."""
    index = search.index
    if index is None:
        return catalogue.GuideNames([])
    names = _GUIDE_NAMES.get(index.content_hash)
    if names is None:
        names = catalogue.GuideNames((c.procedure_id, c.title if c.source == "title" else c.text)
                                       for c in index.chunks if c.source in ("title", "alias"))
        _GUIDE_NAMES.clear()
        _GUIDE_NAMES[index.content_hash] = names
    return names


def other_procedure(search: SearchService, text: str) -> catalogue.Hit | None:
    """The catalogue's procedure a question names, unless it names one of the guides as clearly (see
    `catalogue.names_other_procedure`)."""
    return catalogue.names_other_procedure(text, guide_names(search)) if text.strip() else None


class Answerer:
    """Decides a reply from the published knowledge base and the search index, on the office's date."""

    def __init__(self, db: Session, search: SearchService, today: dt.date, *, record_unanswered: bool = True,
                 channel: str = "") -> None:
        self.db, self.search, self.today = db, search, today
        self.record_unanswered, self.channel = record_unanswered, channel

    def decide(self, question: Question, found: SearchResponse | None = None) -> Decision:
        aspect = vocabulary.ASPECT_INTENTS.get(question.intent)
        button_choice = question.entities.get("procedure_id")
        mentioned = mentioned_procedure(question)
        if button_choice:
            if aspect is None and question.intent == "choose_option":
                aspect = question.aspect
            return self.answer(button_choice, aspect)
        if question.pending_choices and (chosen := self._choice_by_words(question.text, question.pending_choices)):
            return self.answer(chosen, aspect or question.aspect)
        current = question.procedure_id
        glue_only = names_no_procedure(question.text)
        # "thế phí bao nhiêu ạ?": only an aspect and glue words keep the current procedure whatever search ranks, so
        # no search (its best passage gave these the same replies: 40 procedures × the load script's follow-ups)
        if (found is None and current and not mentioned and glue_only
                and (asked := aspect or Searcher.asked_aspect(question.text))):
            return self.answer(current, asked, question=question.text)
        found = found or self.search.search(question.text, 5)
        aspect = aspect or found.aspect
        top = [r.procedure_id for r in found.results]
        if current and aspect and not mentioned and (found.decision != "answer" or top[0] == current or glue_only):
            faq = faq_of(found.results[0]) if found.decision == "answer" else None
            return self.answer(current, aspect, faq, question.text, found)
        other = other_procedure(self.search, question.text)  # it names a procedure we have no guide for
        if other and not (other.near and found.decision == "answer"):  # a `near` phrase: only when search hesitates
            return self.nothing(question.text, found, other)
        if other is None and (closer := self._closer_other(question.text, found)):  # or means one, in other words
            return self.nothing(question.text, found, closer)
        if found.decision == "answer":
            return self.answer(top[0], aspect, faq_of(found.results[0]), question.text, found)
        if named := self._named_guide(question.text, found):  # search hesitates, the message names one guide
            return self.answer(named, aspect, question=question.text, found=found)
        if question.intent == OUT_OF_SCOPE_INTENT:
            return self.nothing(question.text, found)  # the NLU found no procedure and neither did search
        if found.decision == "clarify" and mentioned:  # the NLU's mention alone may settle it
            by_name = self.search.search(mentioned, 3)
            if by_name.decision == "answer" and by_name.results[0].procedure_id in top[:3]:
                return self.answer(by_name.results[0].procedure_id, aspect, found=found)
        if found.decision == "clarify":
            return self.clarify(found, aspect)
        return self.nothing(question.text, found)

    def answer(self, procedure_id: str, aspect: str | None, faq: str | None = None, question: str = "",
               found: SearchResponse | None = None) -> Decision:
        procedure = kb_store.published_procedure(self.db, procedure_id)
        if procedure is None:  # a stale or forged button: nothing to answer with
            return self.nothing(question, found)
        if aspect not in vocabulary.ASPECTS:
            aspect = None
        message = faq and answers.faq_answer(procedure, faq, question, aspect, self.today)
        if not message:
            hit = next((r for r in found.results if r.procedure_id == procedure_id), None) if found else None
            special = bool(hit and question and (aspect is None or len(question.split()) > SPECIAL_CASE_WORDS))
            part = answers.special_case(procedure, hit.source, hit.matched) if hit and special else None
            message = answers.with_special_case(answers.answer(procedure, aspect, self.today), part, procedure.title)
        score = next((r.score for r in found.results if r.procedure_id == procedure_id), None) if found else None
        return Decision("answer", message, procedure_id=procedure.id, aspect=aspect, score=score, found=found)

    def clarify(self, found: SearchResponse, aspect: str | None) -> Decision:
        shown = found.results[:3]
        titles = kb_store.published_titles(self.db, [r.procedure_id for r in shown])
        candidates = [(r.procedure_id, titles[r.procedure_id]) for r in shown if r.procedure_id in titles]
        return Decision("clarify", answers.clarify(candidates), aspect=aspect,
                        candidates=[pid for pid, _ in candidates], score=shown[0].score if shown else None,
                        found=found)

    def nothing(self, text: str, found: SearchResponse | None, hit: catalogue.Hit | None = None) -> Decision:
        best = found.results[0] if found and found.results else None
        if self.record_unanswered and text.strip():
            self.db.add(UnansweredQuestion(text=mask_pii(text), channel=self.channel,
                                           best_candidate=best.procedure_id if best else None,
                                           score=best.score if best else None))
        # no guide here: point to the body that handles it when the catalogue of other procedures knows it
        hit = hit or (catalogue.search(text) if text.strip() else None) or self._closer_other(text, found)
        message = catalogue.reply(hit) if hit else answers.nothing_found()
        return Decision("none", message, score=best.score if best else None, found=found)

    def _closer_other(self, text: str, found: SearchResponse | None) -> catalogue.Hit | None:
        """The catalogue entry search found clearly closer in meaning than any guide, offered as the closest one
        (never when the message names one of the guides by its title or an alias)."""
        if found is None or found.other is None or guide_names(self.search).named(syllables(text)):
            return None
        return catalogue.closest_hit(found.other.entry_id, found.other.score)

    def _named_guide(self, text: str, found: SearchResponse) -> str | None:
        """Search hesitates (close candidates, or a weak best one) but the message names one of them by its title or
        an alias, as typed: that one. Among clarify candidates exactly one must be named; for "none", the best."""
        shown = [r.procedure_id for r in (found.choices if found.decision == "clarify" else found.results[:1])]
        named = {pid for _, _, pid in guide_names(self.search).named(syllables(text))} & set(shown)
        return named.pop() if len(named) == 1 else None

    def _choice_by_words(self, text: str, pending: list[str]) -> str | None:
        index = ordinal_choice(text, len(pending))
        if index is not None:
            return pending[index]
        found = self.search.search(text, CHOICE_SEARCH_K)
        return next((r.procedure_id for r in found.results if r.procedure_id in pending), None)
