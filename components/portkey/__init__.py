"""Portkey LLM gateway as code: routing policy -> config JSON, admin-API client, dynamic providers."""
