"""Portkey LLM gateway as code: routing policy -> config JSON, admin client, providers."""
