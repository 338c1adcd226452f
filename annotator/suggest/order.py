"""``label --order uncertain``: the articles the model is least sure of, first.

An article's uncertainty is the mean, over the sentences the reviewer has not decided, of
one minus the model's probability of its likeliest label: where the model is least sure is
where a reviewer's label teaches it most (uncertainty sampling, as in Prodigy's
``textcat.teach``).  Articles the reviewer has finished keep their order, after the rest.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from annotator.errors import AnnotatorError
from annotator.suggest.base import Example, sentences_of

if TYPE_CHECKING:
    from annotator.storage import Database
    from annotator.suggest.model import TrainedModel


def project_examples(db: Database) -> list[Example]:
    """Every reviewer's labels, as examples (a damaged article is left out)."""
    out: list[Example] = []
    for info in db.article_infos():
        try:
            labels = db.labels(info.id)
            if not labels:
                continue
            article = db.get_article(info.id)
        except AnnotatorError:
            continue
        index = {(s.start, s.end): i for i, s in enumerate(article.sentences)}
        sentences = sentences_of(article)
        out.extend(Example(sentences[index[(lab.start, lab.end)]], lab.label) for lab in labels
                   if (lab.start, lab.end) in index)
    return out


def uncertain_first(db: Database, annotator: str, model: TrainedModel,
                    progress: Callable[[int], None] | None = None) -> list[str]:
    """The article ids, the reviewer's unfinished ones by the model's uncertainty (most
    uncertain first), then the finished ones in their order."""
    scored: list[tuple[float, int, str]] = []
    done: list[str] = []
    for n, info in enumerate(db.article_infos()):
        if progress is not None:
            progress(n + 1)
        try:
            article = db.get_article(info.id)
            mine = {(lab.start, lab.end) for lab in db.labels(info.id, annotator)}
        except AnnotatorError:
            done.append(info.id)  # shown as unavailable, where it was
            continue
        todo = [s for s in sentences_of(article) if (s.start, s.end) not in mine]
        if not todo:
            done.append(info.id)
            continue
        probs = model.predict(todo)
        scored.append((sum(1.0 - p for _, p in probs) / len(probs), n, info.id))
    scored.sort(key=lambda t: (-t[0], t[1]))
    return [aid for _, _, aid in scored] + done
