"""Fault injection for the control-plane stand-ins: `proxy.FaultProxy` (area-agnostic)."""
