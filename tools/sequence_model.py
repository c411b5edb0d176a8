"""A small torch next-basket model: a customer's orders in time order -> scores for the items bought next.

Each order is the mean of its items' embeddings and a GRU reads the orders in time order; to its state is
added the mean embedding of everything bought so far (a second table), since for most customers (median two
orders) what they hold says more than the order in which they bought it. A linear layer scores every item.

Training uses every prefix of every customer's order sequence: after order ``t`` the target is the items of
the next ``horizon`` orders the customer had not bought yet, as a distribution under a full softmax over the
items, with the items already bought masked out, as they are when recommending. Each order of two or more
items also gives one pseudo-sequence (a random half of it, then the other half): without those, customers
with a single order, and what is bought together, teach the model nothing. The settings were chosen on a
validation split inside the training period (``python -m benchmarks.recommend_eval --validate``).

Weights are cached under ``<home>/models`` keyed by the training lines and the settings, so a second fit is a
load; ``cached_or_training`` trains in a background thread instead, for a tool that must answer now.
``benchmarks/recommend_eval.py`` compares the model with the recommender blend on a time split.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import tempfile
import threading
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from torch import nn

# Bumped when the model or its training changes, so weights cached by an older version are not loaded.
MODEL_VERSION = 1
# Background trainings of this process by cache path, so a second call while one runs does not start another.
_training: dict[Path, threading.Thread] = {}
_training_lock = threading.Lock()


@dataclass(frozen=True)
class SequenceConfig:
    """Model size and training settings (all part of the cache key)."""

    dim: int = 64
    epochs: int = 20
    batch_size: int = 32
    lr: float = 3e-3
    # Strong regularisation: about 10k next-order examples for 4k items overfit within a few epochs.
    dropout: float = 0.5
    weight_decay: float = 0.1
    horizon: int = 3  # orders after a prefix whose new items are its target
    max_baskets: int = 50  # the last orders of a long history; older ones only count as already bought
    seed: int = 0


@dataclass
class Batch:
    """Histories padded to ``steps`` orders with empty ones, as EmbeddingBag inputs."""

    shape: tuple[int, int]  # (histories, steps)
    orders: tuple[torch.Tensor, torch.Tensor]  # (items, offsets) of every order
    firsts: tuple[torch.Tensor, torch.Tensor]  # (items, offsets) of the items first bought in each order
    first_counts: torch.Tensor  # (histories, steps) how many items were first bought in each order


class NextBasketNet(nn.Module):
    """Orders (bags of item ids) -> GRU state + mean of items so far -> logits over all items."""

    def __init__(self, n_items: int, config: SequenceConfig):
        super().__init__()
        self.orders = nn.EmbeddingBag(n_items, config.dim, mode="mean")
        self.held = nn.EmbeddingBag(n_items, config.dim, mode="sum")
        self.gru = nn.GRU(config.dim, config.dim, batch_first=True)
        self.drop = nn.Dropout(config.dropout)
        self.out = nn.Linear(config.dim, n_items)

    def states(self, batch: Batch) -> torch.Tensor:
        """The state after each order, shape (histories, steps, dim)."""
        orders = self.orders(*batch.orders).view(*batch.shape, -1)
        hidden, _ = self.gru(self.drop(orders))
        held = self.held(*batch.firsts).view(*batch.shape, -1).cumsum(dim=1)
        counts = batch.first_counts.cumsum(dim=1).clamp(min=1).unsqueeze(-1)
        return self.drop(hidden + held / counts)


@dataclass
class SequenceModel:
    """A trained next-basket model over ``items`` (the item ids in index order)."""

    items: list[str]
    net: NextBasketNet
    config: SequenceConfig

    def scores(self, history: list[list[int]]) -> np.ndarray:
        """Logits for every item after ``history`` (orders of item indices, oldest first); -inf if bought."""
        self.net.eval()
        window = history[-self.config.max_baskets :]
        with torch.no_grad():
            state = self.net.states(_encode([window]))[0, -1]
            logits = self.net.out(state).numpy().astype(np.float64)
        logits[[i for order in history for i in order]] = -np.inf
        return logits

    def relative(self, history: list[list[int]]) -> np.ndarray:
        """Each item's next-order probability relative to the likeliest item (0..1); 0 for bought items."""
        logits = self.scores(history)
        finite = np.isfinite(logits)
        out = np.zeros(len(logits))
        out[finite] = np.exp(logits[finite] - logits[finite].max())
        return out


