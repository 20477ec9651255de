"""The PyTorch compatibility table, ``docs/compat.md``, generated from glassgrad itself.

``TORCH_NAMES`` lists the PyTorch API a tutorial or course script typically uses (a test checks
that each name exists in real PyTorch). For each, the table says whether ``glassgrad run`` finds it
(resolved through the same import hook, so the table cannot drift from what scripts see), and
where glassgrad knowingly behaves differently, how and why.

    python -m glassgrad.compat            print the table
    python -m glassgrad.compat --write    rewrite docs/compat.md
    python -m glassgrad.compat --check    exit 1 if docs/compat.md is out of date
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

DOC = Path(__file__).resolve().parent.parent / "docs" / "compat.md"

# Names per namespace, as scripts spell them. Methods of the classes in CLASSES are read off
# the class.
CLASSES = ("torch.Tensor", "torch.nn.Module", "torch.optim.Optimizer")

TORCH_NAMES: dict[str, str] = {
    "torch": """
        Tensor Size dtype device Generator FloatTensor LongTensor
        float32 float64 float16 bfloat16 int64 int32 int16 int8 uint8 bool float double half
        long int short complex64
        tensor as_tensor from_numpy zeros ones empty full eye arange linspace logspace
        zeros_like ones_like empty_like full_like rand randn randint randperm rand_like
        randn_like randint_like normal bernoulli multinomial manual_seed seed initial_seed
        get_rng_state set_rng_state
        no_grad enable_grad set_grad_enabled is_grad_enabled inference_mode
        cat concat stack hstack vstack split chunk unbind reshape flatten squeeze unsqueeze
        transpose permute t gather scatter index_select masked_select where nonzero flip roll
        tril triu diag meshgrid broadcast_tensors repeat_interleave tile
        abs neg exp log log1p expm1 log2 log10 sqrt rsqrt square reciprocal sin cos tan tanh
        sigmoid relu sign floor ceil round trunc erf clamp clip pow add sub mul div
        floor_divide remainder fmod atan2 lerp maximum minimum
        matmul mm bmm mv dot outer einsum addmm cdist cross det inverse trace
        sum mean prod std var max min amax amin argmax argmin cumsum cumprod logsumexp
        softmax log_softmax norm sort argsort topk unique bincount histc count_nonzero diff
        searchsorted bucketize
        eq ne lt le gt ge allclose isclose equal isnan isinf isfinite all any
        is_tensor is_floating_point numel save load set_printoptions get_default_dtype
        set_default_dtype set_num_threads get_num_threads use_deterministic_algorithms
        set_float32_matmul_precision compile
    """,
    "torch.Tensor": """
        shape size dim ndim numel dtype device requires_grad grad grad_fn is_leaf data T
        item tolist numpy backward detach detach_ requires_grad_ retain_grad retains_grad
        register_hook zero_ fill_ copy_ clone contiguous is_contiguous view view_as reshape
        reshape_as flatten squeeze unsqueeze transpose permute t expand expand_as repeat unbind
        split chunk to float double long int bool half type type_as cpu cuda is_cuda
        sum mean std var max min amax amin argmax argmin prod cumsum norm logsumexp
        abs neg exp log log1p sqrt rsqrt square reciprocal pow sigmoid tanh relu softmax
        log_softmax clamp clamp_ relu_ sigmoid_ tanh_ exp_ sign floor ceil round
        add add_ sub sub_ mul mul_ div div_ matmul mm bmm dot
        sort argsort topk gather scatter scatter_ scatter_add_ index_select index_add_
        masked_fill masked_fill_ masked_select nonzero where flip roll tril triu diag
        eq ne lt gt le ge all any allclose equal isnan
        uniform_ normal_ bernoulli_ new_zeros new_ones new_full new_empty new_tensor
        element_size stride is_floating_point apply_ unfold
    """,
    "torch.nn": """
        Module Parameter Sequential ModuleList ModuleDict ParameterList ParameterDict
        Identity Flatten Unflatten Linear Bilinear Embedding
        Conv1d Conv2d ConvTranspose2d MaxPool1d MaxPool2d AvgPool2d AdaptiveAvgPool2d
        BatchNorm1d BatchNorm2d LayerNorm GroupNorm Dropout Dropout2d
        RNN LSTM GRU MultiheadAttention TransformerEncoder TransformerEncoderLayer
        ReLU ReLU6 LeakyReLU PReLU ELU GELU SiLU Mish Sigmoid Tanh Hardtanh Softmax LogSoftmax
        Softplus
        MSELoss L1Loss SmoothL1Loss HuberLoss BCELoss BCEWithLogitsLoss CrossEntropyLoss
        NLLLoss KLDivLoss CosineSimilarity PairwiseDistance
    """,
    "torch.nn.Module": """
        forward parameters named_parameters buffers named_buffers children named_children
        modules named_modules train eval zero_grad requires_grad_ state_dict
        load_state_dict apply to cpu cuda float double half register_buffer
        register_parameter register_module add_module get_submodule get_parameter
        register_forward_hook register_forward_pre_hook register_full_backward_hook
        register_full_backward_pre_hook register_backward_hook
        extra_repr
    """,
    "torch.nn.functional": """
        linear bilinear relu relu6 leaky_relu elu gelu silu mish sigmoid tanh hardtanh softmax
        log_softmax softplus dropout embedding one_hot pad normalize cosine_similarity
        conv1d conv2d max_pool2d avg_pool2d adaptive_avg_pool2d interpolate unfold fold
        batch_norm layer_norm group_norm scaled_dot_product_attention
        mse_loss l1_loss smooth_l1_loss huber_loss binary_cross_entropy
        binary_cross_entropy_with_logits cross_entropy nll_loss kl_div
    """,
    "torch.nn.init": """
        uniform_ normal_ constant_ zeros_ ones_ eye_ xavier_uniform_ xavier_normal_
        kaiming_uniform_ kaiming_normal_ orthogonal_ trunc_normal_ calculate_gain
    """,
    "torch.nn.utils": """
        clip_grad_norm_ clip_grad_value_ parameters_to_vector vector_to_parameters
    """,
    "torch.optim": """
        Optimizer SGD Adam AdamW RMSprop Adagrad Adadelta Adamax NAdam RAdam LBFGS
    """,
    "torch.optim.Optimizer": """
        step zero_grad state_dict load_state_dict add_param_group
    """,
    "torch.optim.lr_scheduler": """
        LRScheduler StepLR MultiStepLR ExponentialLR CosineAnnealingLR
        CosineAnnealingWarmRestarts LambdaLR MultiplicativeLR OneCycleLR CyclicLR
        ReduceLROnPlateau LinearLR ConstantLR SequentialLR ChainedScheduler PolynomialLR
    """,
    "torch.utils.data": """
        Dataset IterableDataset TensorDataset DataLoader Subset random_split ConcatDataset
        Sampler RandomSampler SequentialSampler BatchSampler WeightedRandomSampler
        default_collate get_worker_info
    """,
    "torch.autograd": """
        backward grad Function Variable gradcheck gradgradcheck no_grad enable_grad
        set_grad_enabled detect_anomaly set_detect_anomaly
    """,
    "torch.autograd.functional": "jacobian hessian vjp jvp hvp vhp",
    "torch.func": "grad grad_and_value vjp jvp jacrev jacfwd hessian vmap functional_call",
    "torch.linalg": "norm vector_norm matrix_norm inv det solve svd eigh qr cholesky pinv lstsq",
    "torch.fft": "fft ifft rfft irfft fftfreq",
    "torch.cuda": "is_available device_count manual_seed manual_seed_all synchronize empty_cache",
    "torch.backends.mps": "is_available",
}

# Short reasons; GENERAL below explains each at length.
_RANDOM = "same distribution, other numbers for a seed (NumPy's random stream, not PyTorch's)"
_CPU = "CPU only: a 'cuda' device raises a clear error"
_SAVE = "no pickle: safetensors + JSON, loading never runs code; save a Module's state_dict()"

def _each(namespace: str, names: str, note: str) -> dict[str, str]:
    return {f"{namespace}.{n}": note for n in names.split()}


# Names that work but knowingly differ from PyTorch: the reason is the note.
DIFFERS: dict[str, str] = {
    **_each("torch", "rand randn randint randperm rand_like randn_like randint_like normal "
            "bernoulli multinomial manual_seed seed Generator get_rng_state set_rng_state", _RANDOM),
    **_each("torch.Tensor", "uniform_ normal_ bernoulli_", _RANDOM),
    **_each("torch.nn.init", "uniform_ normal_ xavier_uniform_ xavier_normal_ kaiming_uniform_ "
            "kaiming_normal_ orthogonal_ trunc_normal_", _RANDOM),
    "torch.nn.Linear": "default init: " + _RANDOM,
    "torch.nn.Dropout": "the dropout mask: " + _RANDOM,
    "torch.nn.functional.dropout": "the dropout mask: " + _RANDOM,
    "torch.utils.data.DataLoader": "shuffle=True order: " + _RANDOM,
    "torch.utils.data.random_split": _RANDOM,
    "torch.utils.data.RandomSampler": _RANDOM,
    "torch.device": _CPU,
    "torch.Tensor.to": _CPU,
    "torch.Tensor.cuda": _CPU,
    "torch.Tensor.device": _CPU,
    "torch.nn.Module.cuda": _CPU,
    "torch.nn.Module.to": _CPU,
    "torch.cuda.is_available": "always False: " + _CPU,
    "torch.cuda.device_count": "always 0: " + _CPU,
    "torch.backends.mps.is_available": "always False: " + _CPU,
    "torch.save": _SAVE,
    "torch.load": _SAVE,
    "torch.set_default_dtype": "only float32 (glassgrad's default is fixed; pass dtype=)",
    "torch.set_num_threads": "accepted, no effect (NumPy's BLAS threads come from environment "
    "variables)",
    **_each("torch.autograd", "detect_anomaly set_detect_anomaly",
            "also stops at an infinite gradient (where NaNs start); check_inf=False gives "
            "PyTorch's NaN-only check"),
    "torch.nn.Module.register_backward_hook": "runs as register_full_backward_hook: the same "
    "for one-op modules (nn.ReLU...); PyTorch's deprecated hook sees the last op's inputs "
    "otherwise",
    "torch.func.vmap": "a loop over the batch and a stack: same results, not vectorised",
    "torch.func.jacfwd": "columns by the double-vjp trick, not true forward mode: same results",
    "torch.func.jvp": "the double-vjp trick (two reverse passes), not forward mode: same results",
}

GENERAL = """\
- **CPU only.** glassgrad computes with NumPy; `torch.cuda.is_available()` is False and a
  `'cuda'` device raises a clear error. Scripts that pick `'cuda' if available else 'cpu'` run.
