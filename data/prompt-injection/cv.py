#!/usr/bin/env python3
"""Leave-one-source-file-out cross-validation of the injection model, to choose the
classifier threshold: for each source set of gen.py, train on the others (plus the ordinary
negatives make uses, unless --no-extra) with build/warden train, then run build/warden eval
on the left-out set with a classifier guard at each threshold, and with a parallel
all_must_pass group of prompt_injection + classifier (the OR of both). Prints, pooled over
the folds, recall per family and the false-positive rate per threshold; per fold, the
numbers at --show (default 0.5).

--ordinary: also train once on everything (as make does) and report the false-positive rate
on the ordinary texts never trained on: the tweets gen.py leaves out of ordinary.csv and the
comment-style set tests/data/toxicity_comments.jsonl.

Extra warden train options come from $TRAIN_ARGS (default: the Makefile's --epochs 12 --char-grams 4 --features spans).
Run from the repository root after make and gen.py."""
import csv
import json
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(__file__))
import gen  # noqa: E402

THRESHOLDS = [0.3, 0.4, 0.5, 0.6, 0.7, 0.8]
FAMILIES = ["override", "roleplay", "extraction", "encoding"]
EXTRA = ["data/prompt-injection/ordinary.csv", "data/comments-supplement/comments.csv"]
COMMENTS_TEST = "tests/data/toxicity_comments.jsonl"
WARDEN = os.environ.get("WARDEN", "build/warden")
TRAIN_ARGS = os.environ.get("TRAIN_ARGS", "--epochs 12 --char-grams 4 --features spans").split()


def evaluate(cfg, guard, data):
    out = subprocess.run([WARDEN, "eval", "--config", cfg, "--guardrail", guard, "--data", data, "--json"],
                         check=True, capture_output=True, text=True).stdout
    c = json.loads(out)["confusion"]
    return c["tp"], c["fn"], c["fp"], c["tn"]


def train(tmp, rows, extra):
    path = os.path.join(tmp, "train.csv")
    with open(path, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(["tweet", "class"])
        w.writerows((r["text"], r["label"]) for r in rows)
    model = os.path.join(tmp, "m.model")
    cmd = [WARDEN, "train", "--data", path] + sum((["--data", e] for e in extra), []) + [
        "--text-column", "tweet", "--label-column", "class", "--positive", "injection", "--out", model] + TRAIN_ARGS
    subprocess.run(cmd, check=True, capture_output=True)
    return model


def write_jsonl(path, rows):
    with open(path, "w", encoding="utf-8") as f:
        for r in rows:
            f.write(json.dumps({"text": r["text"], "label": r["label"]}) + "\n")


def write_config(path, model):
    with open(path, "w") as f:
        f.write("providers:\n  - {name: p, type: openai, base_url: \"http://127.0.0.1:9/v1\"}\n"
                "models:\n  - {name: m, targets: [{provider: p, model: x}]}\nguardrails:\n"
                "  - {name: lex, type: prompt_injection, threshold: 0.5, model: none}\n")
        for t in THRESHOLDS:
            n = int(t * 100)
            f.write(f"  - {{name: c{n}, type: classifier, model: \"{model}\", threshold: {t}}}\n")
            f.write(f"  - {{name: or{n}, type: parallel, strategy: all_must_pass, members: [lex, c{n}]}}\n")


def ordinary_fp(tmp, sets, extra):
    """False positives of the full model on ordinary texts it never saw."""
    model = train(tmp, [r for rs in sets.values() for r in rs], extra)
    with open(gen.TWEETS, encoding="utf-8", newline="") as f:
        tweets = [r["tweet"] for i, r in enumerate(csv.DictReader(f)) if i % gen.ORDINARY_STEP != 0]
    with open(COMMENTS_TEST, encoding="utf-8") as f:
        comments = [json.loads(line)["text"] for line in f if line.strip()]
    data = os.path.join(tmp, "ordinary.jsonl")
    write_jsonl(data, [{"text": t, "label": "benign"} for t in tweets + comments])
    cfg = os.path.join(tmp, "cfg.yaml")
    write_config(cfg, model)
    print(f"ordinary texts never trained on ({len(tweets)} tweets + {len(comments)} comments), full model:")
    for t in THRESHOLDS:
        _, _, fp, tn = evaluate(cfg, f"c{int(t * 100)}", data)
        print(f"  c{int(t * 100)}  FP {fp}/{fp + tn} = {fp / (fp + tn):.4f}")


def main():
    extra = [] if "--no-extra" in sys.argv else EXTRA
    show = float(sys.argv[sys.argv.index("--show") + 1]) if "--show" in sys.argv else 0.5
    sets = {p: gen.rows(p) for p in gen.SOURCES}
    names = [f"c{int(t * 100)}" for t in THRESHOLDS] + [f"or{int(t * 100)}" for t in THRESHOLDS]
    # per guard: {family: [tp, fn]}, and benign [fp, tn]
    hits = {n: {f: [0, 0] for f in FAMILIES} for n in names}
    fps = {n: [0, 0] for n in names}
    with tempfile.TemporaryDirectory() as tmp:
        for held in gen.SOURCES:
            model = train(tmp, [r for p in gen.SOURCES if p != held for r in sets[p]], extra)
            cfg = os.path.join(tmp, "cfg.yaml")
            write_config(cfg, model)
            parts = {f: [r for r in sets[held] if r["label"] == "injection" and r["family"] == f] for f in FAMILIES}
            parts["benign"] = [r for r in sets[held] if r["label"] != "injection"]
            line = [f"{os.path.basename(held):26}"]
            for n in names:
                fold = {}
                for part, rows in parts.items():
                    if not rows:
                        continue
                    data = os.path.join(tmp, part + ".jsonl")
                    write_jsonl(data, rows)
                    tp, fn, fp, tn = evaluate(cfg, n, data)
                    fold[part] = (tp, fn, fp, tn)
                    if part == "benign":
                        fps[n][0] += fp
                        fps[n][1] += tn
                    else:
                        hits[n][part][0] += tp
                        hits[n][part][1] += fn
                if n in (f"c{int(show * 100)}", f"or{int(show * 100)}"):
                    rec = "/".join(f"{fold[f][0] / max(1, fold[f][0] + fold[f][1]):.2f}" if f in fold else "-" for f in FAMILIES)
                    fp, tn = fold.get("benign", (0, 0, 0, 0))[2:]
                    line.append(f"{n} {rec} FP {fp}/{fp + tn}")
            print("  ".join(line), flush=True)
        print(f"pooled over {len(gen.SOURCES)} folds: recall " + " / ".join(FAMILIES) + ", false positives on benign")
        for n in names:
            rec = " / ".join(f"{h[0] / max(1, h[0] + h[1]):.3f}" for h in hits[n].values())
            fp, tn = fps[n]
            print(f"  {n:5} {rec}   FP {fp}/{fp + tn} = {fp / (fp + tn):.3f}")
        if "--ordinary" in sys.argv:
            ordinary_fp(tmp, sets, extra)


if __name__ == "__main__":
    main()
