"""The lab's game (notebook 10): the two players and `Lab`, which trains them.

A small MLP generator and discriminator (`make_generator`, `make_discriminator`), `LabConfig`, and
`Lab`, which trains them one update at a time with the package's own step: every update is
`gan_utils.steps.discriminator_step` or `generator_step`, with a loss of `gan_utils.losses.LOSSES`.
`Lab` looks the two steps up in this module, so a test that replaces them patches them here.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace

import torch
from torch import nn

from gan_utils.lab.data import DATASETS, DRAW, EXTENT, sample_data, sample_drawn
from gan_utils.losses import LOSSES, GANLoss
from gan_utils.steps import discriminator_step, generator_step


@contextmanager
def one_thread() -> Iterator[None]:
    """Run torch on one CPU thread inside the block, then restore the setting (notebook 10).

    The lab's matrices are tiny (256 x 64): handing them to a second thread costs more than it
    saves, all the more when another program keeps the other cores busy.
    """
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def make_generator(noise_dim: int = 2, hidden: int = 64) -> nn.Sequential:
    """G: noise (B, noise_dim) -> points (B, 2), an MLP with two hidden ReLU layers (notebook 10)."""
    return nn.Sequential(
        nn.Linear(noise_dim, hidden), nn.ReLU(),
        nn.Linear(hidden, hidden), nn.ReLU(),
        nn.Linear(hidden, 2),
    )  # fmt: skip


def make_discriminator(hidden: int = 64) -> nn.Sequential:
    """D: points (B, 2) -> logits (B, 1), an MLP with two hidden ReLU layers (notebook 10)."""
    return nn.Sequential(
        nn.Linear(2, hidden), nn.ReLU(),
        nn.Linear(hidden, hidden), nn.ReLU(),
        nn.Linear(hidden, 1),
    )  # fmt: skip


@dataclass(frozen=True)
class LabConfig:
    """Everything that decides a lab run; the same config and seed give the same run (notebook 10)."""

    dataset: str = "ring"
    lr_d: float = 1e-3
    lr_g: float = 1e-3
    d_steps: int = 1  # D updates per G update
    noise_dim: int = 2  # size of the generator's noise z
    loss: str = "non-saturating"  # the objective, a key of gan_utils.losses.LOSSES
    batch_size: int = 256
    hidden: int = 64
    seed: int = 0

    def __post_init__(self) -> None:
        if self.dataset not in (*DATASETS, DRAW):
            raise ValueError(f"dataset must be one of {(*DATASETS, DRAW)}, got {self.dataset!r}.")
        if self.loss not in LOSSES:
            raise ValueError(f"loss must be one of {tuple(LOSSES)}, got {self.loss!r}.")
        for name in ("lr_d", "lr_g"):
            value = getattr(self, name)
            if not isinstance(value, (int, float)) or not 0 < value <= 1:
                raise ValueError(f"{name} must be a learning rate in (0, 1], got {value!r}.")
        for name, low, high in [("d_steps", 1, 100), ("noise_dim", 1, 64), ("batch_size", 2, 10_000),
                                ("hidden", 1, 1024), ("seed", 0, 2**31 - 1)]:  # fmt: skip
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
                raise ValueError(f"{name} must be an int from {low} to {high}, got {value!r}.")


HISTORY_KEYS = ("loss_d", "loss_g", "d_real", "d_fake")


class Lab:
    """Two small players and their optimisers, trained one update at a time (notebook 10).

    `step()` is d_steps discriminator updates and one generator update, each the package's own
    `discriminator_step` / `generator_step`; `d_step()` and `g_step()` make one update of one
    player. `history` gets one row per update. The points shown (`real_show`, `z_show`) are fixed,
    so the same fakes can be watched moving.
    """

    def __init__(self, config: LabConfig | None = None, **changes) -> None:
        self.points = torch.empty(0, 2)  # the "draw" dataset's points (set_points)
        self.reset(replace(config or LabConfig(), **changes))

    def reset(self, config: LabConfig | None = None) -> None:
        """Fresh players from `config` (default: the current one), seeded; history cleared."""
        self.config = config = config or self.config
        torch.manual_seed(config.seed)  # the initial weights
        self.G = make_generator(config.noise_dim, config.hidden)
        self.D = make_discriminator(config.hidden)
        self.opt_g = torch.optim.Adam(self.G.parameters(), lr=config.lr_g, betas=(0.5, 0.999))
        self.opt_d = torch.optim.Adam(self.D.parameters(), lr=config.lr_d, betas=(0.5, 0.999))
        self.rng = torch.Generator().manual_seed(config.seed + 1)  # batches and noise
        shown = torch.Generator().manual_seed(config.seed + 2)
        self.real_show = self._shown_real(config.dataset, shown)  # (256, 2)
        self.z_show = torch.randn(256, config.noise_dim, generator=shown)  # (256, noise_dim)
        self.steps = self.d_updates = self.g_updates = 0
        self.history: dict[str, list[float]] = {k: [] for k in HISTORY_KEYS}
        self._last = dict.fromkeys(HISTORY_KEYS, math.nan)

    def set(self, **changes) -> None:
        """Change settings mid-run: learning rates, d_steps, loss and dataset apply from the next
        update; a new noise_dim, hidden size or seed starts fresh players (reset)."""
        new = replace(self.config, **changes)
        if any(getattr(new, k) != getattr(self.config, k) for k in ("noise_dim", "hidden", "seed")):
            return self.reset(new)
        for opt, lr in ((self.opt_d, new.lr_d), (self.opt_g, new.lr_g)):
            for group in opt.param_groups:
                group["lr"] = lr
        if new.dataset != self.config.dataset:
            shown = torch.Generator().manual_seed(new.seed + 2)
            self.real_show = self._shown_real(new.dataset, shown)
        self.config = new

    def _shown_real(self, dataset: str, generator: torch.Generator) -> torch.Tensor:
        """The real points the view shows: 256 of a dataset, or the drawn points themselves."""
        return self.points.clone() if dataset == DRAW else sample_data(dataset, 256, generator)

    def set_points(self, points: torch.Tensor) -> None:
        """The points of the "draw" dataset, (k, 2) in plane coordinates: real batches are drawn near
        them (`sample_drawn`) from the next update on."""
        points = torch.as_tensor(points, dtype=torch.float32).reshape(-1, 2)
        if not torch.isfinite(points).all():
            raise ValueError("points must be finite (x, y) pairs.")
        self.points = points.clone()
        if self.config.dataset == DRAW:
            self.real_show = self.points.clone()

    @property
    def ready(self) -> bool:
        """False while the "draw" dataset has no points: there is nothing real to learn from."""
        return self.config.dataset != DRAW or len(self.points) > 0

    def real(self, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
        """`n` real points (n, 2) of the current dataset, drawn with `generator`."""
        if self.config.dataset == DRAW:
            return sample_drawn(self.points, n, generator)
        return sample_data(self.config.dataset, n, generator)

    @property
    def loss(self) -> GANLoss:
        return LOSSES[self.config.loss]

    def noise(self, n: int | None = None) -> torch.Tensor:
        return torch.randn(n or self.config.batch_size, self.config.noise_dim, generator=self.rng)

    def _record(self, **values: float) -> None:
        self._last.update(values)
        for key in HISTORY_KEYS:
            self.history[key].append(self._last[key])

    def d_step(self) -> float:
        """One discriminator update on a fresh real batch and fresh fakes; returns loss_d."""
        real = self.real(self.config.batch_size, self.rng)  # (B, 2)
        with torch.no_grad():  # D's step detaches the fakes anyway: skip G's graph
            fake = self.G(self.noise())  # (B, noise_dim) -> (B, 2)
        loss_d, real_out, fake_out = discriminator_step(
            self.D, self.opt_d, real, fake, loss=self.loss, generator=self.rng
        )
        self.d_updates += 1
        judge = self.loss.judge  # mean probability of "real" (or mean score, for a critic)
        self._record(
            loss_d=loss_d.item(), d_real=judge(real_out).item(), d_fake=judge(fake_out).item()
        )
        return self._last["loss_d"]

    def g_step(self) -> float:
        """One generator update against the current D, with the configured loss; returns loss_g."""
        fake = self.G(self.noise())  # (B, noise_dim) -> (B, 2), attached to G
        loss_g = generator_step(self.D, self.opt_g, fake, loss=self.loss)
        self.g_updates += 1
        self._record(loss_g=loss_g.item())
        return self._last["loss_g"]

    def step(self) -> None:
        """One round of the game: d_steps discriminator updates, then one generator update."""
        with one_thread():
            for _ in range(self.config.d_steps):
                self.d_step()
            self.g_step()
        self.steps += 1

    def run(self, steps: int) -> None:
        """`steps` rounds of `step()`."""
        if not isinstance(steps, int) or isinstance(steps, bool) or steps < 0:
            raise ValueError(f"steps must be a non-negative int, got {steps!r}.")
        with one_thread():
            for _ in range(steps):
                self.step()

    @torch.no_grad()
    def fakes(self, n: int | None = None) -> torch.Tensor:
        """G's points for the fixed display noise (n=None), or for n fresh noise vectors: (n, 2)."""
        if n is None:
            return self.G(self.z_show)
        return self.G(
            torch.randn(n, self.config.noise_dim, generator=torch.Generator().manual_seed(7))
        )

    def push(self) -> tuple[torch.Tensor, torch.Tensor]:
        """The fixed fakes (256, 2) and the way G's loss pushes each: minus its gradient with respect
        to that point (256, 2), per point (the batch mean's gradient times the batch size)."""
        fake = self.fakes().requires_grad_(True)
        (grad,) = torch.autograd.grad(self.loss.g_loss(self.D(fake)), fake)
        return fake.detach(), -grad * len(fake)

    @torch.no_grad()
    def noise_grid(self, lines: int = 9, points: int = 41, span: float = 2.0) -> torch.Tensor:
        """G's image of a regular grid in the noise space: (2 * lines, points, 2) polylines in the
        plane. The grid spans [-span, span] in the first two noise numbers (the others 0); with one
        noise number it is a single line (1, points, 2)."""
        axis = torch.linspace(-span, span, points)
        across = torch.linspace(-span, span, lines)
        dim = self.config.noise_dim
        if dim == 1:
            return self.G(axis[:, None])[None]  # (1, points, 2)
        z = torch.zeros(2, lines, points, dim)
        z[0, :, :, 0], z[0, :, :, 1] = axis, across[:, None]  # rows: z1 varies, z2 fixed
        z[1, :, :, 0], z[1, :, :, 1] = across[:, None], axis  # columns: z2 varies
        return self.G(z.reshape(-1, dim)).reshape(2 * lines, points, 2)

    @torch.no_grad()
    def d_map(self, size: int = 64) -> torch.Tensor:
        """D(x) on a size x size grid over the view, row 0 at the top: the probability of "real"
        (a critic's raw score for a loss whose outputs are not probabilities)."""
        axis = torch.linspace(-EXTENT, EXTENT, size)
        y, x = torch.meshgrid(axis.flip(0), axis, indexing="ij")
        out = self.D(torch.stack([x, y], dim=-1).reshape(-1, 2)).reshape(size, size)
        return torch.sigmoid(out) if self.loss.probability else out
