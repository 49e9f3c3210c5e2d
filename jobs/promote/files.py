"""The files a promotion reads and writes: `Pulumi.<to>.yaml`, the policy pack and its config."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from jobs.promote.outcome import PromotionFailed
from jobs.stack_file import StackFileError, set_release

RELEASE_CONFIG_FIELDS = ("apiImage",)  # the only release fields that are stack config
POLICY_PACK_DIR = "policies"
POLICY_CONFIG_DIR = "policies/config"  # <stack>.json: the pack's thresholds for that stack


def target_files(repo_root: Path, target: str) -> tuple[Path, Path, Path]:
    """The target's stack file, the policy pack and the target's policy config; all must exist."""
    stack_file = repo_root / f"Pulumi.{target}.yaml"
    if not stack_file.is_file():
        raise PromotionFailed("stack-file", f"{stack_file} does not exist")
    policy_dir = repo_root / POLICY_PACK_DIR
    if not (policy_dir / "PulumiPolicy.yaml").is_file():
        raise PromotionFailed(
            "target-policy-preview", f"no policy pack at {policy_dir} (PulumiPolicy.yaml missing)"
        )
    # Without its config the pack runs on its defaults, not the target's thresholds.
    policy_config = repo_root / POLICY_CONFIG_DIR / f"{target}.json"
    if not policy_config.is_file():
        raise PromotionFailed(
            "target-policy-preview", f"no policy config for {target} at {policy_config}"
        )
    return stack_file, policy_dir, policy_config


def render_release(
    stack_file: Path, release: dict[str, Any], source: str, label: str
) -> tuple[str, str]:
    """The stack file's text before and after the promoted release goes in (not yet written)."""
    old_text = stack_file.read_bytes().decode("utf-8")
    release_config = {k: release[k] for k in RELEASE_CONFIG_FIELDS}
    versions = {k: v for k, v in sorted(release.items()) if k not in RELEASE_CONFIG_FIELDS}
    comment = f"from {source} {label}"
    if versions:
        comment += ": " + ", ".join(f"{k}={v}" for k, v in versions.items())
    try:
        new_text = set_release(old_text, release_config, comment)
    except StackFileError as err:
        raise PromotionFailed("stack-file", f"{stack_file.name}: {err}") from None
    return old_text, new_text
