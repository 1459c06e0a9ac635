"""bip-bridge: BIP employability indicators measured through LimeSurvey."""

__version__ = "0.1.0"
