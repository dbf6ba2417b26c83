"""Shared writer for the prompt-injection labelled sets (gen_injection_*.py)."""
import base64
import json
import os


def b64(s):
    return base64.b64encode(s.encode()).decode()


def write_set(name, families, benign):
    """Writes tests/data/NAME: one {"text","label","family"} line per text.
    families: (family, texts) pairs of attacks; benign: ordinary texts."""
    rows = []
    for fam, texts in families:
        rows += [{"text": t, "label": "injection", "family": fam} for t in texts]
    rows += [{"text": t, "label": "benign", "family": "benign"} for t in benign]
    with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), name), "w", encoding="utf-8") as f:
        for r in rows:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")
