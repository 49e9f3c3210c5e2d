"""No admin credential reaches code from a pull request (docs/ci-identities.md).

Read from every workflow in .github/workflows/:

- a workflow a pull request can start (`pull_request`, `pull_request_target`, `issue_comment`,
  `workflow_run`, `merge_group`) references no secret but the job's own `github.token`, uses no
  environment (environments are where the identities live) and passes no `secrets: inherit`;
- elsewhere, an admin secret (the deploy identity: it can change a stack) appears only in a job
  that runs in a GitHub environment, and only in one of the environments docs/ci-identities.md
  names for it (`dev`/`staging`/`prod`, whose deployment branches and reviewers protect them);
  the read-only drift identity never holds an admin secret;
- no secret is set at workflow level (it would reach every job);
- every environment variable a step fills from a secret is read by something: the step's own
  script, a module of this repository, or the tool named in TOOL_VARIABLES. A secret passed under
  a name nothing reads (the old `SNOWFLAKE_PRIVATE_KEY`) is a credential handed out for nothing.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from tests.test_workflows import REPO_ROOT, WORKFLOWS, _load

# Events whose workflow runs code a pull request can change, or runs with it nearby.
PR_EVENTS = frozenset(
    {"pull_request", "pull_request_target", "issue_comment", "workflow_run", "merge_group"}
)
# Secrets that act as the deploy identity (docs/ci-identities.md): each can change a stack.
# PULUMI_ACCESS_TOKEN decrypts every stack secret (the Snowflake deploy key among them).
ADMIN_SECRETS = frozenset(
    {
        "PULUMI_ACCESS_TOKEN",
        "PULUMI_CONFIG_PASSPHRASE",
        "SNOWFLAKE_PRIVATE_KEY",
        "KUBECONFIG_DEPLOY",
        "PORTKEY_ADMIN_API_KEY",
        "FLOW_AUTH_TOKEN",
    }
)
# Environments allowed to hold admin secrets: the stacks' own (release.yml, restore.yml) and the
# nightly drift environments, which must hold the Pulumi token to refresh (docs/ci-identities.md
# "Why drift is not read-only for Snowflake"). `${{ inputs.x }}` and `${{ matrix.stack }}` are
# expanded to the choices the workflow allows before they are matched.
ADMIN_ENVIRONMENTS = re.compile(r"^(dev|staging|prod|drift-(dev|staging|prod))$")
_INPUT = re.compile(r"\$\{\{\s*inputs\.([A-Za-z0-9_-]+)\s*\}\}")
READ_ONLY_ONLY = {"KUBECONFIG_DEPLOY"}  # never in a drift environment
# Variables read by a tool rather than by this repository's code.
TOOL_VARIABLES = {
    "PULUMI_ACCESS_TOKEN": "the pulumi CLI (and the Automation API it drives)",
    "GH_TOKEN": "the gh CLI",
}
SECRET = re.compile(r"\$\{\{\s*secrets\.([A-Za-z0-9_]+)\s*\}\}")
CODE_DIRS = ("components", "jobs", "policies", "wiring.py", "__main__.py")


def _triggers(workflow: Mapping[str, Any]) -> set[str]:
    on = workflow.get("on")
    if isinstance(on, str):
        return {on}
    if isinstance(on, list):
        return {str(e) for e in on}
    return set(on or {})


def _secrets_in(value: Any) -> set[str]:
    if isinstance(value, Mapping):
        return set().union(*(_secrets_in(v) for v in value.values())) if value else set()
    if isinstance(value, list):
        return set().union(*(_secrets_in(v) for v in value)) if value else set()
    return set(SECRET.findall(value)) if isinstance(value, str) else set()


def _environment(job: Mapping[str, Any]) -> str | None:
    env = job.get("environment")
    if isinstance(env, Mapping):
        env = env.get("name")
    return str(env) if env is not None else None


def _expand(environment: str, job: Mapping[str, Any], workflow: Mapping[str, Any]) -> list[str]:
    """`drift-${{ matrix.stack }}` -> one name per matrix stack; `${{ inputs.to }}` -> one per
    option of that `workflow_dispatch` choice input. Anything else stays as written (and then
    matches no allowed environment)."""
    stacks = ((job.get("strategy") or {}).get("matrix") or {}).get("stack")
    if "${{ matrix.stack }}" in environment and isinstance(stacks, list):
        return [environment.replace("${{ matrix.stack }}", str(s)) for s in stacks]
    match = _INPUT.search(environment)
    on = workflow.get("on")
    dispatch = on.get("workflow_dispatch") if isinstance(on, Mapping) else None
    inputs = (dispatch or {}).get("inputs") or {} if isinstance(dispatch, Mapping) else {}
    spec = inputs.get(match.group(1)) if match else None
    if match and isinstance(spec, Mapping) and spec.get("type") == "choice":
        options = spec.get("options") or []
        return [environment.replace(match.group(0), str(option)) for option in options]
    return [environment]


def secret_problems(name: str, workflow: Mapping[str, Any]) -> list[str]:
    """Why `workflow` (file `name`) hands a credential to code that must not have it."""
    problems = []
    jobs = workflow.get("jobs") or {}
    if _secrets_in(workflow.get("env")):
        problems.append(f"{name}: secrets set in the workflow-level env reach every job")
    pr_events = sorted(_triggers(workflow) & PR_EVENTS)
    for job_id, job in jobs.items():
        used = _secrets_in(job)
        environment = _environment(job)
        if pr_events:
            if used:
                problems.append(
                    f"{name} job {job_id}: runs on {', '.join(pr_events)} and reads secrets "
                    f"{', '.join(sorted(used))}; pull request code gets no secret"
                )
            if environment is not None:
                problems.append(
                    f"{name} job {job_id}: runs on {', '.join(pr_events)} in environment "
                    f"{environment}; the identities' environments are not for pull requests"
                )
            if job.get("secrets") == "inherit":
                problems.append(f"{name} job {job_id}: `secrets: inherit` on {pr_events[0]}")
            continue
        admin = sorted(used & ADMIN_SECRETS)
        if not admin:
            continue
        if environment is None:
            problems.append(
                f"{name} job {job_id}: reads {', '.join(admin)} outside any environment; "
                "admin secrets live only in the protected environments"
            )
            continue
        for expanded in _expand(environment, job, workflow):
            if not ADMIN_ENVIRONMENTS.match(expanded):
                problems.append(
                    f"{name} job {job_id}: environment {expanded} may not hold {', '.join(admin)}"
                )
            elif expanded.startswith("drift-") and READ_ONLY_ONLY & set(admin):
                problems.append(
                    f"{name} job {job_id}: drift environment {expanded} holds "
                    f"{', '.join(sorted(READ_ONLY_ONLY & set(admin)))}; drift reads only"
                )
    return problems


def _step_envs(workflow: Mapping[str, Any]) -> Iterator[tuple[str, Mapping[str, Any], str, str]]:
    """(job id, step, variable, secret) for each step variable filled from a secret."""
    for job_id, job in (workflow.get("jobs") or {}).items():
        job_env = job.get("env") or {}
        for step in job.get("steps") or []:
            for variable, value in {**job_env, **(step.get("env") or {})}.items():
                for secret in _secrets_in(value):
                    yield job_id, step, str(variable), secret


def _code_reads(variable: str, root: Path = REPO_ROOT) -> bool:
    """The name, quoted, in a module that reads the environment (`os.environ`, `getenv`): a
    Kubernetes env entry of the same name in a pod spec is not a read."""
    quoted = re.compile(rf"[\"']{re.escape(variable)}[\"']")
    for entry in CODE_DIRS:
        path = root / entry
        for module in [path] if path.is_file() else sorted(path.rglob("*.py")):
            text = module.read_text(encoding="utf-8")
            if quoted.search(text) and re.search(r"\benviron\b|\bgetenv\b", text):
                return True
    return False


def unread_secret_problems(name: str, workflow: Mapping[str, Any]) -> list[str]:
    problems = []
    for job_id, step, variable, secret in _step_envs(workflow):
        script = str(step.get("run") or "")
        if re.search(rf"\$\{{?{re.escape(variable)}\b", script) or variable in TOOL_VARIABLES:
            continue
        if _code_reads(variable):
            continue
        problems.append(
            f"{name} job {job_id}: passes secrets.{secret} as {variable}, which nothing reads "
            "(not the step's script, not this repository's code, not a known tool)"
        )
    return problems


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_no_admin_secret_reaches_pull_request_code(path: Path) -> None:
    assert secret_problems(path.name, _load(path)) == []


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_every_secret_passed_is_read(path: Path) -> None:
    assert unread_secret_problems(path.name, _load(path)) == []


def test_the_pr_workflow_runs_pull_request_code_with_no_secret() -> None:
    workflow = _load(REPO_ROOT / ".github" / "workflows" / "pr.yml")
    assert "pull_request" in _triggers(workflow)
    assert all(not _secrets_in(job) for job in workflow["jobs"].values())


# --- the rules on workflows that break them ---------------------------------------------------


def _workflow(text: str, tmp_path: Path) -> dict[str, Any]:
    path = tmp_path / "w.yml"
    path.write_text(text)
    return _load(path)


PREVIEW_WITH_ADMIN_KEY = """
on: pull_request
jobs:
  preview:
    runs-on: ubuntu-24.04
    environment: preview-prod
    steps:
      - run: pulumi preview
        env:
          PULUMI_ACCESS_TOKEN: ${{ secrets.PULUMI_ACCESS_TOKEN }}
          PORTKEY_ADMIN_API_KEY: ${{ secrets.PORTKEY_ADMIN_API_KEY }}
