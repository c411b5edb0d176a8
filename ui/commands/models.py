"""`martmind models`: which model is configured, which packaged models are installed and cached."""

from __future__ import annotations

import argparse
import importlib.util
from typing import Any

from ui.output import add_command, print_table


def register(sub: argparse._SubParsersAction) -> None:
    add_command(sub, "models", list_models, "show the configured model and the installed and cached models")


def models_report() -> dict[str, Any]:
    """The configured spec, the backends this install can run, and each packaged model's state."""
    from agent.model_files import PACKAGED, status
    from agent.models import default_spec

    rows = []
    for model in PACKAGED.values():
        row = status(model)
        row["specs"] = [f"transformers:{model.name}", f"llamacpp:{model.name}"]
        rows.append(row)
    return {
        "configured": default_spec(),
        "device": _device(),
        "backends": {
            "transformers": True,
            "constrained_decoding (xgrammar)": _has("xgrammar"),
            "llamacpp (extra: pip install 'martmind[llamacpp]')": _has("llama_cpp"),
            "openai": True,
        },
        "models": rows,
    }


def list_models(args: argparse.Namespace) -> dict[str, Any] | None:
    report = models_report()
    if args.json:
        return report
    import pandas as pd

    print(f"configured: {report['configured']}   device: {report['device']}")
    print(
        "backends: " + ", ".join(f"{name} {'yes' if ok else 'no'}" for name, ok in report["backends"].items())
    )
    table = pd.DataFrame(
        [
            {
                "name": row["name"],
                "model": row["model"],
                "installed": "yes" if row["installed"] else "no",
                "gguf": f"{row['gguf_bytes'] / 1e9:.2f} GB"
                + (" (assembled)" if row["gguf_assembled"] else ""),
                "converted": ", ".join(
                    f"{dtype} {size / 1e9:.2f} GB" for dtype, size in row["converted"].items()
                )
                or "-",
            }
            for row in report["models"]
        ]
    )
    print_table(table, title="packaged models (use as transformers:<name> or llamacpp:<name>)")
    return None


def _has(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


def _device() -> str:
    import torch

    if torch.cuda.is_available():
        return f"cuda ({torch.cuda.get_device_name(0)})"
    return "cpu"
