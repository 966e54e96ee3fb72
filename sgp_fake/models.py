"""The model-templates contract as pydantic v2 models (re-exported for existing imports).

They live with their resource, in :mod:`sgp_fake.resources.model_templates.schemas`, and the
types several resources share in :mod:`sgp_fake.resources.common`.
"""

from .resources.common import (
    GenericDeleteResponse,
    GPUType,
    HTTPValidationError,
    IdentifierTypeEnum,
    ModelType,
    ValidationError,
)
from .resources.model_templates.schemas import (
    CreateModelEndpointConfig,
    FineTuningBundleConfiguration,
    LaunchEndpointProtocol,
    LaunchVendorConfiguration,
    ModelBundleConfiguration,
    ModelEndpointType,
    ModelTemplateListParams,
    ModelTemplateRequest,
    ModelTemplateResponse,
    PaginatedModelTemplates,
    ParameterSchema,
    ParameterSchemaField,
    RequiredResources,
    TrainingDatasetORMSchemaTypeEnum,
)

__all__ = [
    "CreateModelEndpointConfig",
    "FineTuningBundleConfiguration",
    "GPUType",
    "GenericDeleteResponse",
    "HTTPValidationError",
    "IdentifierTypeEnum",
    "LaunchEndpointProtocol",
    "LaunchVendorConfiguration",
    "ModelBundleConfiguration",
    "ModelEndpointType",
    "ModelTemplateListParams",
    "ModelTemplateRequest",
    "ModelTemplateResponse",
    "ModelType",
    "PaginatedModelTemplates",
    "ParameterSchema",
    "ParameterSchemaField",
    "RequiredResources",
    "TrainingDatasetORMSchemaTypeEnum",
    "ValidationError",
]
