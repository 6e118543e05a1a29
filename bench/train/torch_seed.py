"""The seed two-tower model in PyTorch, on the same synthetic shop (CSV written by
`build/recsys generate --out DIR`), one CPU thread. Prints one JSON object.
Usage: /usr/bin/python3 torch_seed.py DIR [epochs]"""
import csv
import json
import math
import resource
import sys
import time

import torch

torch.set_num_threads(1)
torch.manual_seed(42)
folder = sys.argv[1]
epochs = int(sys.argv[2]) if len(sys.argv) > 2 else 3

items, categories, brands = {}, {}, {}
with open(f"{folder}/catalog.csv", newline="") as f:
    for row in csv.DictReader(f):
        c = categories.setdefault(row["category"], len(categories))
        b = brands.setdefault(row["brand"], len(brands))
        items[row["id"]] = (c, b, float(row["price"]))
users, u_idx, c_idx, b_idx, price = {}, [], [], [], []
with open(f"{folder}/interactions.csv", newline="") as f:
    for row in csv.DictReader(f):
        u_idx.append(users.setdefault(row["user"], len(users)))
        c, b, p = items[row["item"]]
        c_idx.append(c)
        b_idx.append(b)
        price.append(p)
U = torch.tensor(u_idx)
C = torch.tensor(c_idx)
B = torch.tensor(b_idx)
P = torch.tensor(price, dtype=torch.float32).unsqueeze(1)
n = len(u_idx)


def embedding(rows, dim):
    e = torch.nn.Embedding(rows, dim)
    torch.nn.init.uniform_(e.weight, -0.05, 0.05)  # Keras' default
    return e


def dense(i, o):
    layer = torch.nn.Linear(i, o)
    torch.nn.init.xavier_uniform_(layer.weight)  # Keras' glorot_uniform
    torch.nn.init.zeros_(layer.bias)
    return layer


user_emb, cat_emb, brand_emb = embedding(len(users), 64), embedding(len(categories), 16), embedding(len(brands), 16)
user_dense, item_dense = dense(64, 128), dense(33, 128)
params = [*user_emb.parameters(), *cat_emb.parameters(), *brand_emb.parameters(), *user_dense.parameters(), *item_dense.parameters()]
opt = torch.optim.Adam(params, lr=1e-3, eps=1e-7)
report = []
for epoch in range(1, epochs + 1):
    order = torch.randperm(n)
    t0 = time.perf_counter()
    loss_sum, steps = 0.0, 0
    for start in range(0, n, 128):
        idx = order[start:start + 128]
        u = torch.relu(user_dense(user_emb(U[idx])))
        i = torch.relu(item_dense(torch.cat([cat_emb(C[idx]), brand_emb(B[idx]), P[idx]], dim=1)))
        logits = u @ i.T
        loss = torch.nn.functional.cross_entropy(logits, torch.arange(len(idx)))
        opt.zero_grad()
        loss.backward()
        opt.step()
        loss_sum += loss.item()
        steps += 1
    report.append({"epoch": epoch, "meanLoss": loss_sum / steps, "seconds": time.perf_counter() - t0, "examples": n})
print(json.dumps({"epochs": report, "torch": torch.__version__, "threads": torch.get_num_threads(),
                  "peakRssBytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024}))
