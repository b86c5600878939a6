#!/usr/bin/env bash
# GPU check of the LLM generator (utterances/s at batch 1, 16, 64 and 256) and of the LLM policy
# (decisions/s for 1 dialogue and for POLICY_ENVS at once), bfloat16 on CUDA.
#
#   bash benchmarks/gpu_check.sh                       # on a machine with a CUDA GPU
#   DEVICE=cpu BATCHES=1,16 bash benchmarks/gpu_check.sh   # the same code path on the CPU
#
# Environment: PYTHON (default .venv/bin/python), MODEL (default smollm2: a name, a transformers
# directory or a GGUF file), DEVICE (default cuda), BATCHES (default 1,16,64,256), POLICY_ENVS
# (default 256). The model must
# already be on the machine (`dialogym models fetch smollm2`, or DIALOGYM_CACHE pointing at a
# cache that has it): nothing is downloaded. Exits 2, with one line, when DEVICE=cuda and CUDA
# is not available.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-.venv/bin/python}
MODEL=${MODEL:-smollm2}
DEVICE=${DEVICE:-cuda}
BATCHES=${BATCHES:-1,16,64,256}
POLICY_ENVS=${POLICY_ENVS:-256}
export HF_HUB_OFFLINE=1

if [[ $DEVICE == cuda* ]] && ! "$PYTHON" -c 'import sys, torch; sys.exit(not torch.cuda.is_available())'; then
    echo "gpu_check: no CUDA device (torch.cuda.is_available() is False); run on a GPU machine or set DEVICE=cpu" >&2
    exit 2
fi
if [[ $DEVICE == cuda* ]]; then
    "$PYTHON" -c 'import torch; print("gpu:", torch.cuda.get_device_name(0), "| torch", torch.__version__, "| cuda", torch.version.cuda)'
fi
"$PYTHON" benchmarks/text_speed.py --llm-only "$DEVICE" --model "$MODEL" --batches "$BATCHES"
"$PYTHON" benchmarks/llm_policy_speed.py --model "$MODEL" --device "$DEVICE" --envs "$POLICY_ENVS"
