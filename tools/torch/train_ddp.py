"""Trains the two-tower model of recsys-wasm (the default preset) with PyTorch's
DistributedDataParallel and writes it in the project's format (model.safetensors + manifest.json),
ready for `build/recsys recommend --model OUT` and `recsys.loadModel()` in the page.

One machine, N processes (gloo, CPU):
    /usr/bin/python3 tools/torch/train_ddp.py --data DIR --out OUT [--nproc 2]
Many machines: start it with torchrun on each, which sets RANK / WORLD_SIZE / MASTER_ADDR:
    torchrun --nnodes 4 --nproc-per-node 8 --rdzv-backend c10d --rdzv-endpoint HOST:29500 \
        tools/torch/train_ddp.py --data DIR --out OUT
See tools/torch/README.md.
"""
import argparse
import json
import os
import socket
import sys
import time

import numpy as np
import torch
import torch.distributed as dist
from torch.nn.parallel import DistributedDataParallel as DDP

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import recsys_torch as rt  # noqa: E402


TRAINING_KEYS = {"epochs", "batch_size", "learning_rate", "anonymous_rate"}  # not seed: it seeds the hashing


def build_examples(feats, train_events):
    """Per training event: user, positive item, and the user's earlier training items (most
    recent first, padded with -1) with their pooling weights — what Trainer::make_batch builds."""
    L = max(feats.cfg["history_length"], 1)
    n = len(train_events)
    users = np.empty(n, dtype=np.int64)
    items = np.empty(n, dtype=np.int64)
    hist = np.full((n, L), -1, dtype=np.int64)
    hist_w = np.zeros((n, L), dtype=np.float32)
    window = 8 * feats.cfg["history_length"] if feats.cfg["history_distinct"] else feats.cfg["history_length"]
    prev_user, past = None, []
    for r, (u, i) in enumerate(train_events):  # grouped by user, in time order
        if u != prev_user:
            prev_user, past = u, []
        users[r], items[r] = u, i
        if feats.cfg["history_length"] > 0:
            sel = feats.select_history(past[-window:] if window else [])
            w = feats.history_weights(len(sel))
            hist[r, :len(sel)] = sel
            hist_w[r, :len(sel)] = w
        past.append(i)
    counts = np.bincount(items, minlength=len(feats.item_ids)).astype(np.float64)
    log_q = np.log(np.maximum(counts, 0.5) / n).astype(np.float32)  # the trainer's log-Q
    return {"users": torch.from_numpy(users), "items": torch.from_numpy(items), "hist": torch.from_numpy(hist),
            "hist_w": torch.from_numpy(hist_w), "log_q": torch.from_numpy(log_q)}


def load_data(args, cfg):
    catalog = rt.read_catalog(os.path.join(args.data, "catalog.csv"))
    item_index = {it["id"]: k for k, it in enumerate(catalog)}
    users, events = rt.read_interactions(os.path.join(args.data, "interactions.csv"), item_index)
    if args.init:
        model, manifest = rt.TwoTower.load(args.init)
        feats = model.feats
        missing = [it["id"] for it in catalog if it["id"] not in feats.item_index]
        if missing:
            raise SystemExit(f"--init {args.init}: {len(missing)} catalog items are not in the model, first '{missing[0]}'")
        remap_i = [feats.item_index[it["id"]] for it in catalog]
        unknown = [u for u in users if u not in feats.user_index]
        if unknown and feats.cfg["user_buckets"] == 0:
            raise SystemExit(f"--init {args.init}: {len(unknown)} users are not in the model (one row per user), first '{unknown[0]}'")
        if unknown:  # hashed users: new ids get their buckets; the table keeps its shape
            feats = rt.Features(feats.cfg, feats.item_ids, feats.item_category, feats.item_brand, feats.item_price,
                                feats.users + unknown, feats.categories, feats.brands, feats.price)
            fresh = rt.TwoTower(feats)
            fresh.load_state_dict(model.state_dict(), strict=False)
            model = fresh
        remap_u = [feats.user_index[u] for u in users]
        events = [(remap_u[u], remap_i[i]) for u, i in events]
        events.sort(key=lambda e: e[0])  # stable: time order within a user is kept
        return model, feats, events
    feats = rt.Features.from_catalog(cfg, catalog, users)
    return None, feats, events


def config_overrides(args):
    """--config and --epochs as one dict; with --init only how training runs may change (the towers
    are the model's). Checked in the launching process, before any worker starts."""
    overrides = json.loads(args.config) if args.config else {}
    if args.epochs:
        overrides["epochs"] = args.epochs
    if args.init:
        fixed = sorted(set(overrides) - TRAINING_KEYS)
        if fixed:
            raise SystemExit(f"--init {args.init}: --config may only change {', '.join(sorted(TRAINING_KEYS))}, "
                             f"not {', '.join(fixed)}")
    return overrides


