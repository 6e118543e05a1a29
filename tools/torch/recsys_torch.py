"""A PyTorch reference of recsys-wasm's two-tower model (the `default` preset).

It computes what docs/model-format.md says the towers compute, reads the project's CSV data
(catalog.csv + interactions.csv, as `recsys generate` writes them), and writes and reads the
project's model files (model.safetensors + manifest.json, format version 1). Covered: hashed or
per-id user and item tables, the decay-weighted history pool, category / brand / price-bucket
embeddings and the log-standardised (or raw) price, ReLU hidden layers, L2-normalised outputs,
the temperature, log-Q correction and accidental-hit masking of the in-batch softmax, anonymous
training examples, and LazyAdam for the tables. Not covered (refused with a clear error): title
words, the attention history encoder, uniform extra negatives.
"""
import bisect
import csv
import datetime
import json
import math
import os

import numpy as np
import torch
import torch.nn.functional as F

import safetensors_io

FORMAT = "recsys-wasm.two-tower"
FORMAT_VERSION = 1
GOLDEN = 0x9E3779B97F4A7C15
MASK64 = (1 << 64) - 1

# core/retrieval/two_tower_config.h, the default preset, key for key.
DEFAULT_CONFIG = {
    "preset": "default", "user_id_dim": 32, "user_buckets": -1, "user_hashes": 2,
    "history_length": 20, "history_decay": 0.8, "history_distinct": False,
    "history_encoder": "pooled", "anonymous_rate": 0.1, "item_id_dim": 32, "item_buckets": -1,
    "item_hashes": 2, "title_dim": 0, "title_buckets": 8192, "category_dim": 8, "brand_dim": 8,
    "price_buckets": 10, "price_bucket_dim": 4, "price_feature": "log_standardized",
    "hidden": [128], "output_dim": 64, "output_relu": False, "l2_normalize": True,
    "temperature": 0.05, "log_q_correction": True, "mask_accidental_hits": True,
    "uniform_negatives": 0, "embedding_optimizer": "lazy_adam", "batch_size": 128,
    "learning_rate": 0.001, "epochs": 10, "seed": 42,
}


def make_config(overrides=None):
    cfg = dict(DEFAULT_CONFIG)
    for k, v in (overrides or {}).items():
        if k not in cfg:
            raise ValueError(f"config: unknown key '{k}' (known: {', '.join(sorted(cfg))})")
        cfg[k] = v
    check_supported(cfg)
    return cfg


def check_supported(cfg):
    problems = []
    if cfg.get("title_dim", 0) != 0:
        problems.append(f"title_dim {cfg['title_dim']} (title words)")
    if cfg.get("history_encoder", "pooled") != "pooled":
        problems.append(f"history_encoder '{cfg['history_encoder']}'")
    if cfg.get("uniform_negatives", 0) != 0:
        problems.append(f"uniform_negatives {cfg['uniform_negatives']}")
    if cfg.get("item_id_dim", 0) == 0 and cfg.get("history_length", 0) > 0:
        problems.append("history_length > 0 with item_id_dim 0")
    if problems:
        raise ValueError("the PyTorch reference does not implement " + ", ".join(problems))


# ---------------------------------------------------------------- hashing (docs/model-format.md)

def _fnv1a(h, data):
    for b in data:
        h = ((h ^ b) * 0x100000001B3) & MASK64
    return h


def bucket(key, k, seed, buckets):
    h = _fnv1a(0xCBF29CE484222325, ((seed + GOLDEN * (k + 1)) & MASK64).to_bytes(8, "little"))
    h = _fnv1a(h, key.encode("utf-8"))
    z = (h + GOLDEN) & MASK64
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK64
    z ^= z >> 31
    return z % buckets


# ---------------------------------------------------------------- data

def _timestamp(text, where):
    t = text.strip()
    try:
        return int(t)
    except ValueError:
        pass
    try:
        d = datetime.datetime.fromisoformat(t.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"{where}: timestamp '{text}' is neither seconds nor ISO 8601") from None
    if d.tzinfo is None:
        d = d.replace(tzinfo=datetime.timezone.utc)
    return int(d.timestamp())


