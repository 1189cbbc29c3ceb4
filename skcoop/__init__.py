"""skcoop: cooperative knowledge distillation between heterogeneous learners."""

# SPDX-License-Identifier: BSD-3-Clause

__version__ = "0.1.0.dev0"

__all__ = ["__version__"]
