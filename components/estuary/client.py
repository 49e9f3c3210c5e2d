"""Old import path of the Estuary client and its `Tuning`, kept for existing Pulumi state.

A provider pickled with a `Tuning` names it `components.estuary.client.Tuning`; the class now
lives in components/estuary/transport.py and the client in components/estuary/api.py. Proven
by tests/components/estuary/test_old_state.py. New code imports from those modules.
"""

from components.estuary.api import ClientSettings, EstuaryClient
from components.estuary.transport import Tuning

__all__ = ["ClientSettings", "EstuaryClient", "Tuning"]
