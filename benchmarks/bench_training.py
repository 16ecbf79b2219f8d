"""Training throughput: our training step vs the common reference loop, side by side in one run.

Reference ("the common way"): torchvision DataLoader with ToTensor/Normalize (per-image work), batch 64,
the design-(b) MLP models with a final Sigmoid, BCELoss, Adam with default settings, the generator step
and then the discriminator step with separate real and fake forward passes.
Ours: the whole training set as one tensor on the device (InMemoryLoader), gan_utils.training.train_step
(logits + BCE-with-logits, one D pass over real+fake, no D weight gradients in the G step, fused Adam).

Both use the same models, batch size 64 and real MNIST. Two more rows show how fast a loop built from
PyTorch's kernels could be here: "minimum" runs only the step's matrix products and its two fused Adam
updates, back to back on tensors of the real shapes (tests/test_benchmarks.py checks that they are the
same products as train_step's); "floor" times each of those products alone, with warm caches.
Rounds alternate (ref, ours, minimum, ref, ...) so that load from other processes hits all alike; the
median round is reported.

    python benchmarks/bench_training.py                 # CPU (+ CUDA when present), 300 steps x 3 rounds
    python benchmarks/bench_training.py --steps 937 --rounds 1   # one whole epoch each
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from functools import partial

import torch
from torch import nn
from torch.utils.data import DataLoader

from gan_utils.config import CLASSIC, TrainConfig
from gan_utils.data import InMemoryLoader, load_mnist, mnist_tensors
from gan_utils.gan import build_gan, make_optimizer
from gan_utils.models import Discriminator, Generator
from gan_utils.steps import train_step

EPOCH_IMAGES = 60_000


def wait_for(device: torch.device) -> None:
    """Wait until the device has finished its queued work, so the clock measures all of it."""
    if device.type == "cuda":
        torch.cuda.synchronize()


def reference_run(device: torch.device, steps: int, batch_size: int) -> float:
    """Seconds for `steps` steps of the common tutorial loop (data loading included)."""
    torch.manual_seed(0)
    G = Generator(design="block").to(device)
    D = Discriminator(design="block", output="probability").to(device)
    opt_g = torch.optim.Adam(G.parameters(), lr=2e-4, betas=(0.5, 0.999))
    opt_d = torch.optim.Adam(D.parameters(), lr=2e-4, betas=(0.5, 0.999))
    bce = nn.BCELoss()
    loader = DataLoader(load_mnist(train=True), batch_size=batch_size, shuffle=True)
    done = 0
    start = time.perf_counter()
    while done < steps:
        for imgs, _ in loader:
            real = imgs.to(device)
            valid = torch.ones(real.size(0), 1, device=device)
            fake_label = torch.zeros(real.size(0), 1, device=device)
            opt_g.zero_grad()
            z = torch.randn(real.size(0), 100, device=device)
            gen_imgs = G(z)
            g_loss = bce(D(gen_imgs), valid)
            g_loss.backward()
            opt_g.step()
            opt_d.zero_grad()
            d_loss = (bce(D(real), valid) + bce(D(gen_imgs.detach()), fake_label)) / 2
            d_loss.backward()
            opt_d.step()
            g_loss.item(), d_loss.item()  # the usual per-step logging
            done += 1
            if done == steps:
                break
    wait_for(device)
    return time.perf_counter() - start


def ours_run(device: torch.device, steps: int, batch_size: int, images: torch.Tensor) -> float:
    """Seconds for `steps` steps of gan_utils.training (data loading included)."""
    # The step as logged in benchmarks/README.md: the classic recipe, without the EMA update.
    gan = build_gan(TrainConfig(**{**CLASSIC, "batch_size": batch_size}, device=str(device)))
    loader = InMemoryLoader(images, batch_size, generator=gan.shuffle)
    done = 0
    sums = torch.zeros(4, device=device)
    start = time.perf_counter()
    while done < steps:
        for real in loader:
            sums += train_step(gan, real)
            done += 1
            if done == steps:
                break
    sums.tolist()  # one sync at the end, as the trainer does once per epoch
    return time.perf_counter() - start


class _Layer:
    """One nn.Linear's weight and its gradient, with an input and an output gradient for `rows` samples."""

    def __init__(self, linear: nn.Linear, rows: int) -> None:
        self.W, self.dW = linear.weight.detach(), linear.weight.grad
        n_out, n_in = self.W.shape
        self.x, self.dx = self.W.new_empty(rows, n_in).normal_(), self.W.new_empty(rows, n_in)
        self.y, self.dy = self.W.new_empty(rows, n_out), self.W.new_empty(rows, n_out).normal_()