def read_catalog(path):
    """catalog.csv: id, title, category, brand, price (other columns ignored)."""
    items = []
    with open(path, newline="", encoding="utf-8") as f:
        for n, row in enumerate(csv.DictReader(f), start=2):
            try:
                items.append({"id": row["id"], "title": row.get("title", ""), "category": row["category"],
                              "brand": row["brand"], "price": float(row["price"])})
            except (KeyError, ValueError) as e:
                raise ValueError(f"{path}:{n}: bad catalog row ({e})") from None
    if not items:
        raise ValueError(f"{path}: no items")
    return items


def read_interactions(path, item_index):
    """interactions.csv: user, item, event, timestamp. Returns (users in first-seen order, events
    as (user, item) index pairs grouped by user, in time order within a user; ties keep the file's
    order) — the order of the project's Interactions."""
    users, user_index, rows = [], {}, []
    with open(path, newline="", encoding="utf-8") as f:
        for n, row in enumerate(csv.DictReader(f), start=2):
            u = row.get("user", row.get("user_id"))
            i = row.get("item", row.get("item_id"))
            if u is None or i is None:
                raise ValueError(f"{path}:{n}: needs user and item columns")
            if i not in item_index:
                raise ValueError(f"{path}:{n}: item '{i}' is not in the catalog")
            if u not in user_index:
                user_index[u] = len(users)
                users.append(u)
            rows.append((user_index[u], _timestamp(row["timestamp"], f"{path}:{n}"), n, item_index[i]))
    rows.sort(key=lambda r: (r[0], r[1], r[2]))
    return users, [(r[0], r[3]) for r in rows]


def leave_last_out(events, n_users):
    """The project's default training split: each (user, item) pair's first event only, then per
    user with at least 3 the last is test, the one before validation, the rest training."""
    seen = set()
    per_user = [[] for _ in range(n_users)]
    for u, i in events:
        if (u, i) not in seen:
            seen.add((u, i))
            per_user[u].append(i)
    train, val, test = [], [], []
    for u, h in enumerate(per_user):
        if len(h) < 3:
            train += [(u, i) for i in h]
            continue
        train += [(u, i) for i in h[:-2]]
        val.append((u, h[-2]))
        test.append((u, h[-1]))
    return train, val, test


# ---------------------------------------------------------------- features