def customer_histories(lines: pd.DataFrame, items: list[str]) -> dict[str, list[list[int]]]:
    """Customer id -> their orders in time order, each a sorted list of item indices into ``items``."""
    known = lines.dropna(subset=["customer_id"])
    known = known.assign(index=pd.Index(items).get_indexer(known["item"]))
    known = known[known["index"] >= 0]
    orders = (
        known.groupby(["customer_id", "basket_id"], sort=False)
        .agg(ts=("ts", "min"), items=("index", lambda s: sorted(set(s))))
        .reset_index()
        .sort_values(["customer_id", "ts", "basket_id"])
    )
    return orders.groupby("customer_id", sort=True)["items"].apply(list).to_dict()


def load_or_fit(
    lines: pd.DataFrame,
    models_dir: Path,
    config: SequenceConfig | None = None,
    show_progress: bool | None = None,
) -> tuple[SequenceModel, bool]:
    """The model for ``lines`` from the cache in ``models_dir``, or trained and saved there.

    ``lines`` has columns basket_id, item, customer_id and ts (as from ``load_baskets``); the item vocabulary
    is every item in it, sorted, the order of ``Recommender.items``.

    Returns:
        (model, trained_now).
    """
    config = config or SequenceConfig()
    path = model_path(lines, models_dir, config)
    if path.exists():
        return _load(path, config), False
    items = sorted(lines["item"].unique())
    model = fit(items, customer_histories(lines, items), config, show_progress)
    _save(model, path)
    return model, True


def cached_or_training(lines: pd.DataFrame, models_dir: Path) -> SequenceModel | None:
    """The cached model for ``lines``, or None while a background thread of this process trains and saves it.

    The thread is not a daemon: a one-shot command that answered without the model still finishes training
    (with the progress bar on a terminal) before it exits, so the next call finds the cache warm.
    """
    path = model_path(lines, models_dir, SequenceConfig())
    if path.exists():
        return _load(path, SequenceConfig())
    with _training_lock:
        if path not in _training or not _training[path].is_alive():
            _training[path] = threading.Thread(
                target=load_or_fit, args=(lines, models_dir), name="sequence-model-training"
            )
            _training[path].start()
    return None


def wait_for_training(timeout: float | None = None) -> None:
    """Block until this process's background trainings have finished (or ``timeout`` seconds each)."""
    with _training_lock:
        threads = list(_training.values())
    for thread in threads:
        thread.join(timeout)


def model_path(lines: pd.DataFrame, models_dir: Path, config: SequenceConfig) -> Path:
    items = sorted(lines["item"].unique())
    return Path(models_dir) / f"sequence_{cache_key(lines, items, config)}.pt"


def cache_key(lines: pd.DataFrame, items: list[str], config: SequenceConfig) -> str:
    """A hash of the (customer, order, item, ts) lines (in any row order), the items and the settings."""
    content = lines[["customer_id", "basket_id", "item", "ts"]]
    rows = np.sort(pd.util.hash_pandas_object(content, index=False).to_numpy())
    digest = hashlib.blake2b(rows.tobytes(), digest_size=12)
    digest.update(json.dumps([MODEL_VERSION, asdict(config), items]).encode())
    return digest.hexdigest()


def fit(
    items: list[str],
    histories: dict[str, list[list[int]]],
    config: SequenceConfig,
    show_progress: bool | None = None,
) -> SequenceModel:
    """Train on every prefix of every history; deterministic for a seed (the caller's RNG state is kept)."""
    rng = np.random.default_rng(config.seed)
    sequences = _training_sequences(histories, config.max_baskets, rng)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(config.seed)
        net = NextBasketNet(len(items), config)
        optimizer = torch.optim.AdamW(net.parameters(), lr=config.lr, weight_decay=config.weight_decay)
        net.train()
        for batch in _progress(_batches(sequences, config.batch_size, rng, config.epochs), show_progress):
            optimizer.zero_grad()
            _loss(net, batch, config.horizon).backward()
            optimizer.step()
    return SequenceModel(items, net, config)


def _training_sequences(histories: dict, max_baskets: int, rng: np.random.Generator) -> list[list[list[int]]]:
    """Histories of two or more orders (their last ``max_baskets``), then one split pseudo-pair per order."""
    sequences = [h[-max_baskets:] for h in histories.values() if len(h) > 1]
    for history in histories.values():
        for order in history:
            if len(order) > 1:
                shuffled = rng.permutation(order)
                half = len(order) // 2
                sequences.append([sorted(shuffled[:half].tolist()), sorted(shuffled[half:].tolist())])
    return sequences


