"""Review sentiment quality: embeddings + logistic regression vs the TF-IDF + logistic regression baseline.

    python -m benchmarks.sentiment [--home DIR]

Trains both models for both targets (Recommended IND, rating 1-5) on the clothing reviews with one stratified
80/20 split each and prints held-out accuracy, macro F1 and ROC AUC. Review embeddings come from the reviews
index in ``--home`` (built by ``python -m benchmarks.text_index`` or ``martmind index --demo``; built here
otherwise, which takes minutes on a CPU).
"""

from __future__ import annotations

import argparse
import json
import os
import time

os.environ.setdefault("HF_HUB_OFFLINE", "1")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--home", default="/tmp/martmind-bench-text", help="workspace holding the reviews index"
    )
    args = parser.parse_args()

    from tools.sentiment import train
    from tools.workspace import Workspace

    ws = Workspace(args.home)
    report = {}
    for target in ("recommended", "rating"):
        start = time.perf_counter()
        model = train(ws, target)
        report[target] = {
            "seconds": round(time.perf_counter() - start, 1),
            "models": model.metrics.to_dict("records"),
            "confusion_embeddings": model.confusion[model.confusion["model"].str.startswith("emb")]
            .drop(columns="model")
            .to_dict("records"),
        }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
