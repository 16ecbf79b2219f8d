"""Training throughput: our training step vs the common reference loop, side by side in one run.

Reference ("the common way"): torchvision DataLoader with ToTensor/Normalize (per-image work), batch 64,
the design-(b) MLP models with a final Sigmoid, BCELoss, Adam with default settings, the generator step
and then the discriminator step with separate real and fake forward passes.
Ours: the whole training set as one tensor on the device (InMemoryLoader), gan_utils.training.train_step
(logits + BCE-with-logits, one D pass over real+fake, no D weight gradients in the G step, fused Adam).

Both use the same models, batch size 64 and real MNIST. Rounds alternate (ref, ours, ref, ours, ...)
so that load from other processes hits both alike; the median round is reported.

    python benchmarks/bench_training.py                 # CPU (+ CUDA when present), 300 steps x 3 rounds
    python benchmarks/bench_training.py --steps 937 --rounds 1   # one whole epoch each
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch
from torch import nn
from torch.utils.data import DataLoader

from gan_utils.data import InMemoryLoader, load_mnist, mnist_tensors
from gan_utils.models import Discriminator, Generator
from gan_utils.training import TrainConfig, build_gan, train_step

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
    gan = build_gan(TrainConfig(batch_size=batch_size, device=str(device)))
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


def matmul_floor(device: torch.device, batch_size: int, repeats: int = 100) -> float:
    """Seconds per step for the step's matrix products alone, each timed in isolation (warm caches).

    The same products as one train_step: G forward and backward, D forward and backward on real+fake,
    D forward and input gradients in the generator step. No step can beat this with these models.
    """
    G, D = Generator(design="block"), Discriminator(design="block")
    g_shapes = [(m.in_features, m.out_features) for m in G.modules() if isinstance(m, nn.Linear)]
    d_shapes = [(m.in_features, m.out_features) for m in D.modules() if isinstance(m, nn.Linear)]
    B = batch_size
    products = []  # (rows, inner, cols): forward, weight gradient, input gradient of each layer
    for k, (n_in, n_out) in enumerate(g_shapes):  # G on B noise vectors (no gradient for z)
        products += [(B, n_in, n_out), (n_out, B, n_in)] + ([(B, n_out, n_in)] if k else [])
    for k, (n_in, n_out) in enumerate(d_shapes):  # D step on 2B images (no gradient for images)
        products += [(2 * B, n_in, n_out), (n_out, 2 * B, n_in)] + (
            [(2 * B, n_out, n_in)] if k else []
        )
    for n_in, n_out in d_shapes:  # G step through D on B fakes: forward and input gradients only
        products += [(B, n_in, n_out), (B, n_out, n_in)]
    total = 0.0
    for rows, inner, cols in products:
        a = torch.randn(rows, inner, device=device)
        b = torch.randn(inner, cols, device=device)
        for _ in range(5):
            a @ b
        wait_for(device)
        start = time.perf_counter()
        for _ in range(repeats):
            a @ b
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
    print(f"{'device':8} {'loop':10} {'images/s':>10} {'s/epoch':>9}")
    for device in devices:
        images, _ = mnist_tensors(train=True, device=device)
        ours_run(device, 20, args.batch_size, images)  # warm-up (allocator, kernels)
        reference_run(device, 20, args.batch_size)
        ref_s, our_s = [], []
        for _ in range(args.rounds):
            ref_s.append(reference_run(device, args.steps, args.batch_size))
            our_s.append(ours_run(device, args.steps, args.batch_size, images))
        n = args.steps * args.batch_size
        ref_ips, our_ips = n / statistics.median(ref_s), n / statistics.median(our_s)
        for name, ips in (("reference", ref_ips), ("ours", our_ips)):
            print(f"{device.type:8} {name:10} {ips:10.0f} {EPOCH_IMAGES / ips:9.1f}")
        print(f"{device.type:8} {'speed-up':10} {our_ips / ref_ips:9.2f}x")
        floor = matmul_floor(device, args.batch_size)
        floor_ips = args.batch_size / floor
        print(
            f"{device.type:8} {'matmul floor':10} {floor_ips:10.0f} {EPOCH_IMAGES / floor_ips:9.1f}"
            f"  (the step's matrix products alone, timed in isolation; ours: "
            f"{args.batch_size / our_ips * 1e3:.1f} ms/step vs {floor * 1e3:.1f} ms)"
        )


if __name__ == "__main__":
    main()