"""


def test_a_pull_request_job_with_the_deploy_token_is_refused(tmp_path: Path) -> None:
    assert secret_problems("w.yml", _workflow(PREVIEW_WITH_ADMIN_KEY, tmp_path)) == [
        "w.yml job preview: runs on pull_request and reads secrets PORTKEY_ADMIN_API_KEY, "
        "PULUMI_ACCESS_TOKEN; pull request code gets no secret",
        "w.yml job preview: runs on pull_request in environment preview-prod; the identities' "
        "environments are not for pull requests",
    ]


def test_pull_request_target_and_inherited_secrets_are_refused(tmp_path: Path) -> None:
    text = """
on: [pull_request_target]
env:
  TOKEN: ${{ secrets.ANY }}
jobs:
  call:
    uses: ./.github/workflows/other.yml
    secrets: inherit
"""
    assert secret_problems("w.yml", _workflow(text, tmp_path)) == [
        "w.yml: secrets set in the workflow-level env reach every job",
        "w.yml job call: `secrets: inherit` on pull_request_target",
    ]


def test_an_admin_secret_outside_an_environment_is_refused(tmp_path: Path) -> None:
    text = """
on: workflow_dispatch
jobs:
  up:
    runs-on: ubuntu-24.04
    steps:
      - run: pulumi up
        env:
          PULUMI_ACCESS_TOKEN: ${{ secrets.PULUMI_ACCESS_TOKEN }}
  drift:
    runs-on: ubuntu-24.04
    environment: drift-${{ matrix.stack }}
    strategy:
      matrix:
        stack: [dev, prod]
    steps:
      - run: make drift
        env:
          KUBECONFIG_DATA: ${{ secrets.KUBECONFIG_DEPLOY }}
  other:
    runs-on: ubuntu-24.04
    environment: sandbox
    steps:
      - run: make x
        env:
          FLOW_AUTH_TOKEN: ${{ secrets.FLOW_AUTH_TOKEN }}
