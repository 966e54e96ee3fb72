"""Moved to :mod:`sgp_fake.core.bodies`; this name stays for existing imports."""

from .core.bodies import decode_json_body, is_json_content_type, render_errors, validate_body

__all__ = ["decode_json_body", "is_json_content_type", "render_errors", "validate_body"]
