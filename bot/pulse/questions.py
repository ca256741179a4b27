"""The question bank: one 1-5 agreement statement per outsourcing concern (higher is better),
plus the eNPS question and an optional comment. Admins' own questions join the rotation."""

from __future__ import annotations

from dataclasses import dataclass

from bot.i18n import Translator

# The concerns the seeds list, in the order they rotate.
BUILTIN_IDS: tuple[str, ...] = (
    "job_security", "control", "dynamics", "career", "communication",
    "culture", "roles", "belonging", "training",
)
ENPS = "enps"
LIKERT = range(1, 6)
ENPS_RANGE = range(0, 11)


@dataclass(frozen=True)
class Question:
    id: str
    en: str | None = None  # only for admins' own questions; built-in ones live in the i18n catalog
    ko: str | None = None

    def text(self, t: Translator) -> str:
        if self.en is None:
            return t(f"pulse.questions.{self.id}")
        return (self.ko if t.locale == "ko" and self.ko else self.en)


def bank(config: dict) -> list[Question]:
    """Built-in concerns followed by the team's own questions (from `Team.config["pulse"]`)."""
    own = [Question(q["id"], q["en"], q.get("ko")) for q in config.get("questions") or ()]
    return [Question(qid) for qid in BUILTIN_IDS] + own


def rotation(config: dict, seq: int, per_survey: int) -> list[str]:
    """Question ids of the `seq`-th survey (0-based): a sliding window over the bank, so every
    concern comes back regularly and consecutive surveys ask different ones."""
    ids = [q.id for q in bank(config)]
    per_survey = min(per_survey, len(ids))
    start = (seq * per_survey) % len(ids)
    return [ids[(start + i) % len(ids)] for i in range(per_survey)]


def find(config: dict, question_id: str) -> Question:
    """A question by id; one removed from the YAML since still reads as its id."""
    return next((q for q in bank(config) if q.id == question_id), Question(question_id, question_id))
