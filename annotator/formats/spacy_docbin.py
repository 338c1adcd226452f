"""``--format spacy`` and ``--format spacy-textcat``: a ``.spacy`` DocBin that ``spacy train``
reads as it is (``--paths.train FILE``).

``spacy``: one Doc per article and reviewer (``--gold``: per article), its sentences as
sentence boundaries and its labeled sentences as ``doc.spans[KEY]`` (``--spans-key``,
default ``sc``, what spaCy's spancat reads), the reviewer in ``doc.user_data``, and with it
``provenance``: ``[start, end, source, score, suggested]`` for each labeled sentence that has any.
``spacy-textcat``: one Doc per labeled sentence and reviewer (``--gold``: per sentence),
``doc.cats`` one-hot over the project's labels, for spaCy's textcat; its provenance in
``doc.user_data`` as ``source``, ``score`` and ``suggested``.

The tokens are cut at every sentence boundary, so each span is exact (``char_span`` in
``strict`` mode never fails) and ``doc.text`` is the article's text to the character.
spaCy is an optional extra (``pip install 'annotator[spacy]'``), imported only here.

``records`` reads a ``.spacy`` file back (ours or any other DocBin) as the records the
importer already knows: a Doc with span groups as a doccano sequence-labeling row (its
sentence boundaries kept), a Doc with ``cats`` as a doccano text-classification row
(the one sentence of its article again, when it names them as ours does).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from annotator.errors import ExportError, InputError
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
        if item.provenance:
            doc.user_data["provenance"] = [[s, e, *p] for s, e, p in item.marked()]
        out.add(doc)
    data: bytes = out.to_bytes()
    return data


def textcat_docbin(docs: Iterable[Task], *, labels: tuple[str, ...]) -> bytes:
    spacy, DocBin = _spacy()
    nlp = spacy.blank(LANG)
    out = DocBin(store_user_data=True)
    for item in docs:
        for i, (start, end, label) in enumerate(item.spans):
            doc = nlp.make_doc(item.article.text[start:end])
            doc.cats = {name: float(name == label) for name in labels}
            doc.user_data["article_id"] = export_id(item.article.id)
            doc.user_data["start"] = start
            doc.user_data["annotator"] = item.who
            doc.user_data.update(item.trio(i))
            out.add(doc)
    data: bytes = out.to_bytes()
    return data


# A category at this score or above is the Doc's label (spaCy's textcat threshold).
CAT_THRESHOLD = 0.5
NO_CATEGORY = "texts with no category at 0.5 or above: {n}, imported without a label"


def _sentences(doc: Any) -> list[dict[str, int]] | None:
    """The Doc's sentence boundaries as our sentences, without the whitespace spaCy keeps in
    them (a paragraph break is a token of the sentence before it); None if it has none."""
    if not doc.has_annotation("SENT_START"):
        return None
    out = []
    for sent in doc.sents:
        text = sent.text
        start = sent.start_char + len(text) - len(text.lstrip())
        end = sent.end_char - (len(text) - len(text.rstrip()))
        if start < end:
            out.append({"start": start, "end": end})
    return out


def records(data: bytes, where: str) -> list[tuple[dict[str, Any], list[str]]]:
    """One record per Doc of a ``.spacy`` file, for the importer to read as a doccano row,
    with the notes on what it holds but no label for (a negative textcat example)."""
    try:
        import spacy
        from spacy.tokens import DocBin
    except ImportError:
        raise InputError(f"{where}: reading a .spacy file needs spaCy, an optional extra: "
                         f"pip install 'annotator[spacy]' (or pip install spacy)") from None
    try:
        docs = list(DocBin(store_user_data=True).from_bytes(data).get_docs(spacy.blank(LANG).vocab))
    except Exception as exc:  # msgpack, zlib and spaCy each raise their own: any means "not a DocBin"
        raise InputError(f"{where}: not a spaCy DocBin ({type(exc).__name__}); export it again with "
                         f"DocBin.to_disk, or import the texts as .txt or .jsonl") from None
    out: list[tuple[dict[str, Any], list[str]]] = []
    for doc in docs:
        user = doc.user_data if isinstance(doc.user_data, dict) else {}
        rec: dict[str, Any] = {"text": doc.text}
        who = user.get("annotator")
        if isinstance(who, str) and who:
            rec["annotator"] = who
        if doc.cats:
            rec["label"] = sorted(k for k, v in doc.cats.items() if v >= CAT_THRESHOLD)
            notes = [] if rec["label"] else [NO_CATEGORY]
            start = user.get("start")
            if isinstance(user.get("article_id"), str) and type(start) is int:
                rec.update(article_id=user["article_id"], start=start, end=start + len(doc.text))
            rec.update({k: user[k] for k in ("source", "score", "suggested") if k in user})
        else:
            notes = []
            rec["label"] = [[sp.start_char, sp.end_char, sp.label_] for key in sorted(doc.spans)
                            for sp in doc.spans[key]]
            sentences = _sentences(doc)
            if sentences is not None:
                rec["sentences"] = sentences
            marked = user.get("provenance")
            if isinstance(marked, (list, tuple)):  # read as a doccano row's provenance list (msgpack: tuples)
                rec["provenance"] = [dict(zip(("start", "end", "source", "score", "suggested"), m))
                                     for m in marked if isinstance(m, (list, tuple)) and len(m) == 5]
        out.append((rec, notes))
    return out