class Features:
    """Everything the towers read besides the weights: vocabularies, id rows, price features."""

    def __init__(self, cfg, item_ids, item_category, item_brand, item_price, users, categories, brands,
                 price):
        self.cfg = cfg
        self.item_ids, self.users = list(item_ids), list(users)
        self.categories, self.brands = list(categories), list(brands)
        self.item_category, self.item_brand = list(item_category), list(item_brand)
        self.item_price = [float(p) for p in item_price]
        self.price = price
        self.item_index = {s: i for i, s in enumerate(self.item_ids)}
        self.user_index = {s: i for i, s in enumerate(self.users)}
        n = len(self.item_ids)
        logs = [math.log1p(max(p, 0.0)) for p in self.item_price]
        self.item_price_bucket = [bisect.bisect_right(price["boundaries"], x) for x in logs]
        if cfg["price_feature"] == "raw":
            values = self.item_price
        elif cfg["price_feature"] == "none":
            values = [0.0] * n
        else:
            values = [(x - price["log_mean"]) / price["log_std"] for x in logs]
        self.item_price_value = np.asarray(values, dtype=np.float64).astype(np.float32)
        ub, ib = cfg["user_buckets"], cfg["item_buckets"]
        self.user_slots = cfg["user_hashes"] if ub > 0 else 1
        self.item_slots = cfg["item_hashes"] if ib > 0 else 1
        self.anonymous_row = ub if ub > 0 else len(self.users)
        self.user_id_rows = [[bucket(u, k, cfg["seed"] * 2 + 1, ub) if ub > 0 else r for k in range(self.user_slots)]
                             for r, u in enumerate(self.users)]
        self.item_id_rows = [[bucket(s, k, cfg["seed"] * 2 + 2, ib) if ib > 0 else r for k in range(self.item_slots)]
                             for r, s in enumerate(self.item_ids)]

    @staticmethod
    def from_catalog(cfg, catalog, users):
        categories, brands, cat_index, brand_index = [], [], {}, {}
        for it in catalog:
            for key, vocab, index in (("category", categories, cat_index), ("brand", brands, brand_index)):
                if it[key] not in index:
                    index[it[key]] = len(vocab)
                    vocab.append(it[key])
        prices = [it["price"] for it in catalog]
        cfg = dict(cfg)
        if cfg["user_buckets"] < 0:  # TwoTowerModel::resolve_sizes
            b = 1024
            while b < 2 * len(users) and b < (1 << 26):
                b *= 2
            cfg["user_buckets"] = b
        if cfg["item_buckets"] < 0:
            cfg["item_buckets"] = 0 if len(catalog) <= 200000 else (1 << 17)
        return Features(cfg, [it["id"] for it in catalog], [cat_index[it["category"]] for it in catalog],
                        [brand_index[it["brand"]] for it in catalog], prices, users, categories, brands,
                        fit_price(prices, cfg["price_buckets"], cfg["price_feature"]))

    @staticmethod
    def from_manifest(m):
        cfg = dict(DEFAULT_CONFIG)
        cfg.update(m["config"])
        for k in ("title_dim", "uniform_negatives"):
            cfg.setdefault(k, 0)
        check_supported(cfg)
        it = m["items"]
        return Features(cfg, it["ids"], it["category"], it["brand"], it["price"], m["users"], m["categories"],
                        m["brands"], {"feature": m["price"]["feature"], "log_mean": m["price"]["log_mean"],
                                      "log_std": m["price"]["log_std"], "boundaries": m["price"]["boundaries"]})

    def history_weights(self, n):
        """features/history.cpp in float32: decay^k, then divided by their sum."""
        w = np.zeros(n, dtype=np.float32)
        s, p, d = np.float32(0), np.float32(1), np.float32(self.cfg["history_decay"])
        for k in range(n):
            w[k] = p
            s = np.float32(s + p)
            p = np.float32(p * d)
        return (w / s).astype(np.float32) if n else w

    def select_history(self, items):
        """The items a user tower pools from items (oldest first): most recent first, the last
        history_length (distinct ones when history_distinct)."""
        out = []
        for i in reversed(items):
            if len(out) >= self.cfg["history_length"]:
                break
            if self.cfg["history_distinct"] and i in out:
                continue
            out.append(i)
        return out