def _batches(sequences: list, size: int, rng: np.random.Generator, epochs: int) -> list[list]:
    """Per epoch, histories of similar length together (little padding), the batches in random order."""
    out = []
    for _ in range(epochs):
        order = rng.permutation(len(sequences))
        order = order[np.argsort([len(sequences[i]) for i in order], kind="stable")]
        chunks = [order[i : i + size] for i in range(0, len(order), size)]
        out += [[sequences[i] for i in chunks[j]] for j in rng.permutation(len(chunks))]
    return out


def _loss(net: NextBasketNet, batch: list[list[list[int]]], horizon: int) -> torch.Tensor:
    """Cross-entropy of the softmax over not-yet-bought items against the coming orders' new items."""
    encoded = _encode(batch)
    states = net.states(encoded)
    rows, targets, held = _targets(batch, encoded.shape[1], horizon)
    logits = net.out(states.reshape(-1, states.shape[-1])[rows])
    logits = logits.index_put(held, torch.tensor(-torch.inf))
    goal = torch.zeros_like(logits).index_put(targets[:2], targets[2])
    # Masked entries are -inf with a zero goal; the clamp keeps 0 * -inf from turning the loss into NaN.
    return -(goal * torch.log_softmax(logits, dim=1).clamp(min=-1e4)).sum(dim=1).mean()


def _targets(batch: list[list[list[int]]], steps: int, horizon: int):
    """Rows (history * steps + order) followed by new items, their targets, and the items held by then.

    Returns the row indices into the flattened states, (row, item, weight) of the targets with weights
    summing to 1 per row, and (row, item) of the items bought up to and including that order.
    """
    rows: list[int] = []
    target: tuple[list[int], list[int], list[float]] = ([], [], [])
    held: tuple[list[int], list[int]] = ([], [])
    for h, sequence in enumerate(batch):
        bought: set[int] = set()
        for t in range(len(sequence) - 1):
            bought.update(sequence[t])
            new = sorted({i for order in sequence[t + 1 : t + 1 + horizon] for i in order} - bought)
            if not new:
                continue
            n = len(rows)
            rows.append(h * steps + t)
            target[0].extend([n] * len(new))
            target[1].extend(new)
            target[2].extend([1 / len(new)] * len(new))
            held[0].extend([n] * len(bought))
            held[1].extend(bought)
    return (
        torch.tensor(rows, dtype=torch.long),
        (torch.tensor(target[0]), torch.tensor(target[1]), torch.tensor(target[2])),
        (torch.tensor(held[0], dtype=torch.long), torch.tensor(held[1], dtype=torch.long)),
    )


def _encode(sequences: list[list[list[int]]]) -> Batch:
    steps = max(len(s) for s in sequences)
    padded = [s + [[]] * (steps - len(s)) for s in sequences]
    orders = [order for s in padded for order in s]
    firsts = [order for s in padded for order in _first_bought(s)]
    counts = torch.tensor([len(f) for f in firsts], dtype=torch.float32).view(len(sequences), steps)
    return Batch((len(sequences), steps), _bags(orders), _bags(firsts), counts)


def _first_bought(sequence: list[list[int]]) -> list[list[int]]:
    """Each order's items that the customer had not bought in an earlier order."""
    seen: set[int] = set()
    out = []
    for order in sequence:
        out.append([i for i in order if i not in seen])
        seen.update(order)
    return out


def _bags(orders: list[list[int]]) -> tuple[torch.Tensor, torch.Tensor]:
    """(items, offsets) for an EmbeddingBag; an empty order embeds as zeros."""
    sizes = [len(order) for order in orders]
    offsets = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    flat = [i for order in orders for i in order]
    return torch.tensor(flat, dtype=torch.long), torch.tensor(offsets, dtype=torch.long)


def _progress(batches: list, show: bool | None):
    """The batches, with a progress bar on stderr when asked for or (by default) when stderr is a terminal."""
    from rich.console import Console
    from rich.progress import track

    show = sys.stderr.isatty() if show is None else show
    return track(
        batches,
        description="Training the sequence model",
        console=Console(stderr=True),
        disable=not show,
        transient=True,
    )


def _save(model: SequenceModel, path: Path) -> None:
    """Saved through a temporary file and a rename, so another process never loads half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    try:
        torch.save({"items": model.items, "state": model.net.state_dict()}, tmp)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _load(path: Path, config: SequenceConfig) -> SequenceModel:
    saved = torch.load(path, weights_only=True)
    net = NextBasketNet(len(saved["items"]), config)
    net.load_state_dict(saved["state"])
    return SequenceModel(saved["items"], net, config)
