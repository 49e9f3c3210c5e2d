"""Run the real Pulumi program offline, under mocks, and record what it declares.

This is the engine of `jobs.synth` and of the tests: it loads `Pulumi.yaml` defaults and
`Pulumi.<stack>.yaml`, replaces `secure:` values with placeholders that stay secret, runs
`__main__.py` in-process with a recording mock monitor, and returns every registered resource
(type, name, parent, inputs with secrets redacted, options) plus the stack outputs.
`synthesize_component` runs one component the same way, for the component tests: one mock
monitor and one set of mocks serve the synth, the cost view, the policy check and the tests.

One module per concern:

    stack_config  the stack config from the project's YAML files, `secure:` values as placeholders
    records       what a run records: `DeclaredResource`, `Synthesis`, `SECRET_MARK`
    mocks         `SynthMocks` and `RecordingMonitor`, the one mock monitor in the tree
    run           `synthesize`, `synthesize_component`, `exit_without_final_collection`

The names below are the package's public surface (the jobs, the tests and bench use them).
"""

from jobs.harness.mocks import STACK_TYPE, RecordingMonitor, SynthMocks
from jobs.harness.records import SECRET_MARK, DeclaredResource, Synthesis
from jobs.harness.run import exit_without_final_collection, synthesize, synthesize_component
from jobs.harness.stack_config import (
    PROJECT,
    REPO_ROOT,
    StackConfigError,
    available_stacks,
    load_stack_config,
    stack_file,
)

__all__ = [
    "PROJECT",
    "REPO_ROOT",
    "SECRET_MARK",
    "STACK_TYPE",
    "DeclaredResource",
    "RecordingMonitor",
    "StackConfigError",
    "SynthMocks",
    "Synthesis",
    "available_stacks",
    "exit_without_final_collection",
    "load_stack_config",
    "stack_file",
    "synthesize",
    "synthesize_component",
]
