"""gan_utils: the pieces the gan-mnist notebooks build, kept in one place so later notebooks import them.

One module per idea: runtime (device, seed, quick mode), data, models, dcgan, conditional,
designs, losses, config, ema, training, resume, run_folder, checkpoints, shipped, plotting,
widgets, cli; and two packages, evaluation/ (the metric) and lab/ (the 2-D GAN lab).
"""

__version__ = "0.1.0"
