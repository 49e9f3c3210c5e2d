"""Old import path of the Estuary providers, kept for existing Pulumi state.

State written before the one-module-per-kind layout holds the providers pickled as
`components.estuary.provider.CaptureProvider` and `...MaterializationProvider`; the dynamic
provider host unpickles them by that path (pulumi/dynamic/__main__.py `get_provider`). The
classes now live in components/estuary/capture.py and materialization.py. Proven by
tests/components/estuary/test_old_state.py with providers pickled by the code before the move.
"""

from components.estuary.base import SECRET_OUTPUTS
from components.estuary.capture import CaptureProvider
from components.estuary.materialization import MaterializationProvider

__all__ = ["SECRET_OUTPUTS", "CaptureProvider", "MaterializationProvider"]
