"""Sphinx configuration of the skcoop documentation.

Build (warnings are errors)::

    sphinx-build -W --keep-going -b html doc doc/_build/html
"""

# SPDX-License-Identifier: BSD-3-Clause

import os
import re
import sys
from datetime import date

# The package is normally installed (``pip install -e ".[doc]"``); fall back to
# the checkout so that the docs build from a bare clone too.
try:
    import skcoop
except ImportError:  # pragma: no cover - only without an install
    sys.path.insert(0, os.path.abspath(os.path.join(os.path.dirname(__file__), "..")))
    import skcoop

# -- Project -----------------------------------------------------------------
project = "skcoop"
author = "skcoop developers"
copyright = f"{date.today().year}, {author}"
release = skcoop.__version__
version = ".".join(release.split(".")[:2])

# -- General -----------------------------------------------------------------
extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.doctest",
    "sphinx.ext.mathjax",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
]

templates_path = ["_templates"]
exclude_patterns = ["_build", "Thumbs.db", ".DS_Store"]
root_doc = "index"
default_role = "literal"
nitpicky = False

# -- autodoc / autosummary / numpydoc -----------------------------------------
# API pages are generated under doc/generated/ (git-ignored) from the
# templates in _templates/autosummary/, which list each class's methods the
# way scikit-learn's do.
autosummary_generate = True
autosummary_imported_members = False
autodoc_default_options = {"member-order": "bysource"}
autodoc_typehints = "none"
autoclass_content = "class"

numpydoc_show_class_members = False
numpydoc_show_inherited_class_members = False
numpydoc_class_members_toctree = False
numpydoc_attributes_as_param_list = True
numpydoc_xref_param_type = False

# No intersphinx: the documentation builds offline.
intersphinx_mapping = {}

# -- gallery -----------------------------------------------------------------
# Runnable examples (examples/plot_*.py at the repository's root), run at
# each build; every one draws a figure, on small data so the build stays
# within CI's budget. A failing example fails the build.
sphinx_gallery_conf = {
    "examples_dirs": "../examples",
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"/plot_",
    "download_all_examples": False,
    "remove_config_comments": True,
    "within_subsection_order": "FileNameSortKey",
    "matplotlib_animations": False,
    "image_scrapers": ("matplotlib",),
    "reset_modules": ("matplotlib",),
    "show_memory": False,
    "abort_on_example_error": False,
    "only_warn_on_example_error": False,
    "write_computation_times": True,
}

# -- doctest (``sphinx-build -b doctest doc doc/_build/doctest``) ---------------
doctest_global_setup = """
import warnings
import numpy as np
warnings.filterwarnings("ignore", category=FutureWarning)
"""

# -- HTML --------------------------------------------------------------------
html_theme = "alabaster"
html_title = f"skcoop {release}"
html_static_path = []
html_theme_options = {
    "description": "Cooperative knowledge distillation for scikit-learn",
    "fixed_sidebar": True,
    "page_width": "1100px",
    "sidebar_width": "230px",
}
html_sidebars = {
    "**": ["about.html", "navigation.html", "relations.html", "searchbox.html"]
}
html_show_sourcelink = False


# -- Offline links into scikit-learn's documentation ----------------------------
# Methods inherited from scikit-learn (score, get_metadata_routing,
# set_fit_request, ...) keep their docstrings, which refer to labels and
# glossary terms of scikit-learn's own documentation. Without intersphinx
# (the build is offline) those references are resolved here to fixed URLs; a
# label not listed stays an error, so our own broken references still fail
# the build.
SKLEARN_DOC = "https://scikit-learn.org/stable/"
SKLEARN_LABELS = {
    "metadata_routing": "metadata_routing.html",
    "accuracy_score": "modules/model_evaluation.html#accuracy-score",
    "r2_score": "modules/model_evaluation.html#r2-score",
    "glossary": "glossary.html",
    "user_guide": "user_guide.html",
}


def _sklearn_reference(app, env, node, contnode):
    """Resolve scikit-learn's ``:ref:`` labels and ``:term:`` glossary terms."""
    from docutils import nodes

    if node.get("refdomain") != "std":
        return None
    target = node.get("reftarget", "")
    reftype = node.get("reftype")
    if reftype == "ref" and target in SKLEARN_LABELS:
        uri = SKLEARN_DOC + SKLEARN_LABELS[target]
    elif reftype == "term" and "sklearn" in str(node.source or ""):
        slug = "-".join(target.lower().split())
        uri = f"{SKLEARN_DOC}glossary.html#term-{slug}"
    else:
        return None
    ref = nodes.reference("", "", internal=False, refuri=uri)
    ref.append(contnode)
    return ref


_SHAPE = re.compile(r"\(([^()]*)\)")
_TRAILING = re.compile(r"(?<![`\w])([A-Za-z]\w*_)(?![`\w])")


def _quote_shapes(app, what, name, obj, options, lines):
    """Quote attribute names in shapes, ``(n_features_in_,)`` -> literal.

    In reST a word ending in ``_`` is a link; scikit-learn writes such shapes
    as ``(`n_features_in_`,)``. Done before numpydoc parses the docstring.
    """
    for i, line in enumerate(lines):
        if "shape" in line and "_" in line:
            lines[i] = _SHAPE.sub(
                lambda m: "(" + _TRAILING.sub(r"`\1`", m.group(1)) + ")", line
            )


def setup(app):
    app.connect("missing-reference", _sklearn_reference)
    app.connect("autodoc-process-docstring", _quote_shapes, priority=100)
