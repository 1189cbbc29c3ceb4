"""
=============================
The Flower app, in simulation
=============================

The same round as a Flower federation: a ``ServerApp`` drives the rounds
through Flower's Message API, and each of three simulated SuperNodes runs
a ``ClientApp`` around one site's rows (the breast-cancer demo of
:mod:`skcoop.flower.cooperative`). Models travel as skops files, virtual
rows as parquet files; raw rows never leave a site. Each site scores its
model on held-out rows after every round; the history holds those scores
and the bytes each site sent. Needs the ``flower`` and ``silo`` extras.
"""

# %%
# Run two rounds on three simulated sites
# ---------------------------------------
import matplotlib.pyplot as plt
import numpy as np

from skcoop.flower.cooperative import demo_ensemble, demo_site, run_cooperative

history = run_cooperative(demo_site, 3, n_rounds=2, random_state=0)
table = history.table

# %%
# Each site's held-out score per round
# ------------------------------------
# Round 0 is each member fitted on its own rows, before any distillation.
# The in-process ensemble with the same seed is the reference the Flower run
# reproduces.
ens, (X_test, y_test) = demo_ensemble(random_state=0, n_rounds=2)
fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4))
for name in history.names:
    rows = [e for e in table if e["site"] == name]
    left.plot(
        [e["round"] for e in rows], [e["score"] for e in rows], marker="o", label=name
    )
left.set(
    xlabel="round",
    ylabel="held-out accuracy",
    xticks=[0, 1, 2],
    title="Flower run: each site's score",
)
left.legend()
sent = {
    name: sum(e["bytes_sent"] for e in table if e["site"] == name)
    for name in history.names
}
right.bar(list(sent), np.asarray(list(sent.values())) / 1024)
right.set(ylabel="KiB sent (models and virtual rows)", title="What each site sent")
fig.tight_layout()
print(
    "in-process ensemble, same seed:",
    {n: round(m.score(X_test, y_test), 3) for n, m in ens.named_estimators_.items()},
)