"""
    assert secret_problems("w.yml", _workflow(text, tmp_path)) == [
        "w.yml job up: reads PULUMI_ACCESS_TOKEN outside any environment; admin secrets live "
        "only in the protected environments",
        "w.yml job drift: drift environment drift-dev holds KUBECONFIG_DEPLOY; drift reads only",
        "w.yml job drift: drift environment drift-prod holds KUBECONFIG_DEPLOY; drift reads only",
        "w.yml job other: environment sandbox may not hold FLOW_AUTH_TOKEN",
    ]


RESTORE_LIKE = """
on:
  workflow_dispatch:
    inputs:
      stack: {type: choice, options: [dev, staging, prod], required: true}
      where: {type: choice, options: [prod, sandbox], required: true}
      free: {type: string}
jobs:
  dry-run:
    runs-on: ubuntu-24.04
    steps:
      - run: python -m jobs.restore --dry-run
  restore:
    runs-on: ubuntu-24.04
    environment: ${{ inputs.stack }}
    steps:
      - run: test -n "$SNOWFLAKE_PRIVATE_KEY" && python -m jobs.restore
        env:
          SNOWFLAKE_PRIVATE_KEY: ${{ secrets.SNOWFLAKE_PRIVATE_KEY }}
  elsewhere:
    runs-on: ubuntu-24.04
    environment: ${{ inputs.where }}
    steps:
      - run: make x
        env:
          PULUMI_ACCESS_TOKEN: ${{ secrets.PULUMI_ACCESS_TOKEN }}
  anywhere:
    runs-on: ubuntu-24.04
    environment: ${{ inputs.free }}
    steps:
      - run: make x
        env:
          PULUMI_ACCESS_TOKEN: ${{ secrets.PULUMI_ACCESS_TOKEN }}
