"""Template example bodies: the smallest valid create body and one with every field set.

``sgp_fake.examples`` writes them, and what the fake answers them, as the repository's
``fixtures/examples/`` files.
"""

from __future__ import annotations

from typing import Any, Final

__all__ = ["ACCOUNT_ID", "FULL_REQUEST", "MINIMAL_REQUEST"]

ACCOUNT_ID: Final = "66f2d1a8c3b0e4a5f7d9b201"
"""The account both bodies belong to."""

MINIMAL_REQUEST: Final[dict[str, Any]] = {
    "name": "minimal-completion",
    "endpoint_type": "SYNC",
    "model_type": "COMPLETION",
    "vendor_configuration": {
        "bundle_config": {"registry": "docker.io/acme-ml", "image": "llm-server", "tag": "1.4.2"}
    },
    "account_id": ACCOUNT_ID,
}
"""The smallest valid create body: only the required fields."""

_REGISTRY = "123456789012.dkr.ecr.us-west-2.amazonaws.com"

FULL_REQUEST: Final[dict[str, Any]] = {
    "name": "llama-3-1-8b-instruct-vllm",
    "endpoint_type": "STREAMING",
    "model_type": "CHAT_COMPLETION",
    "vendor_configuration": {
        "vendor": "LAUNCH",
        "bundle_config": {
            "registry": _REGISTRY,
            "image": "llm-engine/vllm-openai",
            "tag": "v0.6.3-cuda12.4",
            "command": [
                "python", "-m", "vllm.entrypoints.openai.api_server",
                "--model", "/workspace/model", "--port", "5005", "--max-model-len", "8192",
            ],
            "env": {
                "HF_HOME": "/workspace/.cache/huggingface",
                "VLLM_WORKER_MULTIPROC_METHOD": "spawn",
                "LOG_LEVEL": "INFO",
            },
            "streaming_command": [
                "python", "-m", "vllm.entrypoints.openai.api_server",
                "--model", "/workspace/model", "--port", "5005", "--max-model-len", "8192",
                "--enable-streaming",
            ],
            "readiness_initial_delay_seconds": 300,
            "healthcheck_route": "/health",
            "predict_route": "/v1/completions",
            "streaming_predict_route": "/generate_stream",
        },
        "endpoint_config": {
            "cpus": 8,
            "memory": "48Gi",
            "storage": "100Gi",
            "gpus": 1,
            "gpu_type": "nvidia-ampere-a100",
            "min_workers": 1,
            "max_workers": 4,
            "per_worker": 8,
            "endpoint_type": "STREAMING",
            "high_priority": False,
        },
        "fine_tuning_job_bundle_config": {
            "registry": _REGISTRY,
            "image": "llm-engine/llm-finetune",
            "tag": "v0.4.1",
            "command": [
                "python", "-m", "llmengine.finetune",
                "--config", "/workspace/launch_specific/config.json",
            ],
            "env": {"WANDB_MODE": "offline", "NUM_EPOCHS": "3", "LEARNING_RATE": "2e-5"},
            "mount_location": "/workspace/launch_specific/config.json",
            "training_dataset_schema_type": "GENERATION",
            "resources": {
                "cpus": 16,
                "memory": "128Gi",
                "storage": "200Gi",
                "gpus": 4,
                "gpu_type": "nvidia-hopper-h100",
            },
        },
    },
    "model_creation_parameters_schema": {
        "parameters": [
            {
                "name": "model_weights_uri",
                "type": "str",
                "description": "URI of the model weights to load, e.g. s3://bucket/models/llama/.",
                "required": True,
            },
            {
                "name": "max_model_len",
                "type": "int",
                "description": "Maximum context length, in tokens.",
                "required": False,
            },
            {
                "name": "gpu_memory_utilization",
                "type": "float",
                "description": "Fraction of GPU memory given to the model and its KV cache.",
                "required": False,
            },
            {
                "name": "trust_remote_code",
                "type": "bool",
                "description": "Whether to run custom model code from the model repository.",
                "required": False,
            },
        ]
    },
    "model_request_parameters_schema": {
        "parameters": [
            {
                "name": "temperature",
                "type": "float",
                "description": "Sampling temperature; 0 means greedy decoding.",
                "required": False,
            },
            {
                "name": "max_new_tokens",
                "type": "int",
                "description": "Maximum number of tokens to generate.",
                "required": True,
            },
            {
                "name": "stop_sequences",
                "type": "str",
                "description": "Comma-separated sequences that end generation.",
                "required": False,
            },
            {
                "name": "stream",
                "type": "bool",
                "description": "Whether to stream tokens as they are generated.",
                "required": False,
            },
        ]
    },
    "endpoint_protocol": "VLLM",
    "account_id": ACCOUNT_ID,
}  # fmt: skip
"""A create body with every field of the contract set."""
