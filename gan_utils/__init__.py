"""gan_utils: the pieces the gan-mnist notebooks build, kept in one place so later notebooks import them.

One module per idea; ARCHITECTURE.md in the repository maps them. The core reads top to bottom:
data -> models -> losses -> steps -> gan -> training. Around it: checkpoints, plotting, widgets,
runs and cli, and two packages, evaluation/ (the metric) and lab/ (the 2-D GAN lab).
"""

__version__ = "0.1.0"
