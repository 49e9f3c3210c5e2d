"""A stand-in for sops as config-encryption runs it: secret locations get the `_sops` suffix
and ENC[...] values, the document gets a top-level `sops` object, and a MAC covers every value
in document order, so a document whose keys were reordered fails to decrypt.

Sources:
- config-encryption `src/encrypt/mod.rs` (`validate`, `add_encrypted_suffixes`,
  `add_suffix_to_location`: the key is removed and re-inserted with the suffix;
  `run_sops_blocking`: `sops --encrypt --encrypted-suffix _sops --input-type=json`).
- sops computes its MAC over the values in the order it walks the tree, so reordering keys
  changes the MAC ("MAC mismatch"): getsops/sops#833 (maintainers: intended), and Estuary had
  to preserve JSON key order for it (estuary/flow#389; estuary/ui#140: "decrypting `sops`
  document: ... MAC mismatch" at Validate).

Not cryptography: values are opaque tokens looked up in `vault`, the MAC is a SHA-256 of the
ordered values. Each encryption gives new tokens, like real sops (random data keys and IVs).
"""

from __future__ import annotations

import copy
import hashlib
import json
import random
import re
from typing import Any

SUFFIX = "_sops"
_ENC = re.compile(r"^ENC\[AES256_GCM,data:([0-9a-f]+),iv:[0-9a-f]+,tag:[0-9a-f]+,type:(\w+)\]$")


class SopsError(Exception):
    """Decryption failed; the text never holds a plaintext value."""


def _leaves(node: Any) -> list[Any]:
    """Every scalar value in document order (object keys in their stored order)."""
    if isinstance(node, dict):
        return [v for key, child in node.items() if key != "sops" for v in _leaves(child)]
    if isinstance(node, list):
        return [v for child in node for v in _leaves(child)]
    return [node]


def _mac(doc: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(_leaves(doc)).encode()).hexdigest()


class FakeSops:
    def __init__(self) -> None:
        self.vault: dict[str, Any] = {}  # token -> plaintext value

    def _enc(self, value: Any) -> str:
        token = random.randbytes(16).hex()
        self.vault[token] = value
        kind = type(value).__name__ if not isinstance(value, str) else "str"
        return (
            f"ENC[AES256_GCM,data:{token},iv:{random.randbytes(12).hex()},"
            f"tag:{random.randbytes(16).hex()},type:{kind}]"
        )

    def encrypt(self, config: dict[str, Any], pointers: list[str]) -> dict[str, Any]:
        doc = copy.deepcopy(config)
        for ptr in pointers:
            parts = ptr.lstrip("/").split("/")
            parent: Any = doc
            for part in parts[:-1]:
                parent = parent[int(part)] if isinstance(parent, list) else parent[part]
            if not isinstance(parent, dict):
                raise SopsError(f"cannot add a suffix at {ptr}: it is not an object property")
            # mod.rs `add_suffix_to_location`: remove_entry, then insert with the suffix.
            value = parent.pop(parts[-1])
            parent[parts[-1] + SUFFIX] = value
        for ptr in pointers:
            self._encrypt_at(doc, ptr.lstrip("/").split("/"))
        doc["sops"] = {
            "kms": None,
            "gcp_kms": [
                {
                    "resource_id": "projects/stand-in/locations/us-central1/keyRings/sops/"
                    "cryptoKeys/config-encryption",
                    "enc": random.randbytes(32).hex(),
                }
            ],
            "lastmodified": "2026-01-01T00:00:00Z",
            "mac": self._enc(_mac(doc)),
            "encrypted_suffix": SUFFIX,
            "version": "3.7.3",
        }
        return doc

    def _encrypt_at(self, doc: Any, parts: list[str]) -> None:
        parent = doc
        for part in parts[:-1]:
            parent = parent[int(part)] if isinstance(parent, list) else parent[part]
        key = parts[-1] + SUFFIX
        parent[key] = self._enc(parent[key])

    def decrypt(self, doc: Any) -> dict[str, Any]:
        """The plaintext config, or SopsError (wrong shape, unknown token, MAC mismatch)."""
        if not isinstance(doc, dict) or not isinstance(doc.get("sops"), dict):
            return copy.deepcopy(doc)  # not a sops document: used as given
        mac = self._dec(doc["sops"].get("mac"))
        if mac != _mac(doc):
            raise SopsError("decrypting `sops` document: Error: MAC mismatch")
        return self._strip({k: v for k, v in doc.items() if k != "sops"})

    def _dec(self, value: Any) -> Any:
        match = _ENC.match(value) if isinstance(value, str) else None
        if not match or match.group(1) not in self.vault:
            raise SopsError("decrypting `sops` document: Error: could not decrypt a value")
        return self.vault[match.group(1)]

    def _strip(self, node: Any) -> Any:
        if isinstance(node, dict):
            out = {}
            for key, value in node.items():
                if key.endswith(SUFFIX):
                    out[key[: -len(SUFFIX)]] = self._dec(value)
                else:
                    out[key] = self._strip(value)
            return out
        if isinstance(node, list):
            return [self._strip(v) for v in node]
        return node
