"""Shared pieces of the benchmarks: request bodies, the A/B harness, ratios and their verdicts.

Every figure the benchmarks report is a ratio of two things measured in the same run, close
together in time: the machine is shared and noisy, so absolute times are only context. Each
repetition runs A then B (or B then A, alternating, so neither always goes first); the ratio of a
repetition compares the two runs next to each other, and we report the median of those ratios
with their min and max.
"""

from __future__ import annotations

import copy
import gc
import json
import os
import statistics
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Sequence

ROOT = Path(__file__).resolve().parent.parent
CACHE = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "sgp-fake-bench"

API_KEY = "bench-key"

# A "full" template: every optional field set, as a realistic upper bound on size.
FULL_BODY: dict[str, Any] = {
    "name": "llama-3-8b-instruct",
    "endpoint_type": "ASYNC",
    "model_type": "CHAT_COMPLETION",
    "endpoint_protocol": "VLLM",
    "account_id": "acct_00",
    "vendor_configuration": {
        "vendor": "LAUNCH",
        "bundle_config": {
            "registry": "registry.example.com/models",
            "image": "vllm-serving",
            "tag": "0.5.4-cu121",
            "command": ["python", "-m", "vllm.entrypoints.openai.api_server", "--port", "5005"],
            "env": {"MODEL_NAME": "meta-llama/Meta-Llama-3-8B-Instruct", "MAX_MODEL_LEN": "8192"},
            "streaming_command": ["python", "-m", "vllm.entrypoints.api_server"],
            "readiness_initial_delay_seconds": 60,
            "healthcheck_route": "/health",
            "predict_route": "/v1/chat/completions",
            "streaming_predict_route": "/generate_stream",
        },
        "endpoint_config": {
            "cpus": 8,
            "memory": "32Gi",
            "storage": "96Gi",
            "gpus": 1,
            "gpu_type": "nvidia-ampere-a100",
            "min_workers": 1,
            "max_workers": 4,
            "per_worker": 8,
            "endpoint_type": "ASYNC",
            "high_priority": False,
        },
        "fine_tuning_job_bundle_config": {
            "registry": "registry.example.com/training",
            "image": "llm-finetune",
            "tag": "2024.08",
            "command": ["python", "train.py"],
            "env": {"EPOCHS": "3"},
            "mount_location": "/workspace/config.json",
            "training_dataset_schema_type": "GENERATION",
            "resources": {
                "cpus": 16,
                "memory": "64Gi",
                "storage": "200Gi",
                "gpus": 8,
                "gpu_type": "nvidia-hopper-h100",
            },
        },
    },
    "model_creation_parameters_schema": {
        "parameters": [
            {
                "name": "model_weights",
                "type": "str",
                "description": "Weights URI",
                "required": True,
            },
            {"name": "max_len", "type": "int", "description": "Context length", "required": False},
        ]
    },
    "model_request_parameters_schema": {
        "parameters": [
            {"name": "temperature", "type": "float", "description": "Sampling", "required": False},
            {"name": "stream", "type": "bool", "description": None, "required": False},
        ]
    },
}


def body_for(account: str) -> dict[str, Any]:
    """The full body, for ``account``."""
    body = copy.deepcopy(FULL_BODY)
    body["account_id"] = account
    return body


FULL_BODY_BYTES = json.dumps(FULL_BODY, separators=(",", ":")).encode()


def timed(fn: Callable[[], object], n: int) -> float:
    """Seconds per call of ``fn``, over ``n`` calls, with the garbage collector held off."""
    gc.collect()
    gc.disable()
    try:
        start = time.perf_counter()
        for _ in range(n):
            fn()
        return (time.perf_counter() - start) / n
    finally:
        gc.enable()


@dataclass
class Ratio:
    """One reported figure: per-repetition ratios, a target and the way it is compared."""

    section: str
    name: str
    values: list[float]
    target: float | None = None
    # "le": ratio <= target is good; "ge": ratio >= target; "lt": ratio < target.
    sense: str = "le"
    note: str = ""
    unit: str = "x"

    @property
    def median(self) -> float:
        return statistics.median(self.values)

    @property
    def met(self) -> bool | None:
        if self.target is None or not self.values:
            return None
        m = self.median
        return {"le": m <= self.target, "ge": m >= self.target, "lt": m < self.target}[self.sense]

    def target_text(self) -> str:
        if self.target is None:
            return "reported"
        symbol = {"le": "<=", "ge": ">=", "lt": "<"}[self.sense]
        return f"{symbol} {self.target:g}{self.unit}"

    def text(self) -> str:
        if not self.values:
            return "n/a"
        lo, hi = min(self.values), max(self.values)
        if len(self.values) == 1:
            return f"{fmt(self.median)}{self.unit}"
        return f"{fmt(self.median)}{self.unit} ({fmt(lo)}-{fmt(hi)})"


def fmt(value: float) -> str:
    """A ratio or figure with three significant digits."""
    if value == 0:
        return "0"
    if abs(value) >= 100:
        return f"{value:.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    if abs(value) >= 1:
        return f"{value:.2f}"
    return f"{value:.3g}"


def alternate(
    a: Callable[[], float], b: Callable[[], float], repetitions: int
) -> tuple[list[float], list[float]]:
    """Run ``a`` and ``b`` ``repetitions`` times each, alternating which goes first.

    Each callable measures one repetition and returns its figure (e.g. seconds per request).
    """
    results_a: list[float] = []
    results_b: list[float] = []
    for rep in range(repetitions):
        if rep % 2 == 0:
            results_a.append(a())
            results_b.append(b())
        else:
            results_b.append(b())
            results_a.append(a())
    return results_a, results_b


def ratios(numerators: Sequence[float], denominators: Sequence[float]) -> list[float]:
    """Pairwise ratios of two equally long series."""
    return [n / d for n, d in zip(numerators, denominators, strict=True)]


@dataclass
class Section:
    """The results of one benchmark section, for the report."""

    title: str
    ratios: list[Ratio] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)
    pending: str | None = None

    def add(self, ratio: Ratio) -> Ratio:
        self.ratios.append(ratio)
        return ratio


def median_range(values: Sequence[float], scale: float = 1.0, unit: str = "") -> str:
    """``median (min-max)`` of ``values`` times ``scale``."""
    if not values:
        return "n/a"
    scaled = [v * scale for v in values]
    return f"{fmt(statistics.median(scaled))}{unit} ({fmt(min(scaled))}-{fmt(max(scaled))})"