"""


def test_an_environment_chosen_at_dispatch_is_checked_option_by_option(tmp_path: Path) -> None:
    # restore.yml's shape: a manual run in the environment named by a choice input.
    assert secret_problems("w.yml", _workflow(RESTORE_LIKE, tmp_path)) == [
        "w.yml job elsewhere: environment sandbox may not hold PULUMI_ACCESS_TOKEN",
        "w.yml job anywhere: environment ${{ inputs.free }} may not hold PULUMI_ACCESS_TOKEN",
    ]
    assert unread_secret_problems("w.yml", _workflow(RESTORE_LIKE, tmp_path)) == []


def test_a_secret_passed_under_a_name_nothing_reads_is_refused(tmp_path: Path) -> None:
    text = """
on: workflow_dispatch
jobs:
  up:
    runs-on: ubuntu-24.04
    environment: prod
    steps:
      - run: python -m jobs.promote
        env:
          SNOWFLAKE_DEPLOY_KEY: ${{ secrets.SNOWFLAKE_PRIVATE_KEY }}
          PORTKEY_API_KEY: ${{ secrets.PORTKEY_API_KEY }}
          PORTKEY_ADMIN_API_KEY: ${{ secrets.PORTKEY_ADMIN_API_KEY }}
          DATA: ${{ secrets.KUBECONFIG_DEPLOY }}
      - run: printf '%s' "$DATA2" > kubeconfig
        env:
          DATA2: ${{ secrets.KUBECONFIG_DEPLOY }}
"""
    assert unread_secret_problems("w.yml", _workflow(text, tmp_path)) == [
        "w.yml job up: passes secrets.SNOWFLAKE_PRIVATE_KEY as SNOWFLAKE_DEPLOY_KEY, which "
        "nothing reads (not the step's script, not this repository's code, not a known tool)",
        "w.yml job up: passes secrets.PORTKEY_API_KEY as PORTKEY_API_KEY, which nothing reads "
        "(not the step's script, not this repository's code, not a known tool)",
        "w.yml job up: passes secrets.KUBECONFIG_DEPLOY as DATA, which nothing reads "
        "(not the step's script, not this repository's code, not a known tool)",
    ]


# --- the names agree: workflows, docs, Pulumi.yaml, code ----------------------------------------


def test_every_secret_a_workflow_reads_is_documented() -> None:
    documented = (REPO_ROOT / "docs" / "ci-identities.md").read_text()
    for path in WORKFLOWS:
        for secret in sorted(_secrets_in(_load(path))):
            assert f"`{secret}`" in documented, (
                f"{path.name}: {secret} not in docs/ci-identities.md"
            )


def test_the_portkey_admin_key_has_one_name() -> None:
    from components.portkey.client import API_KEY_ENV

    declared = _load_yaml(REPO_ROOT / "Pulumi.yaml")["config"]["portkeyAdminApiKey"]
    assert f"env {API_KEY_ENV}" in declared["description"]
    for doc in ("README.md", "docs/drift-and-promotion.md", "docs/portkey.md"):
        text = (REPO_ROOT / doc).read_text()
        assert "`PORTKEY_API_KEY` (read by" not in text, f"{doc} names the gateway key as admin key"


def _load_yaml(path: Path) -> dict[str, Any]:
    import yaml

    return yaml.safe_load(path.read_text())
