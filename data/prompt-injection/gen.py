#!/usr/bin/env python3
"""Writes injection.csv (columns tweet,class so that it trains together with the tweet
corpus and the comment supplement under one --text-column/--label-column) from the labelled
prompt-injection sets in tests/data, all written for Warden by agents of this project.

Every labelled set in the repository is used (blind5 was the blind check until round 6 and
is now training data; the round-6 blind set lives outside the repository). Exact duplicates
(case- and space-insensitive) are dropped.
Rows are shuffled with a fixed seed so that `warden train --holdout 5` (every 5th row of the
first file) is a random 20% split across all families and source files.

class: the family for attacks (override, roleplay, extraction, encoding), benign otherwise.
Run from the repository root: python3 data/prompt-injection/gen.py"""
import csv
import json
import random

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


if __name__ == "__main__":
    main()