def worker(rank, world, args, port):
    if port is not None:
        os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port))
    dist.init_process_group("gloo", rank=rank, world_size=world)
    torch.set_num_threads(args.threads)
    overrides = config_overrides(args)
    model, feats, events = load_data(args, rt.make_config(overrides))
    if args.init:
        feats.cfg.update(overrides)
    cfg = feats.cfg
    train, val, _ = rt.leave_last_out(events, len(feats.users))
    ex = build_examples(feats, train)
    torch.manual_seed(cfg["seed"])
    if model is None:
        model = rt.TwoTower(feats)  # DDP broadcasts rank 0's initial weights to every rank
    ddp = DDP(model)
    tables = [t.weight for t in model.tables().values()]
    dense = [p for n, p in model.named_parameters() if not any(p is t for t in tables)]
    lr = cfg["learning_rate"]
    opt_sparse = torch.optim.SparseAdam(tables, lr=lr)  # LazyAdam: only the batch's rows move
    opt_dense = torch.optim.Adam(dense, lr=lr)
    B = cfg["batch_size"]
    n = ex["items"].shape[0]
    steps = n // (B * world)
    if steps == 0:
        raise SystemExit(f"{n} training examples are fewer than one batch of {B} per process on {world} processes")
    anon_gen = torch.Generator().manual_seed(cfg["seed"] * 7919 + rank)
    history, t0 = [], time.time()
    for epoch in range(1, cfg["epochs"] + 1):
        te = time.time()
        # The same permutation on every rank (seeded by the epoch); rank r takes every world-th
        # batch: contiguous slices of one shuffled copy of the examples, no gather per row.
        perm = torch.randperm(n, generator=torch.Generator().manual_seed(cfg["seed"] * 1000 + epoch))
        shard = {k: (v[perm] if k != "log_q" else v) for k, v in ex.items()}
        total = torch.zeros(())
        for s in range(steps):
            a = (s * world + rank) * B
            users = shard["users"][a:a + B].clone()
            if cfg["anonymous_rate"] > 0:
                users[torch.rand(B, generator=anon_gen) < cfg["anonymous_rate"]] = -1
            items = shard["items"][a:a + B]
            loss = ddp(users, shard["hist"][a:a + B], shard["hist_w"][a:a + B], items, ex["log_q"][items])
            opt_sparse.zero_grad(set_to_none=True)
            opt_dense.zero_grad(set_to_none=True)
            loss.backward()
            opt_sparse.step()
            opt_dense.step()
            total += loss.detach()
        dist.all_reduce(total)
        mean = float(total) / (steps * world)
        history.append(mean)
        if rank == 0:
            rate = steps * world * B / (time.time() - te)
            print(f"epoch {epoch}/{cfg['epochs']}: loss {mean:.4f}, {rate:,.0f} examples/s on {world} processes",
                  flush=True)
    if rank == 0:
        model.save(args.out, {
            "dataset": os.path.abspath(args.data), "epochs": cfg["epochs"], "best_epoch": cfg["epochs"],
            "examples_per_epoch": steps * world * B, "final_loss": history[-1], "seconds": time.time() - t0,
            "trained_by": f"PyTorch {torch.__version__} DistributedDataParallel, gloo, {world} processes",
        })
        print(f"wrote {args.out}/model.safetensors and manifest.json", flush=True)
    dist.barrier()
    dist.destroy_process_group()


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", required=True, help="a folder with catalog.csv and interactions.csv")
    p.add_argument("--out", required=True, help="where model.safetensors and manifest.json go")
    p.add_argument("--config", help="JSON overrides of the default preset, as `recsys train --config`")
    p.add_argument("--epochs", type=int, help="epochs (default: the config's)")
    p.add_argument("--init", help="start from this model folder (trained by the project or here)")
    p.add_argument("--nproc", type=int, default=2, help="processes on this machine when not under torchrun")
    p.add_argument("--threads", type=int, default=1, help="intra-op threads per process")
    args = p.parse_args()
    config_overrides(args)  # a refused --config stops here, said once
    if "WORLD_SIZE" in os.environ:  # torchrun (or another launcher) started this process
        worker(int(os.environ["RANK"]), int(os.environ["WORLD_SIZE"]), args, None)
    else:
        torch.multiprocessing.spawn(worker, args=(args.nproc, args, free_port()), nprocs=args.nproc, join=True)


if __name__ == "__main__":
    main()
