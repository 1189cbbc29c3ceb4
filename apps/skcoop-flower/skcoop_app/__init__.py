"""skcoop's cooperative distillation as a Flower app (``flwr run``)."""
