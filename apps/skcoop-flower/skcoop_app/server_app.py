"""The ServerApp: rounds of cooperative distillation, routed between sites.

Its settings are the run config of ``pyproject.toml`` (``[tool.flwr.app.config]``),
overridden at submission with ``flwr run . <superlink> --run-config 'alpha=0.3'``.
It sees model files and virtual rows only, never a raw row.
"""

from skcoop.flower.cooperative import make_server_app

app = make_server_app()
