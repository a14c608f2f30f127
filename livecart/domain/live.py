"""Records of the live room: chat messages, questions and the audience of a show."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from livecart.domain.models import rfc3339


class QuestionStatus(StrEnum):
    OPEN = "open"
    ANSWERED = "answered"
    FEATURED = "featured"


@dataclass(frozen=True)
class ChatMessage:
    id: str
    show_id: str
    viewer_id: str
    name: str
    text: str
    at: datetime

    def public(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "viewer_id": self.viewer_id,
            "name": self.name,
            "text": self.text,
            "at": rfc3339(self.at),
        }


@dataclass(frozen=True)
class Question:
    id: str
    show_id: str
    viewer_id: str
    name: str
    text: str
    votes: int
    status: QuestionStatus
    at: datetime

    def public(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "viewer_id": self.viewer_id,
            "text": self.text,
            "name": self.name,
            "votes": self.votes,
            "status": self.status.value,
            "at": rfc3339(self.at),
        }


@dataclass(frozen=True)
class Audience:
    """Per-show counters: the stats endpoint reads them."""

    current_viewers: int = 0
    peak_viewers: int = 0
    chat_messages: int = 0
    questions: int = 0

    def public(self) -> dict[str, int]:
        return {
            "current_viewers": self.current_viewers,
            "peak_viewers": self.peak_viewers,
            "chat_messages": self.chat_messages,
            "questions": self.questions,
        }


@dataclass(frozen=True)
class ChatSettings:
    """A show's moderation settings, set by its host: they hold on every node."""

    slow_mode_s: float = 0.0
    blocked_words: tuple[str, ...] = ()


def question_rank(question: Question) -> tuple[int, int, str]:
    """Top questions first: featured, then open by votes (older first on ties), answered last."""
    order = {QuestionStatus.FEATURED: 0, QuestionStatus.OPEN: 1, QuestionStatus.ANSWERED: 2}[question.status]
    return (order, -question.votes, question.at.isoformat() + question.id)
