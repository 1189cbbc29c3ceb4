"""The ClientApp: one site fits, teaches and learns on its own rows.

Each SuperNode says which rows and which learner are its own with its
``--node-config`` (``data``, ``target``, ``name``, ``estimator``,
``holdout``; see README.md); without ``data`` (Flower's simulation), the
site is ``partition-id``'s part of the breast cancer demo.
"""

from skcoop.flower.cooperative import make_client_app, node_site

app = make_client_app(node_site)
