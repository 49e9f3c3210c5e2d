"""Running kubectl for the jobs, and saying in one line why it failed and what to set.

kubectl's own failure output is klog lines (`E1208 00:12:03.123456  4242 memcache.go:265]
couldn't get current server API group list: ...`), often the same line five times, then a
summary; cut at a fixed length it ends mid-word and never names the variable to set. Here the
output becomes whole lines (klog prefixes and repeats removed), the last one is quoted in full,
and the cause is named with what to do:

- no cluster configured: kubectl falls back to `localhost:8080` ("The connection to the server
  localhost:8080 was refused") or says "no configuration has been provided" (kubectl's messages
  when no kubeconfig is found; k8s.io/client-go clientcmd `ErrEmptyConfig`);
- the context is not in the kubeconfig ("context was not found for specified context");
- the API server cannot be reached (connection refused, i/o timeout, no such host, TLS);
- the credentials are refused (Unauthorized, "You must be logged in", Forbidden).
"""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Sequence

KUBECONFIG_ENV = "KUBECONFIG"
TIMEOUT_SECONDS = 60
# klog header: Lmmdd hh:mm:ss.uuuuuu threadid file:line] (k8s.io/klog/v2, klog.go `formatHeader`)
_KLOG = re.compile(r"^[IWEF]\d{4} \d{2}:\d{2}:\d{2}\.\d+\s+\d+\s+[^\]]+\]\s*")

_CAUSES: tuple[tuple[tuple[str, ...], str], ...] = (
    (
        ("localhost:8080", "no configuration has been provided"),
        "kubectl found no cluster to talk to ({where}); set {env} to this stack's kubeconfig "
        "(CI writes it from the environment's KUBECONFIG_DEPLOY or KUBECONFIG_READONLY secret)",
    ),
    (
        ("context was not found", 'error: context "'),
        "the kubeconfig ({where}) has no context {context}; set {env} to the kubeconfig that "
        "has it",
    ),
    (
        ("Unauthorized", "You must be logged in", "Forbidden", "forbidden"),
        "the cluster refused the credentials of context {context} ({where}); renew them or set "
        "{env} to a kubeconfig whose user may read this namespace",
    ),
    (
        ("connection refused", "i/o timeout", "no such host", "TLS handshake", "dial tcp"),
        "kubectl cannot reach the API server of context {context} ({where}); check the cluster "
        "is up and {env} points at it",
    ),
)


class KubectlError(Exception):
    """kubectl is missing or failed; the message says why in whole lines."""


def kubectl_lines(stderr: str) -> list[str]:
    """Whole lines of kubectl's stderr, klog prefixes stripped, repeats dropped, order kept."""
    seen: dict[str, None] = {}
    for line in stderr.splitlines():
        text = _KLOG.sub("", line).strip()
        if text:
            seen.setdefault(text, None)
    return list(seen)


def kubectl_failure(
    args: Sequence[str], stderr: str, context: str | None, environ: dict[str, str] | None = None
) -> str:
    environ = dict(os.environ) if environ is None else environ
    lines = kubectl_lines(stderr)
    text = "\n".join(lines)
    configured = environ.get(KUBECONFIG_ENV)
    where = f"{KUBECONFIG_ENV}={configured}" if configured else f"{KUBECONFIG_ENV} is not set"
    command = f"kubectl {' '.join(args[:2])}"
    said = f"; kubectl said: {lines[-1]}" if lines else ""
    for markers, explanation in _CAUSES:
        if any(marker in text for marker in markers):
            cause = explanation.format(
                where=where, env=KUBECONFIG_ENV, context=repr(context or "(current)")
            )
            return f"{command} failed: {cause}{said}"
    return f"{command} failed{said or ' with no message'}"


def run_kubectl(args: Sequence[str], context: str | None = None) -> str:
    """kubectl's stdout; KubectlError (whole lines, cause named) when it is missing or fails."""
    command = ["kubectl", *(["--context", context] if context else []), *args]
    try:
        done = subprocess.run(
            command, capture_output=True, text=True, check=False, timeout=TIMEOUT_SECONDS
        )
    except FileNotFoundError:
        raise KubectlError(
            "kubectl is not installed (not on PATH); install it: the gate reads the cluster "
            "through it"
        ) from None
    except subprocess.TimeoutExpired:
        raise KubectlError(
            f"kubectl {' '.join(args[:2])} did not answer within {TIMEOUT_SECONDS} s; check the "
            f"cluster is reachable with the kubeconfig in {KUBECONFIG_ENV}"
        ) from None
    except OSError as error:
        raise KubectlError(f"kubectl cannot be run: {error.strerror or error}") from None
    if done.returncode != 0:
        raise KubectlError(kubectl_failure(args, done.stderr, context))
    return done.stdout
