"""The metrics layer: LimeSurvey response exports in, the BIP measurement model out.

Pure functions over pandas DataFrames (no I/O): :func:`compute_metrics` returns a
:class:`MetricsResult`. Every indicator, code and threshold comes from the
:class:`~bip_bridge.model.MeasurementModel`. Definitions and decisions: docs/metrics.md.
"""

from bip_bridge.metrics.compute import compute_metrics
from bip_bridge.metrics.result import MetricsResult

__all__ = ["MetricsResult", "compute_metrics"]
