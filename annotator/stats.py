"""Project progress figures, computed from the storage's label counts (no text loaded)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from annotator.sanitize import sanitize_line

if TYPE_CHECKING:
    from annotator.storage import Database


@dataclass(slots=True)
class AnnotatorStats:
    name: str
    labeled: int
    per_label: dict[str, int]
    articles_done: int


@dataclass(slots=True)
class Stats:
    articles: int
    sentences: int
    labels: int
    per_label: dict[str, int]
    annotators: list[AnnotatorStats]

    def to_json(self) -> dict[str, Any]:
        return {
            "articles": self.articles,
            "sentences": self.sentences,
            "labels": self.labels,
            "per_label": self.per_label,
            "annotators": [
                {
                    "name": a.name,
                    "labeled_sentences": a.labeled,
                    "progress": round(a.labeled / self.sentences, 4) if self.sentences else 0.0,
                    "articles_done": a.articles_done,
                    "per_label": a.per_label,
                }
                for a in self.annotators
            ],
        }


def compute(db: Database, extra_annotator: str | None = None) -> Stats:
    """``extra_annotator`` (the current user) is listed even before their first label."""
    infos = db.article_infos()
    names = list(db.scheme.names)
    total_sentences = sum(i.n_sentences for i in infos)
    overall: dict[str, int] = dict.fromkeys(names, 0)
    for counts in db.label_counts().values():
        for label, n in counts.items():
            overall[label] = overall.get(label, 0) + n
    who = db.annotators()
    if extra_annotator and extra_annotator not in who:
        who = sorted([*who, extra_annotator])
    people: list[AnnotatorStats] = []
    for name in who:
        per_article = db.label_counts(name)
        per_label: dict[str, int] = dict.fromkeys(names, 0)
        done = 0
        for info in infos:
            counts = per_article.get(info.id, {})
            n = sum(counts.values())
            if info.n_sentences and n >= info.n_sentences:
                done += 1
            for label, c in counts.items():
                per_label[label] = per_label.get(label, 0) + c
        people.append(AnnotatorStats(name, sum(per_label.values()), per_label, done))
    return Stats(len(infos), total_sentences, sum(overall.values()), overall, people)


def format_text(stats: Stats, db_path: str) -> str:
    def pct(n: int, d: int) -> str:
        return f"{100 * n / d:.0f}%" if d else "0%"

    lines = [
        f"Database:   {sanitize_line(db_path)}",
        f"Articles:   {stats.articles}",
        f"Sentences:  {stats.sentences}",
        f"Labels:     {stats.labels}" + ("  (" + ", ".join(f"{sanitize_line(k)} {v}" for k, v in stats.per_label.items()) + ")" if stats.labels else ""),
    ]
    if stats.annotators:
        lines.append("By annotator:")
        width = max(len(sanitize_line(a.name)) for a in stats.annotators)
        for a in stats.annotators:
            per = ", ".join(f"{sanitize_line(k)} {v}" for k, v in a.per_label.items())
            lines.append(
                f"  {sanitize_line(a.name):<{width}}  {a.labeled}/{stats.sentences} sentences labeled ({pct(a.labeled, stats.sentences)}),"
                f" {a.articles_done}/{stats.articles} articles done; {per}"
            )
    return "\n".join(lines)
