"""The Sophia API on Kubernetes: `ApiService` and the pure builders it is made of."""

from components.k8s.api_service import ApiService, ApiServiceArgs

__all__ = ["ApiService", "ApiServiceArgs"]
