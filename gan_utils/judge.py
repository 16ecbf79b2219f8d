"""Your digit before the players (notebook 12): what each discriminator and the classifier say of a
drawing, after every stroke, and the generator's search for its closest image.

`DigitJudge` puts a `DrawCanvas` beside a text and a picture that follow the drawing: the digit as the
players see it (28 x 28, prepared like MNIST's), each discriminator's probability of "real", and the
metric classifier's reading (notebook 07). Its "ask G" button runs `invert` and shows the search, step
by step, next to the nearest training image.

    judge = DigitJudge({"block": D_block, "dcgan": D_dcgan}, G=G, training_images=images)
    judge                        # in a notebook cell
"""

from __future__ import annotations

import html
import io
import time

import ipywidgets as widgets
import numpy as np
import torch
from PIL import Image
from torch import nn

from gan_utils.canvas import DrawCanvas
from gan_utils.evaluation.classifier import classify, default_classifier
from gan_utils.inversion import invert, nearest_image

#: Pixels per side of each 28 x 28 image in the pictures (nearest neighbour: pixels stay sharp).
ZOOM = 4


@torch.no_grad()
def verdicts(x: torch.Tensor, discriminators: dict[str, nn.Module]) -> dict[str, float]:
    """Each discriminator's probability that the image x (1, 28, 28) is real: sigmoid of its logit."""
    batch = x.reshape(1, 1, 28, 28)
    result = {}
    for name, D in discriminators.items():
        device = next(D.parameters()).device
        result[name] = torch.sigmoid(D.eval()(batch.to(device))).item()
    return result


def to_png(images: list[torch.Tensor], zoom: int = ZOOM, gap: int = 6) -> bytes:
    """Images (1, 28, 28) in [-1, 1] side by side on white, each zoomed `zoom` times, as PNG bytes."""
    tiles = [((img.detach().cpu().reshape(28, 28) + 1) * 127.5).clamp(0, 255) for img in images]
    side = 28 * zoom
    canvas = np.full((side, len(tiles) * (side + gap) - gap), 255, dtype=np.uint8)
    for i, tile in enumerate(tiles):
        big = tile.round().to(torch.uint8).numpy().repeat(zoom, 0).repeat(zoom, 1)
        canvas[:, i * (side + gap) : i * (side + gap) + side] = big
    buffer = io.BytesIO()
    Image.fromarray(canvas, mode="L").save(buffer, format="PNG", compress_level=1)
    return buffer.getvalue()


class DigitJudge(widgets.VBox):
    """Draw a digit; see what the discriminators and the classifier make of it (notebook 12).

    `discriminators` maps names to trained discriminators (logits of "real"). With a generator `G`
    the "ask G" button searches G's noise for the image closest to the drawing (`invert`), and with
    `training_images` it also shows the nearest training digit. `last_verdict_s` is the time the
    last verdict took in Python (the browser test measures the whole way from stroke to screen).
    """

    def __init__(
        self,
        discriminators: dict[str, nn.Module],
        G: nn.Module | None = None,
        training_images: torch.Tensor | None = None,
        classifier: nn.Module | None = None,
        canvas: DrawCanvas | None = None,
        steps: int = 200,
    ) -> None:
        if not discriminators:
            raise ValueError("DigitJudge needs at least one discriminator, e.g. {'block': D}.")
        self.discriminators = discriminators
        self.G, self.training_images, self.steps = G, training_images, steps
        self.classifier = classifier if classifier is not None else default_classifier()
        self.canvas = canvas or DrawCanvas()
        self.verdict = widgets.HTML()
        self.verdict.add_class("gan-draw-verdict")  # the browser test reads the verdict here
        natural = widgets.Layout(align_self="flex-start")  # its own size, not stretched
        self.seen = widgets.Image(format="png", layout=natural)
        self.ask = widgets.Button(description="ask G", tooltip="search G's noise for this digit")
        self.ask.add_class("gan-draw-ask")
        self.search = widgets.HTML()
        self.search.add_class("gan-draw-search")
        self.search_picture = widgets.Image(format="png", layout=natural)
        self.last_verdict_s = 0.0
        right = widgets.VBox([self.verdict, self.seen])
        lower = [self.ask, self.search, self.search_picture] if G is not None else []
        super().__init__([widgets.HBox([self.canvas, right]), *lower])
        self.canvas.on_draw(self.update)  # the pad hands over the digit it prepared
        self.ask.on_click(lambda _: self.find_twin())
        self.update()

    def update(self, x: torch.Tensor | None = None) -> None:
        """Judge the drawing as it is now (`x`: the pad's digit, if already prepared): the text and
        the picture of what the players see."""
        start = time.perf_counter()
        x = self.canvas.digit() if x is None else x  # (1, 28, 28)
        if not self.canvas.strokes:
            self.verdict.value = "Draw a digit in the black square."
            self.seen.value = to_png([x])
            self.last_verdict_s = time.perf_counter() - start
            return
        real = verdicts(x, self.discriminators)
        _, probs = classify(x.unsqueeze(0), self.classifier)  # (1, 10)
        p, digit = probs[0].max(0)
        lines = [
            f"D<sub>{html.escape(name)}</sub>: {100 * v:.0f} % real" for name, v in real.items()
        ]
        lines.append(f"classifier: a {digit.item()} ({100 * p.item():.0f} %)")
        self.verdict.value = "<br>".join(lines)
        self.seen.value = to_png([x])
        self.last_verdict_s = time.perf_counter() - start

    def find_twin(self) -> None:
        """Search G's noise for the drawing (`invert`), showing the search as it goes, then G's image
        beside the nearest training digit."""
        if self.G is None:
            raise ValueError("DigitJudge was given no generator G to search.")
        target = self.canvas.digit()
        if not self.canvas.strokes:
            self.search.value = "Draw a digit first."
            return

        def show(step: int, image: torch.Tensor, distance: float) -> None:
            self.search.value = f"G's search, step {step}: distance {distance:.3f}"
            self.search_picture.value = to_png([target, image])

        result = invert(self.G, target, steps=self.steps, every=20, on_step=show)
        text = f"Left to right: your drawing; G's closest image, distance {result.distance:.3f}"
        pictures = [target, result.image]
        if self.training_images is not None:
            index, distance = nearest_image(target, self.training_images)
            pictures.append(self.training_images[index])
            text += f"; the nearest training digit, {distance:.3f}"
        self.search.value = text + " (root mean square pixel difference; 0: identical)."
        self.search_picture.value = to_png(pictures)

    def __repr__(self) -> str:
        return "DigitJudge: draw a digit for the discriminators (run the notebook to use it)"
