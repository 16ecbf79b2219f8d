"""The networks the notebooks build in cells are the ones gan_utils ships: the two must not drift.

In the style of rasbt/reasoning-from-scratch: read a notebook's code cells, execute only those
whose cell metadata carries the tag `defines:<what>` (a learner copies the code, not the tag), and
compare what they define with gan_utils. Nothing else of the notebook runs.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F

from gan_utils.models import Discriminator, Generator
from gan_utils.models import block as package_block

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
TAG = "defines:"


def defining_cells(name: str) -> dict[str, str]:
    """{what: source} for the code cells of notebooks/NAME tagged `defines:what`."""
    cells = json.loads((NOTEBOOKS / name).read_text())["cells"]
    found = {}
    for cell in cells:
        source = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
        for tag in cell.get("metadata", {}).get("tags", []):
            if cell["cell_type"] == "code" and tag.startswith(TAG):
                found[tag[len(TAG) :]] = source
    return found


def load_definitions(name: str, expected: set[str]) -> dict:
    """Execute the marked cells of a notebook in order, in one fresh namespace, and return it.

    The namespace starts with `torch` only, which every notebook imports near its top.
    """
    cells = defining_cells(name)
    missing = expected - set(cells)
    assert not missing, f"{name} has no cell tagged {TAG}{sorted(missing)}; it has {sorted(cells)}"
    namespace: dict = {"torch": torch}
    for source in cells.values():
        exec(compile(source, name, "exec"), namespace)  # noqa: S102
    return namespace


def assert_same_network(
    built: torch.nn.Module, package_net: torch.nn.Module, inputs: torch.Tensor
) -> None:
    """Same layers (the repr shows every hyper-parameter) and, with copied weights, same outputs."""
    assert str(built) == str(package_net)
    assert [n for n, _ in built.named_parameters()] == [
        n for n, _ in package_net.named_parameters()
    ]
    package_net.load_state_dict(built.state_dict())
    for mode in ("train", "eval"):  # train mode exercises BatchNorm's batch statistics
        getattr(built, mode)()
        getattr(package_net, mode)()
        torch.testing.assert_close(package_net(inputs), built(inputs))


@pytest.fixture(scope="module")
def generator_cells() -> dict:
    return load_definitions("02_generator.ipynb", {"block", "generator_block", "generator_mlp"})


@pytest.fixture(scope="module")
def discriminator_cells() -> dict:
    return load_definitions("03_discriminator.ipynb", {"discriminator_mlp", "discriminator_block"})


def test_notebook_block_matches_package_block(generator_cells):
    for normalize in (True, False):
        torch.manual_seed(0)
        built = generator_cells["block"](32, 64, normalize=normalize)
        assert_same_network(built, package_block(32, 64, normalize=normalize), torch.randn(8, 32))


@pytest.mark.parametrize(
    ("maker", "design"), [("make_generator_block", "block"), ("make_generator_mlp", "mlp")]
)
def test_notebook_generator_matches_package(generator_cells, maker, design):
    torch.manual_seed(0)
    built = generator_cells[maker](100, 28 * 28)
    package = Generator(latent_dim=100, design=design)
    z = torch.randn(16, 100)
    assert_same_network(built, package.net, z)
    package.eval()
    torch.testing.assert_close(
        package(z), built(z).view(16, 1, 28, 28)
    )  # the reshape Generator adds


def test_notebook_generator_follows_its_arguments(generator_cells):
    small = generator_cells["make_generator_block"](16, 64)
    assert str(small) == str(Generator(latent_dim=16, image_shape=(1, 8, 8), design="block").net)


@pytest.mark.parametrize(
    ("maker", "design"), [("make_discriminator_block", "block"), ("make_discriminator_mlp", "mlp")]
)
def test_notebook_discriminator_matches_package(discriminator_cells, maker, design):
    torch.manual_seed(0)
    built = discriminator_cells[maker](28 * 28)
    package = Discriminator(design=design)
    images = torch.rand(8, 1, 28, 28) * 2 - 1
    assert_same_network(built, package.net, images.flatten(1))
    torch.testing.assert_close(
        package(images), built(images.flatten(1))
    )  # the flatten Discriminator adds


def test_notebook_bce_matches_torch():
    bce = load_definitions("04_loss.ipynb", {"bce"})["bce"]
    p = torch.tensor([0.9, 0.6, 0.2, 0.01, 0.5])
    y = torch.tensor([1.0, 1.0, 0.0, 1.0, 0.0])
    torch.testing.assert_close(bce(p, y), F.binary_cross_entropy(p, y))


def biases_before_batchnorm(model: torch.nn.Module) -> set[str]:
    """State-dict names of the Linear biases that a BatchNorm1d follows, and of its running mean."""
    names = set()
    for prefix, module in model.named_modules():
        children = list(module.named_children())
        for (name, layer), (bn, after) in zip(children, children[1:], strict=False):
            if isinstance(layer, torch.nn.Linear) and isinstance(after, torch.nn.BatchNorm1d):
                names |= {f"{prefix}.{name}.bias", f"{prefix}.{bn}.running_mean"}
    return names


@pytest.mark.parametrize("design", ["block", "mlp"])
def test_notebook_train_step_matches_package(design):
    """Notebook 05's written-out step and gan_utils.training.train_step: same losses, same new weights."""
    import copy

    from gan_utils.config import CLASSIC, TrainConfig
    from gan_utils.gan import build_gan
    from gan_utils.steps import train_step

    gan = build_gan(TrainConfig(**CLASSIC, design=design, seed=0, device="cpu"))  # notebook 05's
    G, D = copy.deepcopy(gan.G), copy.deepcopy(gan.D)
    lr, betas = gan.config.lr, (gan.config.beta1, gan.config.beta2)
    namespace = {
        "torch": torch,
        "G": G,
        "D": D,
        "opt_g": torch.optim.Adam(G.parameters(), lr=lr, betas=betas),
        "opt_d": torch.optim.Adam(D.parameters(), lr=lr, betas=betas),
        "LATENT_DIM": gan.config.latent_dim,
        "DEVICE": torch.device("cpu"),
    }
    source = defining_cells("05_training.ipynb")["train_step"]
    exec(compile(source, "05_training.ipynb:train_step", "exec"), namespace)  # noqa: S102
    batches = torch.rand(3, 64, 1, 28, 28, generator=torch.Generator().manual_seed(1)) * 2 - 1
    for step, real in enumerate(batches):
        # The notebook draws z from the global generator, the package from the run's own one:
        # seeded alike, they give the same numbers on the CPU.
        torch.manual_seed(step)
        gan.noise.manual_seed(step)
        ours = namespace["train_step"](real)
        torch.testing.assert_close(torch.tensor(ours), train_step(gan, real), rtol=1e-5, atol=1e-6)
    # A Linear bias right before a BatchNorm gets a gradient that is zero up to rounding (BatchNorm
    # subtracts the mean), and Adam scales that noise up to steps of about lr: allow that much there.
    # Elsewhere fused (package) and foreach (notebook) Adam round differently, far below one step.
    noise_only = biases_before_batchnorm(G)
    for built, package in ((G, gan.G), (D, gan.D)):
        for (name, a), (_, b) in zip(
            built.state_dict().items(), package.state_dict().items(), strict=True
        ):
            atol = len(batches) * lr if built is G and name in noise_only else 1e-5
            torch.testing.assert_close(a, b, rtol=1e-5, atol=atol, msg=f"{design}: {name}")