- **Random numbers differ.** Same distributions and the same seeding API, but NumPy's PCG64
  stream, not PyTorch's: `torch.manual_seed(0); torch.randn(3)` gives other numbers. Randomly
  initialised training reaches the same quality, not the same digits. `glassgrad diff` on such a
  script diverges at the first random number; set weights explicitly to compare digit for digit.
- **No pickle.** `torch.save`/`torch.load` write and read one safetensors file (structure as
  JSON in its header), never pickle: loading a file cannot run code, a whole `nn.Module` cannot
  be saved (save its `state_dict()`), and PyTorch's own pickled `.pt` files cannot be loaded.
- **dtypes:** float32 (default), float64, float16, int64, int32, int16, int8, uint8, bool. No
  bfloat16 or complex dtypes (NumPy has no bfloat16).
- **Unsupported names fail clearly.** Under `glassgrad run`, a name below marked *not yet*
  stops the script with `torch.fft.rfft is not supported by glassgrad yet` and the script's
  file:line, exit status 1.
- **Printing.** Under `glassgrad run`, dtypes and sizes print as `torch.float32`,
  `torch.Size([2, 3])`; tensors print in PyTorch's format.
"""


def _names() -> list[tuple[str, str]]:
    return [(ns, name) for ns, text in TORCH_NAMES.items() for name in text.split()]


def resolve(namespace: str, name: str) -> bool:
    """Does ``namespace.name`` exist for a script run by ``glassgrad run``?"""
    from . import torchcompat

    with torchcompat.hook():
        try:
            return hasattr(namespace_object(namespace), name)
        except torchcompat.UnsupportedError:
            return False


def namespace_object(namespace: str):
    """The module, or for the names in CLASSES the class, that ``namespace`` names; under
    ``torchcompat.hook()`` this is glassgrad's, otherwise (with torch installed) PyTorch's."""
    if namespace in CLASSES:
        module, _, cls = namespace.rpartition(".")
        return getattr(importlib.import_module(module), cls)
    return importlib.import_module(namespace)


def status(namespace: str, name: str) -> tuple[str, str]:
    full = f"{namespace}.{name}"
    if not resolve(namespace, name):
        return "not yet", ""
    if full in DIFFERS:
        return "differs", DIFFERS[full]
    return "yes", ""


def render() -> str:
    from . import torchcompat

    with torchcompat.hook():
        return _render()


def _render() -> str:
    rows = {ns: [] for ns in TORCH_NAMES}
    counts = {"yes": 0, "differs": 0, "not yet": 0}
    for ns, name in _names():
        st, note = status(ns, name)
        counts[st] += 1
        rows[ns].append((name, st, note))
    total = sum(counts.values())
    out = [
        "# glassgrad and PyTorch: what `glassgrad run` supports",
        "",
        (
            "Generated by `python -m glassgrad.compat --write` from the names listed in "
            "`glassgrad/compat.py`, resolved the way `glassgrad run` resolves them; "
            "`tests/test_compat.py` fails when this file is out of date."
        ),
        "",
        (
            f"Of {total} commonly used PyTorch names, {counts['yes'] + counts['differs']} are "
            f"supported ({counts['differs']} of them with a documented difference) and "
            f"{counts['not yet']} are not yet."
        ),
        "",
        "## How glassgrad differs from PyTorch, and why",
        "",
        GENERAL,
    ]
    for ns, items in rows.items():
        out += [f"## `{ns}`", ""]
        supported = [n for n, st, _ in sorted(items) if st == "yes"]
        differs = [(n, note) for n, st, note in sorted(items) if st == "differs"]
        missing = [n for n, st, _ in sorted(items) if st == "not yet"]
        if supported:
            out += ["Supported: " + ", ".join(f"`{n}`" for n in supported) + ".", ""]
        if differs:
            out += ["| supported, differs | how and why |", "|---|---|"]
            for n, note in differs:
                out.append(f"| `{n}` | {note} |")
            out.append("")
        if missing:
            out += ["Not yet: " + ", ".join(f"`{n}`" for n in missing) + ".", ""]
    return "\n".join(out).rstrip() + "\n"


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    text = render()
    if "--write" in argv:
        DOC.parent.mkdir(parents=True, exist_ok=True)
        DOC.write_text(text)
        print(f"wrote {DOC}")
        return 0
    if "--check" in argv:
        if not DOC.exists() or DOC.read_text() != text:
            print(f"{DOC} is out of date: run `python -m glassgrad.compat --write`")
            return 1
        return 0
    sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
