#!/usr/bin/env python3
"""Writes injection.csv (columns tweet,class so that it trains together with the tweet
corpus and the comment supplement under one --text-column/--label-column) from the labelled
prompt-injection sets in tests/data, all written for Warden by agents of this project.

Every labelled set in the repository is used (blind5 was the blind check until round 6 and
is now training data; the round-6 blind set lives outside the repository). Exact duplicates
(case- and space-insensitive) are dropped.
Rows are shuffled with a fixed seed so that `warden train --holdout 5` (every 5th row of the
first file) is a random 20% split across all families and source files.

Also writes ordinary.csv: every ORDINARY_STEP-th tweet of data/offensive-language (MIT), all
labelled benign. These ordinary texts (with the comment supplement, which make passes as is)
teach the model that casual second-person text ("your", "you're", slang, insults) is not an
attack: without them about 12% of the tweets scored >= 0.7. The other tweets are never
trained on, so they measure the false-positive rate on ordinary text (cv.py --ordinary).

class: the family for attacks (override, roleplay, extraction, encoding), benign otherwise.
Run from the repository root: python3 data/prompt-injection/gen.py"""
import csv
import json
import random

TWEETS = "data/offensive-language/labeled_data.csv"
ORDINARY_STEP = 25  # every 25th tweet (~990) trains; the rest measure

SOURCES = [
    "tests/data/injection.jsonl",
    "tests/data/injection_heldout.jsonl",
    "tests/data/injection_final.jsonl",
    "tests/data/injection_final2.jsonl",
    "tests/data/injection_dev3.jsonl",
    "tests/data/injection_dev4.jsonl",
    "tests/data/injection_holdout3.jsonl",
    "tests/data/injection_blind4.jsonl",
    "tests/data/injection_blind5.jsonl",
    "tests/data/injection_dev6.jsonl",
    "tests/data/injection_dev6lex.jsonl",
]


def key(text):
    return " ".join(text.lower().split())


def rows(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def main():
    seen, out = set(), []
    for path in SOURCES:
        for r in rows(path):
            k = key(r["text"])
            if k in seen:
                continue
            seen.add(k)
            cls = r["family"] if r["label"] == "injection" else "benign"
            out.append((r["text"], cls))
    random.Random(5).shuffle(out)
    with open("data/prompt-injection/injection.csv", "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(["tweet", "class"])
        w.writerows(out)
    print(f"{len(out)} rows")
    with open(TWEETS, encoding="utf-8", newline="") as f:
        tweets = [r["tweet"] for r in csv.DictReader(f)]
    with open("data/prompt-injection/ordinary.csv", "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(["tweet", "class"])
        w.writerows((t, "benign") for i, t in enumerate(tweets) if i % ORDINARY_STEP == 0)
    print(f"{(len(tweets) + ORDINARY_STEP - 1) // ORDINARY_STEP} ordinary rows")


if __name__ == "__main__":
    main()
