#!/usr/bin/env python3
"""Prints the English letter-pair cost table of src/guard/injection_cipher.c.

cost[a][b] = round(-3 * log2(P(pair ab))), capped at 63, over the letter pairs of the words (index 26
is the word's edge: [26][x] a word starting with x, [x][26] one ending with x) of
ordinary English committed in the repository: the tweets of data/offensive-language, the comments
of data/comments-supplement and README.md (URLs, @mentions, #tags and entities dropped).
Run from the repository root; paste the output over the table in injection_cipher.c."""
import csv
import math
import re


def words_of(text):
    text = re.sub(r"https?://\S+|@\w+|&\w+;|#\w+", "", text)
    return [w.lower() for w in re.findall(r"[A-Za-z]+", text)]


def main():
    words = []
    with open("data/offensive-language/labeled_data.csv", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            words += words_of(row["tweet"])
    with open("data/comments-supplement/comments.csv", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            words += words_of(row["tweet"])
    with open("README.md", encoding="utf-8") as f:
        words += words_of(f.read())
    count = [[0] * 27 for _ in range(27)]
    total = 0
    for w in words:
        x = [26] + [ord(c) - 97 for c in w] + [26]
        for a, b in zip(x, x[1:]):
            count[a][b] += 1
            total += 1
    print("static const unsigned char pair_cost[27][27] = {")
    for a in range(27):
        row = [min(63, round(-3 * math.log2((count[a][b] + 0.5) / total))) for b in range(27)]
        print("    {" + ", ".join(str(v) for v in row) + "}, /* %s */" % (chr(97 + a) if a < 26 else "edge"))
    print("};")


if __name__ == "__main__":
    main()
