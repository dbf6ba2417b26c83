#!/usr/bin/env python3
"""Leave-one-source-file-out cross-validation of the injection model, to choose the
classifier threshold: for each source
set of gen.py, train on the others (plus the tweet and comment negatives unless
--no-extra) with build/warden train, then run build/warden eval on the left-out set with a
classifier guard at each threshold, and with a parallel all_must_pass group of
prompt_injection + classifier (the OR of both). Extra warden train options come from $TRAIN_ARGS. Prints recall and FP rate per threshold,
pooled over the folds. Run from the repository root after make."""
import csv
import json
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(__file__))
import gen  # noqa: E402

THRESHOLDS = [0.2, 0.3, 0.4, 0.5, 0.6, 0.7]
EXTRA = ["data/offensive-language/labeled_data.csv", "data/comments-supplement/comments.csv"]
WARDEN = os.environ.get("WARDEN", "build/warden")


def evaluate(cfg, guard, data):
    out = subprocess.run([WARDEN, "eval", "--config", cfg, "--guardrail", guard, "--data", data, "--json"],
                         check=True, capture_output=True, text=True).stdout
    c = json.loads(out)["confusion"]
    return c["tp"], c["fn"], c["fp"], c["tn"]


def main():
    extra = [] if "--no-extra" in sys.argv else EXTRA
    sets = {p: gen.rows(p) for p in gen.SOURCES}
    names = [f"c{int(t * 100)}" for t in THRESHOLDS] + [f"or{int(t * 100)}" for t in THRESHOLDS]
    total = {n: [0, 0, 0, 0] for n in names}
    with tempfile.TemporaryDirectory() as tmp:
        for held in gen.SOURCES:
            train = os.path.join(tmp, "train.csv")
            with open(train, "w", encoding="utf-8", newline="") as f:
                w = csv.writer(f)
                w.writerow(["tweet", "class"])
                for p in gen.SOURCES:
                    if p != held:
                        w.writerows((r["text"], r["label"]) for r in sets[p])
            model = os.path.join(tmp, "m.model")
            cmd = [WARDEN, "train", "--data", train] + sum((["--data", e] for e in extra), []) + [
                "--text-column", "tweet", "--label-column", "class", "--positive", "injection",
                "--out", model] + os.environ.get("TRAIN_ARGS", "").split()
            subprocess.run(cmd, check=True, capture_output=True)
            test = os.path.join(tmp, "test.jsonl")
            with open(test, "w", encoding="utf-8") as f:
                for r in sets[held]:
                    f.write(json.dumps({"text": r["text"], "label": r["label"]}) + "\n")
            cfg = os.path.join(tmp, "cfg.yaml")
            with open(cfg, "w") as f:
                f.write("providers:\n  - {name: p, type: openai, base_url: \"http://127.0.0.1:9/v1\"}\n"
                        "models:\n  - {name: m, targets: [{provider: p, model: x}]}\nguardrails:\n"
                        "  - {name: lex, type: prompt_injection, threshold: 0.5}\n")
                for t in THRESHOLDS:
                    n = int(t * 100)
                    f.write(f"  - {{name: c{n}, type: classifier, model: \"{model}\", threshold: {t}}}\n")
                    f.write(f"  - {{name: or{n}, type: parallel, strategy: all_must_pass, members: [lex, c{n}]}}\n")
            line = [os.path.basename(held)]
            for n in names:
                tp, fn, fp, tn = evaluate(cfg, n, test)
                for i, v in enumerate((tp, fn, fp, tn)):
                    total[n][i] += v
                if n in ("c50", "or50"):
                    line.append(f"{n} R {tp / max(tp + fn, 1):.3f} FP {fp}/{fp + tn}")
            print("  ".join(line), flush=True)
    for n in names:
        tp, fn, fp, tn = total[n]
        print(f"{n:6} recall {tp / (tp + fn):.3f}  FP {fp}/{fp + tn} = {fp / (fp + tn):.3f}")


if __name__ == "__main__":
    main()
