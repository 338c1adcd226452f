"""Build tests/data/suggest_eval.jsonl from its readable source, tests/data/suggest_eval_src.txt.

    python bench/make_suggest_eval.py [--check]

The source holds the articles written for the project, one sentence a line with its label
letter (c claim, q quote, b background, s skip), ``~`` for a paragraph break, and the sample
articles by file name with one label letter per sentence.  Each article's text is put
together from its sentences, and its sentences must be exactly what ``annotator.segment``
finds in that text (the app would show the same sentences); a mismatch is an error.
``--check`` only compares the source with the JSON Lines file (exit 1 if they differ).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from annotator.segment import segment  # noqa: E402

SOURCE = ROOT / "tests" / "data" / "suggest_eval_src.txt"
OUTPUT = ROOT / "tests" / "data" / "suggest_eval.jsonl"
LETTERS = {"c": "claim", "q": "quote", "b": "background", "s": "skip"}


def _header(line: str) -> dict[str, str]:
    fields = {}
    for part in line[3:].split():
        key, _, value = part.partition("=")
        fields[key] = value
    return fields


def build(source: str) -> list[dict[str, object]]:
    records: list[dict[str, object]] = []
    blocks: list[tuple[dict[str, str], list[str]]] = []
    for raw in source.splitlines():
        if raw.startswith("#") or (not raw.strip() and not blocks):
            continue
        if raw.startswith("=== "):
            blocks.append((_header(raw), []))
        elif raw.strip():
            blocks[-1][1].append(raw)
    for head, lines in blocks:
        if "sample" in head:
            text = (ROOT / head["sample"]).read_text(encoding="utf-8")
            letters = " ".join(lines).split()
            spans = segment(text)
            if len(letters) != len(spans):
                raise SystemExit(f"{head['sample']}: {len(letters)} labels for {len(spans)} sentences")
            sentences = [[a, b, LETTERS[x]] for (a, b), x in zip(spans, letters)]
            records.append({"id": head["id"], "title": "", "lang": "id", "origin": f"sample: {head['sample']}",
                            "text": text, "sentences": sentences})
            continue
        sep = head.get("sep", "nn").replace("n", "\n")
        paragraphs: list[list[tuple[str, str]]] = [[]]
        for line in lines:
            if line.strip() == "~":
                paragraphs.append([])
                continue
            letter, _, sentence = line.partition(" ")
            if letter not in LETTERS or not sentence.strip():
                raise SystemExit(f"{head['id']}: bad line {line!r}")
            paragraphs[-1].append((LETTERS[letter], sentence.strip()))
        # A skip line (a credit, a tag line) is a line of its own; several in a row are
        # one line each, with single line breaks, as scraped pages have them.
        text = ""
        sentences = []
        last = ""
        for p in paragraphs:
            for k, (label, sentence) in enumerate(p):
                if text:
                    if label == "skip" and last == "skip":
                        text += "\n"
                    elif k == 0 or label == "skip" or last == "skip":
                        text += sep
                    else:
                        text += " "
                sentences.append([len(text), len(text) + len(sentence), label])
                text += sentence
                last = label
        found = [list(s) for s in segment(text)]
        mine = [s[:2] for s in sentences]
        if found != mine:
            extra = [text[a:b] for a, b in found if [a, b] not in mine]
            missing = [text[a:b] for a, b, _ in sentences if [a, b] not in found]
            raise SystemExit(f"{head['id']}: segment() differs\n  it finds: {extra}\n  not: {missing}")
        title = text[sentences[0][0]:sentences[0][1]] if head.get("title") == "1" else ""
        rec: dict[str, object] = {"id": head["id"], "title": title, "lang": head.get("lang", ""),
                                  "origin": "written for the project (fictional people and events)"}
        if head.get("heldout") == "1":
            rec["heldout"] = True
        records.append({**rec, "text": text, "sentences": sentences})
    return records


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args()
    records = build(SOURCE.read_text(encoding="utf-8"))
    data = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records)
    if args.check:
        same = OUTPUT.exists() and OUTPUT.read_text(encoding="utf-8") == data
        print("up to date" if same else f"{OUTPUT} differs from its source: run bench/make_suggest_eval.py")
        raise SystemExit(0 if same else 1)
    OUTPUT.write_text(data, encoding="utf-8")
    counts: dict[str, int] = {}
    for r in records:
        for _, _, lab in r["sentences"]:  # type: ignore[attr-defined]
            counts[lab] = counts.get(lab, 0) + 1
    print(json.dumps({"articles": len(records), "sentences": sum(counts.values()), "labels": counts}))


if __name__ == "__main__":
    main()
