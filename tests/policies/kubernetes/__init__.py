"""Tests of the Kubernetes rules, one module per rule module of policies/sophia_policies/kubernetes/."""