def test_notebook_08_dcgan_matches_package():
    from gan_utils.dcgan import DCGANDiscriminator, DCGANGenerator

    cells = load_definitions("08_dcgan.ipynb", {"dcgan"})
    torch.manual_seed(0)
    project, net = cells["dcgan_generator"]()
    G = DCGANGenerator()
    assert_same_network(project, G.project, torch.randn(4, 100))
    assert_same_network(net, G.net, torch.randn(4, 256, 7, 7))
    assert_same_network(
        cells["dcgan_discriminator"](), DCGANDiscriminator().net, torch.randn(4, 1, 28, 28)
    )


def test_notebook_09_conditioning_matches_package():
    from gan_utils.conditional import ConditionalDiscriminator, ConditionalGenerator

    cells = load_definitions("09_conditional_gan.ipynb", {"conditioning"})
    torch.manual_seed(0)
    G, D = ConditionalGenerator().eval(), ConditionalDiscriminator()
    z, y, x = torch.randn(5, 100), torch.tensor([0, 3, 7, 9, 3]), torch.randn(5, 1, 28, 28)
    torch.testing.assert_close(G.net(cells["generator_input"](z, y)).view(5, 1, 28, 28), G(z, y))
    h = D.features(x.view(5, 784))
    torch.testing.assert_close(cells["projection_logit"](h, y, D.head, D.embed), D(x, y))