def fit_price(prices, buckets, feature):
    """PriceFeatures::fit: mean and population std of log(1 + price), quantile boundaries."""
    logs = [math.log1p(max(p, 0.0)) for p in prices]
    mean = sum(logs) / len(logs)
    std = max(math.sqrt(sum((x - mean) ** 2 for x in logs) / len(logs)), 1e-6)
    s = sorted(logs)
    bounds = [s[k * len(s) // buckets] for k in range(1, buckets)] if buckets > 0 else []
    return {"feature": feature, "log_mean": mean, "log_std": std, "boundaries": bounds}


# ---------------------------------------------------------------- the model

class TwoTower(torch.nn.Module):
    """Both towers. Tables are EmbeddingBags (sum) with sparse gradients, so that LazyAdam
    (torch.optim.SparseAdam) moves only the rows a batch touched, as the project's lazy_adam."""

    def __init__(self, feats):
        super().__init__()
        c = feats.cfg
        self.feats = feats
        self.cfg = c
        bag = lambda rows, dim: torch.nn.EmbeddingBag(rows, dim, mode="sum", sparse=True)
        self.user_id = bag((c["user_buckets"] if c["user_buckets"] > 0 else len(feats.users)) + 1, c["user_id_dim"])
        self.item_id = bag((c["item_buckets"] if c["item_buckets"] > 0 else len(feats.item_ids)) + 1,
                           c["item_id_dim"]) if c["item_id_dim"] > 0 else None
        self.category = bag(len(feats.categories) + 1, c["category_dim"]) if c["category_dim"] > 0 else None
        self.brand = bag(len(feats.brands) + 1, c["brand_dim"]) if c["brand_dim"] > 0 else None
        self.price_bucket = bag(c["price_buckets"], c["price_bucket_dim"]) if c["price_buckets"] > 0 else None
        for t in self.tables().values():
            torch.nn.init.uniform_(t.weight, -0.05, 0.05)  # Keras' default embedding initialiser
        u_in = c["user_id_dim"] + (c["item_id_dim"] if c["history_length"] > 0 else 0)
        i_in = (c["item_id_dim"] + c["category_dim"] + c["brand_dim"] +
                (c["price_bucket_dim"] if c["price_buckets"] > 0 else 0) + (0 if c["price_feature"] == "none" else 1))
        self.user_layers = self._tower(u_in)
        self.item_layers = self._tower(i_in)
        self.register_buffer("item_id_rows", torch.tensor(feats.item_id_rows, dtype=torch.long), persistent=False)
        self.register_buffer("user_id_rows", torch.tensor(feats.user_id_rows, dtype=torch.long), persistent=False)
        for name, values in (("item_category", feats.item_category), ("item_brand", feats.item_brand),
                             ("item_price_bucket", feats.item_price_bucket)):
            self.register_buffer(name, torch.tensor(values, dtype=torch.long), persistent=False)
        self.register_buffer("item_price_value", torch.from_numpy(feats.item_price_value.copy()), persistent=False)

    def _tower(self, n_in):
        layers = torch.nn.ModuleList()
        for h in list(self.cfg["hidden"]) + [self.cfg["output_dim"]]:
            lin = torch.nn.Linear(n_in, h)
            torch.nn.init.xavier_uniform_(lin.weight)  # Glorot uniform, zero bias: Keras' Dense
            torch.nn.init.zeros_(lin.bias)
            layers.append(lin)
            n_in = h
        return layers

    def tables(self):
        return {k: getattr(self, k) for k in ("user_id", "item_id", "category", "brand", "price_bucket")
                if getattr(self, k) is not None}

    def _run(self, layers, x):
        for k, lin in enumerate(layers):
            x = lin(x)
            if k + 1 < len(layers) or self.cfg["output_relu"]:
                x = torch.relu(x)
        if self.cfg["l2_normalize"]:
            x = x / x.norm(dim=1, keepdim=True).clamp_min(1e-6)
        return x

    def item_tower(self, items):
        """items: LongTensor [B] of item indices."""
        parts = []
        if self.item_id is not None:
            parts.append(self.item_id(self.item_id_rows[items]))
        if self.category is not None:
            parts.append(self.category(self.item_category[items].unsqueeze(1)))
        if self.brand is not None:
            parts.append(self.brand(self.item_brand[items].unsqueeze(1)))
        if self.price_bucket is not None:
            parts.append(self.price_bucket(self.item_price_bucket[items].unsqueeze(1)))
        if self.cfg["price_feature"] != "none":
            parts.append(self.item_price_value[items].unsqueeze(1))
        return self._run(self.item_layers, torch.cat(parts, dim=1))

    def user_tower(self, users, hist, hist_w):
        """users: [B] (-1 = anonymous); hist: [B, L] item indices most recent first, -1 = none;
        hist_w: [B, L] their pooling weights (0 where none)."""
        B = users.shape[0]
        anon = users < 0
        rows = self.user_id_rows[users.clamp_min(0)]
        rows = torch.where(anon.unsqueeze(1), torch.full_like(rows, self.feats.anonymous_row), rows)
        if self.feats.user_slots > 1:  # an anonymous user reads its row once
            keep = torch.ones_like(rows, dtype=torch.bool)
            keep[:, 1:] = ~anon.unsqueeze(1)
            flat = rows[keep]
            offsets = torch.cat([torch.zeros(1, dtype=torch.long), keep.sum(1).cumsum(0)[:-1]])
            parts = [self.user_id(flat, offsets)]
        else:
            parts = [self.user_id(rows)]
        if self.cfg["history_length"] > 0:
            valid = hist >= 0
            s = self.feats.item_slots
            item_rows = self.item_id_rows[hist.clamp_min(0)]                  # [B, L, s]
            mask = valid.unsqueeze(2).expand(-1, -1, s)
            flat = item_rows[mask]
            weights = hist_w.unsqueeze(2).expand(-1, -1, s)[mask]
            offsets = torch.cat([torch.zeros(1, dtype=torch.long), mask.reshape(B, -1).sum(1).cumsum(0)[:-1]])
            parts.append(self.item_id(flat, offsets, per_sample_weights=weights))
        return self._run(self.user_layers, torch.cat(parts, dim=1))

    def forward(self, users, hist, hist_w, items, log_q):
        """The in-batch softmax loss of core/nn/losses.cpp: logits = U Vᵀ / T − log Q(item), the
        other rows' copies of a row's positive masked, cross-entropy on the diagonal."""
        U = self.user_tower(users, hist, hist_w)
        V = self.item_tower(items)
        logits = U @ V.T / self.cfg["temperature"]
        if self.cfg["log_q_correction"]:
            logits = logits - log_q.unsqueeze(0)
        if self.cfg["mask_accidental_hits"]:
            same = items.unsqueeze(0) == items.unsqueeze(1)
            same.fill_diagonal_(False)
            logits = logits.masked_fill(same, float("-inf"))
        return F.cross_entropy(logits, torch.arange(items.shape[0]))

    # ------------------------------------------------------------ serving

    def encode_queries(self, queries):
        """queries: [(user id or None, [item ids oldest first])] → (users, hist, hist_w)."""
        L = max(self.cfg["history_length"], 1)
        users = torch.full((len(queries),), -1, dtype=torch.long)
        hist = torch.full((len(queries), L), -1, dtype=torch.long)
        hist_w = torch.zeros((len(queries), L), dtype=torch.float32)
        for r, (u, h) in enumerate(queries):
            if u is not None:
                if u not in self.feats.user_index:
                    raise KeyError(f"recommend: unknown user '{u}'")
                users[r] = self.feats.user_index[u]
            idx = []
            for s in h:
                if s not in self.feats.item_index:
                    raise KeyError(f"recommend: unknown item '{s}' in history")
                idx.append(self.feats.item_index[s])
            sel = self.feats.select_history(idx) if self.cfg["history_length"] > 0 else []
            w = self.feats.history_weights(len(sel))
            for k, i in enumerate(sel):
                hist[r, k] = i
                hist_w[r, k] = float(w[k])
        return users, hist, hist_w

    @torch.no_grad()
    def scores(self, queries):
        """[len(queries), n_items] float32: ⟨user tower, item tower⟩ for every item."""
        U = self.user_tower(*self.encode_queries(queries))
        V = self.item_tower(torch.arange(len(self.feats.item_ids)))
        return (U @ V.T).numpy()

    def top(self, queries, k):
        """Per query the k best items as (id, score), ties to the lower index (top_k_exact)."""
        out = []
        for row in self.scores(queries):
            order = np.lexsort((np.arange(len(row)), -row.astype(np.float64)))[:k]
            out.append([(self.feats.item_ids[i], float(row[i])) for i in order])
        return out

    # ------------------------------------------------------------ files

    def tensors(self):
        t = {"user/id_embedding": self.user_id.weight}
        for key, name in (("item_id", "item/id_embedding"), ("category", "item/category_embedding"),
                          ("brand", "item/brand_embedding"), ("price_bucket", "item/price_bucket_embedding")):
            if getattr(self, key) is not None:
                t[name] = getattr(self, key).weight
        for tower, layers in (("user", self.user_layers), ("item", self.item_layers)):
            for k, lin in enumerate(layers):
                t[f"{tower}/dense_{k}/kernel"] = lin.weight.T  # nn.Linear stores [out, in]
                t[f"{tower}/dense_{k}/bias"] = lin.bias
        return {k: v.detach().contiguous().numpy().astype(np.float32) for k, v in t.items()}

    def save(self, out_dir, training):
        os.makedirs(out_dir, exist_ok=True)
        tensors = self.tensors()
        safetensors_io.write(os.path.join(out_dir, "model.safetensors"), tensors,
                             {"format": FORMAT, "format_version": str(FORMAT_VERSION)})
        f, c = self.feats, self.cfg
        manifest = {
            "format": FORMAT, "format_version": FORMAT_VERSION, "preset": c["preset"], "config": c,
            "items": {"ids": f.item_ids, "category": f.item_category, "brand": f.item_brand, "price": f.item_price},
            "users": f.users, "categories": f.categories, "brands": f.brands,
            "hashing": {"function": "fnv1a64(seed_k, utf8 id) -> splitmix64 -> mod buckets",
                        "user": {"buckets": c["user_buckets"], "hashes": f.user_slots, "seed": c["seed"] * 2 + 1},
                        "item": {"buckets": c["item_buckets"], "hashes": f.item_slots, "seed": c["seed"] * 2 + 2}},
            "price": {"feature": c["price_feature"], "log_mean": f.price["log_mean"], "log_std": f.price["log_std"],
                      "boundaries": f.price["boundaries"]},
            "tensors": {k: list(v.shape) for k, v in sorted(tensors.items())},
            "training": training,
        }
        with open(os.path.join(out_dir, "manifest.json"), "w", encoding="utf-8") as fh:
            json.dump(manifest, fh, indent=1)
        # What PyTorch held, tensor by tensor, for the test that reads the file back with the
        # project's reader: dtype, shape and FNV-1a 64 of the little-endian bytes.
        with open(os.path.join(out_dir, "tensors.json"), "w", encoding="utf-8") as fh:
            json.dump({k: {"dtype": "F32", "shape": list(v.shape),
                           "fnv1a64": f"{_fnv1a(0xCBF29CE484222325, v.astype('<f4').tobytes()):016x}"}
                       for k, v in sorted(tensors.items())}, fh, indent=1)
        return tensors

    @staticmethod
    def load(model_dir):
        """A model in the project's format, trained here or by the project."""
        with open(os.path.join(model_dir, "manifest.json"), encoding="utf-8") as fh:
            m = json.load(fh)
        if m.get("format") != FORMAT or m.get("format_version") != FORMAT_VERSION:
            raise ValueError(f"{model_dir}/manifest.json: format {m.get('format')!r} version "
                             f"{m.get('format_version')!r}, expected {FORMAT!r} {FORMAT_VERSION}")
        model = TwoTower(Features.from_manifest(m))
        tensors, _ = safetensors_io.read(os.path.join(model_dir, "model.safetensors"))
        mine = model.tensors()
        names = {k for k in tensors if not k.startswith(("ranking/", "candidate_ranker/"))}
        if names != set(mine):
            raise ValueError(f"{model_dir}/model.safetensors: tensors {sorted(names ^ set(mine))} do not match the config")
        with torch.no_grad():
            params = dict(model.named_parameters())
            for name, value in tensors.items():
                if name not in mine:
                    continue
                if list(value.shape) != list(mine[name].shape):
                    raise ValueError(f"{model_dir}: tensor '{name}' is {list(value.shape)}, expected {list(mine[name].shape)}")
                tower, rest = name.split("/", 1)
                if rest.endswith("/kernel") or rest.endswith("/bias"):
                    layer = int(rest.split("/")[0].split("_")[1])
                    lin = (model.user_layers if tower == "user" else model.item_layers)[layer]
                    target = lin.weight if rest.endswith("kernel") else lin.bias
                    target.copy_(torch.from_numpy(value.T.copy() if rest.endswith("kernel") else value))
                else:
                    key = {"user/id_embedding": "user_id", "item/id_embedding": "item_id",
                           "item/category_embedding": "category", "item/brand_embedding": "brand",
                           "item/price_bucket_embedding": "price_bucket"}[name]
                    params[key + ".weight"].copy_(torch.from_numpy(value))
        return model, m
