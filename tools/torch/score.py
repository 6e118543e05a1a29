"""Scores queries with a model in the project's format, in PyTorch:
    /usr/bin/python3 tools/torch/score.py --model DIR --queries FILE [--k 10] [--out FILE]
FILE: {"queries": [{"user": id or null, "history": [item ids, oldest first]}]} (an expected.json
works too). Prints {"queries": [{"user", "history", "top": [{"item", "score"}]}]}: each query's k
best items by ⟨user tower, item tower⟩, ties to the lower item index — what the project's
Model.recommend() and top_items() return.
"""
import argparse
import json
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import recsys_torch as rt  # noqa: E402


def score(model_dir, queries, k):
    model, _ = rt.TwoTower.load(model_dir)
    model.eval()
    tops = model.top([(q.get("user"), q.get("history", [])) for q in queries], k)
    return [{"user": q.get("user"), "history": q.get("history", []),
             "top": [{"item": i, "score": s} for i, s in top]} for q, top in zip(queries, tops)]


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", required=True)
    p.add_argument("--queries", required=True)
    p.add_argument("--k", type=int, default=10)
    p.add_argument("--out")
    a = p.parse_args()
    torch.set_num_threads(1)
    with open(a.queries, encoding="utf-8") as f:
        queries = json.load(f)["queries"]
    text = json.dumps({"queries": score(a.model, queries, a.k)}, indent=1)
    if a.out:
        with open(a.out, "w", encoding="utf-8") as f:
            f.write(text + "\n")
    else:
        print(text)


if __name__ == "__main__":
    main()