def step_work(batch_size: int, device: torch.device) -> tuple[list[Callable], list[Callable]]:
    """The matrix products and Adam updates of one train_step in its order, and the products alone.

    Same shapes as the real step: G forward on B noise vectors; D forward and backward on 2B images
    (no gradient for the images) and D's Adam update; D forward and input gradients on B fakes (the
    generator step); G backward and G's Adam update. As in the real step, a layer's forward and
    input gradient read its weight, the weight gradient lands in `.grad` and Adam reads it there.
    Results go to preallocated tensors, so no product pays for memory allocation.
    """
    B = batch_size
    G, D = Generator(design="block").to(device), Discriminator(design="block").to(device)
    for p in [*G.parameters(), *D.parameters()]:
        p.grad = torch.zeros_like(p)
    opt_g, opt_d = (make_optimizer(m, TrainConfig(**CLASSIC), device) for m in (G, D))

    def layers(model: nn.Module, rows: int) -> list[_Layer]:
        return [_Layer(m, rows) for m in model.modules() if isinstance(m, nn.Linear)]

    def forward(layers: list[_Layer]) -> list[Callable]:
        return [partial(torch.mm, layer.x, layer.W.t(), out=layer.y) for layer in layers]

    def backward(layers: list[_Layer], weight_grads: bool = True) -> list[Callable]:
        products = []
        for k, layer in reversed(list(enumerate(layers))):
            if weight_grads:
                products.append(partial(torch.mm, layer.dy.t(), layer.x, out=layer.dW))
            if k > 0 or not weight_grads:  # the first layer's input gradient is needed only for G
                products.append(partial(torch.mm, layer.dy, layer.W, out=layer.dx))
        return products

    g_layers, d_both, d_fake = layers(G, B), layers(D, 2 * B), layers(D, B)
    d_step = forward(g_layers) + forward(d_both) + backward(d_both)
    g_step = forward(d_fake) + backward(d_fake, weight_grads=False) + backward(g_layers)
    return d_step + [opt_d.step] + g_step + [opt_g.step], d_step + g_step


def minimum_run(device: torch.device, steps: int, work: list[Callable]) -> float:
    """Seconds for `steps` steps that do nothing but the step's products and Adam updates."""
    start = time.perf_counter()
    for _ in range(steps):
        for item in work:
            item()
    wait_for(device)
    return time.perf_counter() - start


def floor_seconds(device: torch.device, products: list[Callable], repeats: int = 50) -> float:
    """Seconds per step for the matrix products if each ran with warm caches: each timed alone."""
    total = 0.0
    for product in products:
        for _ in range(3):
            product()
        wait_for(device)
        start = time.perf_counter()
        for _ in range(repeats):
            product()
        wait_for(device)
        total += (time.perf_counter() - start) / repeats
    return total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument(
        "--threads", type=int, default=None, help="torch.set_num_threads (default: torch's)"
    )
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    devices = [torch.device("cpu")] + ([torch.device("cuda")] if torch.cuda.is_available() else [])
    print(
        f"torch {torch.__version__}, {torch.get_num_threads()} threads, batch {args.batch_size}, "
        f"{args.steps} steps x {args.rounds} rounds, design (b) models"
    )
    print(f"{'device':8} {'loop':10} {'images/s':>10} {'s/epoch':>9} {'ms/step':>8}")
    for device in devices:
        images, _ = mnist_tensors(train=True, device=device)
        work, products = step_work(args.batch_size, device)
        ours_run(device, 20, args.batch_size, images)  # warm-up (allocator, kernels)
        reference_run(device, 20, args.batch_size)
        minimum_run(device, 20, work)
        seconds = {"reference": [], "ours": [], "minimum": []}
        for _ in range(args.rounds):
            seconds["reference"].append(reference_run(device, args.steps, args.batch_size))
            seconds["ours"].append(ours_run(device, args.steps, args.batch_size, images))
            seconds["minimum"].append(minimum_run(device, args.steps, work))
        ms = {name: statistics.median(s) / args.steps * 1e3 for name, s in seconds.items()}
        ms["floor"] = floor_seconds(device, products) * 1e3
        notes = {
            "minimum": "only the step's matrix products and Adam updates, back to back",
            "floor": "only the products, each timed alone (warm caches)",
        }
        for name, step_ms in ms.items():
            ips = args.batch_size / step_ms * 1e3
            row = f"{device.type:8} {name:10} {ips:10.0f} {EPOCH_IMAGES / ips:9.1f} {step_ms:8.1f}"
            print(f"{row}  {notes[name]}" if name in notes else row)
        print(
            f"{device.type:8} speed-up   {ms['reference'] / ms['ours']:9.2f}x  (the minimum step: "
            f"{ms['reference'] / ms['minimum']:.2f}x)"
        )


if __name__ == "__main__":
    main()
