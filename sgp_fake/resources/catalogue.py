"""Realistic domain values the resource factories share: models teams deploy, organisations,
container registries, regions, Kubernetes quantities, parameter names and prompts.

Plain data (no Faker): each factory draws from these with its own seeded generator.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from .common import ModelType

__all__ = [
    "AWS_REGIONS",
    "CREATION_PARAMETERS",
    "DEVELOPERS",
    "EMBEDDING_PARAMETERS",
    "ENVIRONMENTS",
    "HEALTH_ROUTES",
    "MEMORY_GI",
    "MODELS",
    "ORGS",
    "PROMPTS",
    "QUERIES",
    "REGISTRIES",
    "REQUEST_PARAMETERS",
    "RERANKING_PARAMETERS",
    "STORAGE_GI",
    "Model",
]


@dataclass(frozen=True)
class Model:
    """A model teams deploy: its Hugging Face id, a short slug, what it does and its size."""

    hf_id: str
    slug: str
    kind: ModelType
    billions: float


MODELS: Final = (
    Model(
        "meta-llama/Llama-3.1-8B-Instruct", "llama-3-1-8b-instruct", ModelType.CHAT_COMPLETION, 8
    ),
    Model(
        "meta-llama/Llama-3.1-70B-Instruct", "llama-3-1-70b-instruct", ModelType.CHAT_COMPLETION, 70
    ),
    Model("meta-llama/Meta-Llama-3-8B", "llama-3-8b", ModelType.COMPLETION, 8),
    Model(
        "mistralai/Mistral-7B-Instruct-v0.3", "mistral-7b-instruct", ModelType.CHAT_COMPLETION, 7
    ),
    Model(
        "mistralai/Mixtral-8x7B-Instruct-v0.1",
        "mixtral-8x7b-instruct",
        ModelType.CHAT_COMPLETION,
        47,
    ),
    Model("Qwen/Qwen2.5-14B-Instruct", "qwen2-5-14b-instruct", ModelType.CHAT_COMPLETION, 14),
    Model("google/gemma-2-9b-it", "gemma-2-9b-it", ModelType.CHAT_COMPLETION, 9),
    Model("microsoft/Phi-3-mini-4k-instruct", "phi-3-mini-4k", ModelType.COMPLETION, 3.8),
    Model("tiiuae/falcon-40b", "falcon-40b", ModelType.COMPLETION, 40),
    Model("codellama/CodeLlama-13b-hf", "codellama-13b", ModelType.COMPLETION, 13),
    Model("BAAI/bge-large-en-v1.5", "bge-large-en", ModelType.EMBEDDING, 0.34),
    Model("intfloat/e5-mistral-7b-instruct", "e5-mistral-7b", ModelType.EMBEDDING, 7),
    Model("sentence-transformers/all-MiniLM-L6-v2", "minilm-l6-v2", ModelType.EMBEDDING, 0.02),
    Model("BAAI/bge-reranker-large", "bge-reranker-large", ModelType.RERANKING, 0.56),
    Model("cross-encoder/ms-marco-MiniLM-L-6-v2", "ms-marco-minilm", ModelType.RERANKING, 0.02),
)

ORGS: Final = (
    "acme-ml",
    "applied-ml",
    "ml-platform",
    "inference",
    "llm-serving",
    "research",
    "mlops",
    "genai",
    "search-relevance",
    "data-science",
)
AWS_REGIONS: Final = (
    "us-east-1",
    "us-east-2",
    "us-west-2",
    "eu-west-1",
    "eu-central-1",
    "ap-northeast-1",
)
REGISTRIES: Final = (
    "{aws_account}.dkr.ecr.{region}.amazonaws.com",
    "gcr.io/{org}-{project_number}",
    "ghcr.io/{org}",
    "docker.io/{org}",
    "{flat_org}.azurecr.io",
    "quay.io/{org}",
    "nvcr.io/nvidia",
    "registry.gitlab.com/{org}/model-serving",
)
MEMORY_GI: Final = (4, 8, 12, 16, 24, 32, 48, 64, 96, 128, 160, 192, 256)
STORAGE_GI: Final = (16, 32, 50, 64, 80, 100, 128, 200, 256, 500)
HEALTH_ROUTES: Final = ("/readyz", "/health", "/healthz", "/v1/health", "/ping")

CREATION_PARAMETERS: Final = (
    (
        "model_weights_uri",
        "str",
        "URI of the model weights to load, e.g. s3://bucket/models/llama/.",
    ),
    ("model_name", "str", "Name the deployed model reports in its responses."),
    ("hf_model_id", "str", "Hugging Face model id to download when the endpoint starts."),
    ("max_model_len", "int", "Maximum context length, in tokens."),
    ("tensor_parallel_size", "int", "Number of GPUs the model is sharded across."),
    ("max_num_seqs", "int", "Maximum number of sequences batched together."),
    ("quantization", "str", "Quantization method of the weights: awq, gptq or none."),
    ("dtype", "str", "Data type of weights and activations, e.g. bfloat16."),
    (
        "gpu_memory_utilization",
        "float",
        "Fraction of GPU memory given to the model and its KV cache.",
    ),
    ("trust_remote_code", "bool", "Whether to run custom model code from the model repository."),
    ("lora_adapter_uri", "str", "URI of a LoRA adapter applied on top of the base weights."),
    ("enable_prefix_caching", "bool", "Reuse the KV cache across requests that share a prefix."),
)
REQUEST_PARAMETERS: Final = (
    ("temperature", "float", "Sampling temperature; 0 means greedy decoding."),
    ("top_p", "float", "Nucleus sampling: the probability mass to sample from."),
    ("top_k", "int", "Sample only from the k most likely tokens."),
    ("max_new_tokens", "int", "Maximum number of tokens to generate."),
    ("stop_sequences", "str", "Comma-separated sequences that end generation."),
    ("presence_penalty", "float", "Penalty for tokens that already appear in the output."),
    ("frequency_penalty", "float", "Penalty proportional to how often a token already appears."),
    ("seed", "int", "Random seed, for reproducible sampling."),
    ("stream", "bool", "Whether to stream tokens as they are generated."),
    ("return_logprobs", "bool", "Whether to return the log probability of each token."),
)
EMBEDDING_PARAMETERS: Final = (
    ("truncate", "bool", "Truncate inputs longer than the context window instead of failing."),
    ("normalize", "bool", "Whether to L2-normalise the embeddings."),
    ("batch_size", "int", "Number of texts embedded per forward pass."),
    ("instruction", "str", "Instruction prepended to each query before embedding."),
)
RERANKING_PARAMETERS: Final = (
    ("top_n", "int", "Number of documents to return, best first."),
    ("return_documents", "bool", "Whether to return the documents' text with their scores."),
    ("max_chunks_per_doc", "int", "Maximum number of chunks a long document is split into."),
    ("score_threshold", "float", "Drop documents scoring below this value."),
)
DEVELOPERS: Final = {
    "meta-llama": "Meta",
    "mistralai": "Mistral AI",
    "Qwen": "Alibaba Cloud",
    "google": "Google",
    "microsoft": "Microsoft",
    "tiiuae": "Technology Innovation Institute",
    "codellama": "Meta",
    "BAAI": "Beijing Academy of Artificial Intelligence",
    "intfloat": "Microsoft",
    "sentence-transformers": "Hugging Face",
    "cross-encoder": "Hugging Face",
}
ENVIRONMENTS: Final = ("prod", "staging", "dev", "canary", "eval", "shadow")
PROMPTS: Final = (
    "Summarize the incident report below in three bullet points.",
    "Write a SQL query that returns the ten most active customers last month.",
    "Translate 'the shipment left the warehouse on Tuesday' into German.",
    "Classify the sentiment of this review: the battery died after two days.",
    "Explain the difference between a process and a thread to a new engineer.",
    "Draft a polite reply declining the meeting on Friday.",
    "Extract every date mentioned in the contract clause below.",
    "Which of our regions had the highest latency yesterday, and why?",
    "Suggest three names for an internal tool that tracks GPU quotas.",
    "List the steps to rotate the API key of a service account.",
)
QUERIES: Final = (
    "How do I reset my password?",
    "What is the refund policy for annual plans?",
    "Which GPU types does the cluster support?",
    "How are model deployments autoscaled?",
)
