"""DCGAN (Radford et al., 2016), sized for 28x28 MNIST: convolutions instead of fully connected layers
(notebook 08).

    generator:     z (B, 100) -> Linear -> (B, 256, 7, 7) -> ConvTranspose -> (B, 128, 14, 14)
                   -> ConvTranspose -> (B, 1, 28, 28), BatchNorm + ReLU between, tanh at the end
    discriminator: (B, 1, 28, 28) -> strided Conv -> (B, 64, 14, 14) -> strided Conv -> (B, 128, 7, 7)
                   -> Linear -> one logit, LeakyReLU(0.2) between, spectral norm on each weight

A 4x4 kernel with stride 2 and padding 1 exactly doubles (ConvTranspose2d) or halves (Conv2d) the
height and width. The discriminator has no BatchNorm (as in the TensorFlow DCGAN tutorial for MNIST),
so the trainer's single forward pass over real and fake images equals two separate passes. Instead
each of its weights is divided by its largest singular value (spectral normalisation, Miyato et al.,
2018), which keeps it from pulling ahead of the generator.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn.utils.parametrizations import spectral_norm

from gan_utils.models import LEAKY_SLOPE, check_noise

#: Standard deviation of the DCGAN paper's initialisation: weights ~ N(0, 0.02) (notebook 08).
INIT_STD = 0.02


@torch.no_grad()
def init_dcgan_weights(module: nn.Module) -> None:
    """The DCGAN paper's initialisation, for `model.apply(init_dcgan_weights)` (notebook 08).

    Convolution and linear weights ~ N(0, 0.02), biases 0; BatchNorm scales ~ N(1, 0.02), shifts 0.
    """
    if isinstance(module, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear)):
        nn.init.normal_(module.weight, 0.0, INIT_STD)
        if module.bias is not None:
            nn.init.zeros_(module.bias)
    elif isinstance(module, nn.modules.batchnorm._BatchNorm):
        nn.init.normal_(module.weight, 1.0, INIT_STD)
        nn.init.zeros_(module.bias)


class DCGANGenerator(nn.Module):
    """Noise (B, latent_dim) -> images (B, 1, 28, 28) in [-1, 1], by transposed convolutions."""

    design = "dcgan"

    def __init__(
        self, latent_dim: int = 100, channels: tuple[int, int] = (256, 128), init: bool = True
    ) -> None:
        super().__init__()
        c1, c2 = channels
        self.latent_dim, self.channels = latent_dim, (c1, c2)
        self.image_shape = (1, 28, 28)
        # Layers followed by BatchNorm need no bias: BatchNorm's shift replaces it.
        self.project = nn.Sequential(
            nn.Linear(latent_dim, c1 * 7 * 7, bias=False), nn.BatchNorm1d(c1 * 7 * 7), nn.ReLU()
        )
        self.net = nn.Sequential(
            nn.ConvTranspose2d(c1, c2, 4, stride=2, padding=1, bias=False),  # 7x7 -> 14x14
            nn.BatchNorm2d(c2),
            nn.ReLU(),
            nn.ConvTranspose2d(c2, 1, 4, stride=2, padding=1),  # 14x14 -> 28x28
            nn.Tanh(),
        )
        if init:
            self.apply(init_dcgan_weights)

    @property
    def config(self) -> dict:
        """Everything needed to rebuild this architecture (stored in checkpoints)."""
        return {
            "design": self.design,
            "latent_dim": self.latent_dim,
            "channels": list(self.channels),
        }

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        check_noise(z, self.latent_dim)
        x = self.project(z).view(z.shape[0], self.channels[0], 7, 7)  # (B, 100) -> (B, 256, 7, 7)
        return self.net(x)  # -> (B, 128, 14, 14) -> (B, 1, 28, 28)


class DCGANDiscriminator(nn.Module):
    """Images (B, 1, 28, 28) -> one logit per image, by strided convolutions."""

    design = "dcgan"

    def __init__(
        self, channels: tuple[int, int] = (64, 128), init: bool = True, spectral: bool = True
    ) -> None:
        super().__init__()
        c1, c2 = channels
        self.channels, self.spectral = (c1, c2), spectral
        layers = [
            nn.Conv2d(1, c1, 4, stride=2, padding=1),  # 28x28 -> 14x14
            nn.LeakyReLU(LEAKY_SLOPE),
            nn.Conv2d(c1, c2, 4, stride=2, padding=1),  # 14x14 -> 7x7
            nn.LeakyReLU(LEAKY_SLOPE),
            nn.Flatten(),
            nn.Linear(c2 * 7 * 7, 1),
        ]
        for layer in layers:
            if init:
                layer.apply(init_dcgan_weights)
            # After the initialisation, so that the singular-value estimate starts from these weights
            if spectral and isinstance(layer, nn.Conv2d | nn.Linear):
                spectral_norm(layer)  # layer.weight is now W / (largest singular value of W)
        self.net = nn.Sequential(*layers)

    @property
    def config(self) -> dict:
        return {"design": self.design, "channels": list(self.channels), "spectral": self.spectral}

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.ndim != 4 or tuple(x.shape[1:]) != (1, 28, 28):
            raise ValueError(
                f"DCGANDiscriminator expected images of shape (batch, 1, 28, 28), got {tuple(x.shape)}."
            )
        return self.net(x)  # (B, 1, 28, 28) -> (B, 64, 14, 14) -> (B, 128, 7, 7) -> (B, 1)
