"""gan_utils: the pieces the gan-mnist notebooks build, kept in one place so later notebooks import them.

One module per idea: runtime (device, seed, quick mode), data, models, losses, plotting,
training, checkpoints, widgets, evaluation.
"""

__version__ = "0.1.0"
