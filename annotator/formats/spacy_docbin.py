"""``--format spacy`` and ``--format spacy-textcat``: a ``.spacy`` DocBin that ``spacy train``
reads as it is (``--paths.train FILE``).

``spacy``: one Doc per article and reviewer (``--gold``: per article), its sentences as
sentence boundaries and its labeled sentences as ``doc.spans[KEY]`` (``--spans-key``,
default ``sc``, what spaCy's spancat reads), the reviewer in ``doc.user_data``.
``spacy-textcat``: one Doc per labeled sentence and reviewer (``--gold``: per sentence),
``doc.cats`` one-hot over the project's labels, for spaCy's textcat.

The tokens are cut at every sentence boundary, so each span is exact (``char_span`` in
``strict`` mode never fails) and ``doc.text`` is the article's text to the character.
spaCy is an optional extra (``pip install 'annotator[spacy]'``), imported only here.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from annotator.errors import ExportError
from annotator.formats.tasks import Task
from annotator.model import export_id

# Multi-language tokenizer rules: no model to download, and Indonesian and English tokenize alike.
LANG = "xx"


def _spacy() -> Any:
    try:
        import spacy
        from spacy.tokens import DocBin
    except ImportError:
        raise ExportError(
            "--format spacy needs spaCy, an optional extra: pip install 'annotator[spacy]' (or pip install spacy)"
        ) from None
    return spacy, DocBin


def _aligned(nlp: Any, text: str, cuts: set[int]) -> Any:
    """A Doc of ``text`` whose tokens begin and end at every offset in ``cuts``."""
    from spacy.tokens import Doc

    words: list[str] = []
    spaces: list[bool] = []
    bounds = sorted({0, len(text), *(c for c in cuts if 0 < c < len(text))})
    for a, b in zip(bounds, bounds[1:]):
        for tok in nlp.tokenizer(text[a:b]):
            words.append(tok.text)
            spaces.append(bool(tok.whitespace_))
    doc = Doc(nlp.vocab, words=words, spaces=spaces)
    assert doc.text == text
    return doc


def docbin(docs: Iterable[Task], *, spans_key: str) -> bytes:
    spacy, DocBin = _spacy()
    nlp = spacy.blank(LANG)
    out = DocBin(store_user_data=True)
    for item in docs:
        art = item.article
        cuts = {c for s in art.sentences for c in (s.start, s.end)}
        doc = _aligned(nlp, art.text, cuts)
        starts = {s.start for s in art.sentences}
        for tok in doc:
            tok.is_sent_start = tok.idx in starts or tok.i == 0
        spans = []
        for start, end, label in item.spans:
            span = doc.char_span(start, end, label=label, alignment_mode="strict")
            assert span is not None, (start, end)
            spans.append(span)
        doc.spans[spans_key] = spans
        doc.user_data["article_id"] = export_id(art.id)
        doc.user_data["annotator"] = item.who
        out.add(doc)
    data: bytes = out.to_bytes()
    return data


def textcat_docbin(docs: Iterable[Task], *, labels: tuple[str, ...]) -> bytes:
    spacy, DocBin = _spacy()
    nlp = spacy.blank(LANG)
    out = DocBin(store_user_data=True)
    for item in docs:
        for start, end, label in item.spans:
            doc = nlp.make_doc(item.article.text[start:end])
            doc.cats = {name: float(name == label) for name in labels}
            doc.user_data["article_id"] = export_id(item.article.id)
            doc.user_data["start"] = start
            doc.user_data["annotator"] = item.who
            out.add(doc)
    data: bytes = out.to_bytes()
    return data
