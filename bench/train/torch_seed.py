"""The seed two-tower model in PyTorch, on the same synthetic shop (CSV written by
`build/recsys generate --out DIR`), written as PyTorch's own guides write a CPU training loop:
the examples permuted once per epoch into contiguous tensors (each batch a slice: a view, no
gather per step), zero_grad(set_to_none=True), and no host sync per step (the loss is summed as a
tensor and read once per epoch). Prints one JSON object.
Usage: /usr/bin/python3 torch_seed.py DIR [epochs] [threads]"""
import csv
import json
import math
import resource
import sys
import time

import torch

folder = sys.argv[1]
epochs = int(sys.argv[2]) if len(sys.argv) > 2 else 3
threads = int(sys.argv[3]) if len(sys.argv) > 3 else 1
torch.set_num_threads(threads)
torch.manual_seed(42)

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
labels = torch.arange(128)
for epoch in range(1, epochs + 1):
    t0 = time.perf_counter()
    order = torch.randperm(n)
    Ue, Ce, Be, Pe = U[order], C[order], B[order], P[order]  # contiguous, once per epoch
    loss_sum, steps = torch.zeros(()), 0
    for start in range(0, n, 128):
        u_ids, c_ids, b_ids, p = Ue[start:start + 128], Ce[start:start + 128], Be[start:start + 128], Pe[start:start + 128]
        u = torch.relu(user_dense(user_emb(u_ids)))
        i = torch.relu(item_dense(torch.cat([cat_emb(c_ids), brand_emb(b_ids), p], dim=1)))
        logits = u @ i.T
        m = logits.shape[0]
        loss = torch.nn.functional.cross_entropy(logits, labels[:m] if m < 128 else labels)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        loss_sum += loss.detach()
        steps += 1
    report.append({"epoch": epoch, "meanLoss": loss_sum.item() / steps, "seconds": time.perf_counter() - t0, "examples": n})
print(json.dumps({"epochs": report, "torch": torch.__version__, "threads": torch.get_num_threads(),
                  "peakRssBytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024}))
