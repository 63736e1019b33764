"""Hidden grader for reg/parameter_sharing.

The learner's modules live in the learner's process: they are built, inspected and
differentiated there by probes, which return plain facts and tensors. Oracles: the statement's
forward formulas recomputed here from the parameter values the probes read, torch autograd run
here on one leaf tensor used twice (for the tied gradient) and on the trunk shared by all tasks,
and parameter counts from the layer shapes.
"""

from __future__ import annotations

import pytest
import torch

from katakit import misconceptions
from katakit.checks import (
    as_number,
    assert_close,
    assert_equal,
    assert_python_ints,
    describe,
    fail,
    naming,
    rng,
)
from katakit.sandbox import probe

MISTAKES = misconceptions.of(__file__)
V, D = 11, 6
IN, H, OUTS = 5, 7, [3, 1, 4]


@probe
def build(cls, args, seed):
    """On the learner side: seed torch and build the learner's module."""
    import torch

    torch.manual_seed(seed)
    return cls(*args)


@probe
def tie_facts(model):
    """On the learner side: how the embedding and output weights relate."""
    emb = getattr(getattr(model, "embedding", None), "weight", None)
    out = getattr(getattr(model, "output", None), "weight", None)
    if emb is None or out is None:
        return {"found": False}
    distinct = {id(p) for p in model.parameters()}
    return {
        "found": True,
        "same_object": out is emb,
        "same_storage": out.data_ptr() == emb.data_ptr(),
        "equal_values": tuple(out.shape) == tuple(emb.shape) and bool((out == emb).all()),
        "in_parameters": id(emb) in distinct,
    }


@probe
def tied_forward_backward(model, tokens, upstream, backward=True):
    """On the learner side: logits, and the gradients of sum(logits * upstream) (none when
    ``backward`` is False: the forward test does not depend on the backward pass)."""
    for p in model.parameters():
        p.grad = None
    logits = model(tokens)
    if backward:
        (logits * upstream.to(logits.dtype)).sum().backward()

    def grad(p):
        return None if p.grad is None else p.grad.detach().clone()

    return {
        "logits": logits.detach().clone(),
        "E": model.embedding.weight.detach().clone(),
        "W_h": model.hidden.weight.detach().clone(),
        "b_h": model.hidden.bias.detach().clone(),
        "b_out": model.output.bias.detach().clone(),
        "grad_embedding": grad(model.embedding.weight),
        "grad_output": grad(model.output.weight),
    }


def tied_case(kata, seed, backward=True):
    model = build(kata.TiedLanguageModel, (V, D), seed)
    gen = rng(seed)
    tokens = torch.from_numpy(gen.integers(0, V, (3, 4)))
    upstream = torch.from_numpy(gen.normal(0, 1, (3, 4, V)))
    return model, tokens, upstream, tied_forward_backward(model, tokens, upstream, backward)


def tied_oracle(state, tokens, upstream, detach=None):
    """Logits and dE by autograd here, on one leaf E used twice (``detach`` drops one use)."""
    E = state["E"].double().requires_grad_(True)
    W_h, b_h, b_out = (state[k].double() for k in ("W_h", "b_h", "b_out"))
    lookup = (E.detach() if detach == "embedding" else E)[tokens]
    projection = E.detach() if detach == "output" else E
    logits = torch.tanh(lookup @ W_h.T + b_h) @ projection.T + b_out
    (logits * upstream).sum().backward()
    return logits.detach(), E.grad


# ---------------------------------------------------------------- tied embeddings


@pytest.mark.points(2)
def test_output_weight_is_the_embedding_parameter_itself(kata):
    model = build(kata.TiedLanguageModel, (V, D), 1)
    facts = tie_facts(model)
    where = f"TiedLanguageModel({V}, {D})"
    if not facts["found"]:
        fail(f"expected submodules embedding and output with a .weight each [{where}]")
    if not facts["same_object"]:
        message = (
            f"model.output.weight is not model.embedding.weight: the two are different tensors "
            f"(same storage: {facts['same_storage']}) [{where}]"
        )
        if facts["equal_values"]:
            message += naming(MISTAKES["copies-instead-of-ties"])
        fail(message)
    if not facts["in_parameters"]:
        fail(f"the shared matrix is not among model.parameters() [{where}]")


@pytest.mark.points(1)
def test_tied_model_forward_matches_the_formula(kata):
    seed = 2
    _, tokens, upstream, got = tied_case(kata, seed, backward=False)
    expected, _ = tied_oracle(got, tokens, upstream)
    assert_close(
        got["logits"],
        expected,
        what="TiedLanguageModel logits",
        where=describe(seed, tokens=tokens) + f", vocab {V}, dim {D}",
        rtol=1e-5,
        atol=1e-5,
    )


@pytest.mark.points(2)
def test_tied_gradient_adds_up_both_uses(kata):
    seed = 3
    _, tokens, upstream, got = tied_case(kata, seed)
    _, expected = tied_oracle(got, tokens, upstream)
    where = describe(seed, tokens=tokens, upstream=upstream) + ", loss = sum(logits * upstream)"
    for name in ("embedding", "output"):
        if got[f"grad_{name}"] is None:
            fail(f"model.{name}.weight.grad is None after backward [{where}]")
    lookup_only = tied_oracle(got, tokens, upstream, "output")[1]
    projection_only = tied_oracle(got, tokens, upstream, "embedding")[1]
    for name, grad in [("embedding", got["grad_embedding"]), ("output", got["grad_output"])]:
        assert_close(
            grad,
            expected,
            what=f"gradient of the shared matrix seen through model.{name}.weight.grad",
            where=where,
            rtol=1e-5,
            atol=1e-5,
            misconceptions={
                MISTAKES["tie-detached"]: lookup_only,
                MISTAKES["tie-detached"].en + " (only the output projection's part)": (
                    projection_only
                ),
            },
        )


@probe
def tied_language_model(vocab_size, dim):
    """On the learner side: the statement's tied model, built here (not by the learner's class,
    whose tie test_output_weight_is_the_embedding_parameter_itself judges)."""
    from torch import nn

    model = nn.Module()
    model.embedding = nn.Embedding(vocab_size, dim)
    model.hidden = nn.Linear(dim, dim)
    model.output = nn.Linear(dim, vocab_size)
    model.output.weight = model.embedding.weight
    return model


@pytest.mark.points(1)
def test_tied_model_counts_the_shared_matrix_once(kata):
    model = tied_language_model(V, D)
    expected = V * D + D * D + D + V
    assert_equal(
        as_number(kata.count_parameters(model), "count_parameters"),
        expected,
        what="count_parameters(TiedLanguageModel)",
        where=f"vocab {V}, dim {D}: E (V*D) once, hidden D*D + D, output bias V",
        misconceptions={MISTAKES["tied-counted-twice"]: expected + V * D},
    )


# ---------------------------------------------------------------- multi-task network


@probe
def parameter_count(model):
    """On the learner side: torch's own count of the model's parameters, nothing run."""
    return sum(p.numel() for p in model.parameters())


@probe
def multitask_run(model, x, upstreams, backward=True):
    """On the learner side: the outputs, the trunk's parameters and their gradients for the
    loss sum_t sum(out_t * upstream_t) (none when ``backward`` is False: the forward test does
    not depend on the backward pass)."""
    for p in model.parameters():
        p.grad = None
    outputs = list(model(x))
    if backward:
        total = sum((y * u.to(y.dtype)).sum() for y, u in zip(outputs, upstreams, strict=False))
        total.backward()
    first = model.trunk[0]
    heads = [(h.weight.detach().clone(), h.bias.detach().clone()) for h in model.heads]
    return {
        "outputs": [y.detach().clone() for y in outputs],
        "W1": first.weight.detach().clone(),
        "b1": first.bias.detach().clone(),
        "heads": heads,
        "grad_W1": None if first.weight.grad is None else first.weight.grad.clone(),
    }


def multitask_case(kata, seed, backward=True):
    model = build(kata.MultiTaskNet, (IN, H, OUTS), seed)
    gen = rng(seed)
    x = torch.from_numpy(gen.normal(0, 1, (8, IN))).float()
    upstreams = [torch.from_numpy(gen.normal(0, 1, (8, k))) for k in OUTS]
    return model, x, upstreams, multitask_run(model, x, upstreams, backward)


def multitask_oracle(state, x, upstreams, only_task=None):
    W1 = state["W1"].double().requires_grad_(True)
    features = torch.relu(x.double() @ W1.T + state["b1"].double())
    outputs = [features @ w.double().T + b.double() for w, b in state["heads"]]
    tasks = range(len(outputs)) if only_task is None else [only_task]
    sum((outputs[t] * upstreams[t]).sum() for t in tasks).backward()
    return [y.detach() for y in outputs], W1.grad


@pytest.mark.points(1)
def test_multitask_has_one_trunk_and_a_registered_head_per_task(kata):
    # the structure only: the model is built and counted, not run
    count = parameter_count(build(kata.MultiTaskNet, (IN, H, OUTS), 5))
    trunk = IN * H + H
    heads = sum(H * k + k for k in OUTS)
    assert_equal(
        count,
        trunk + heads,
        what="number of parameters of MultiTaskNet (torch's own model.parameters())",
        where=f"MultiTaskNet({IN}, {H}, {OUTS}): trunk {trunk}, heads {heads}",
        misconceptions={
            MISTAKES["trunk-copied-per-task"]: len(OUTS) * trunk + heads,
            MISTAKES["heads-not-registered"]: trunk,
        },
    )


@pytest.mark.points(1)
def test_multitask_forward_gives_one_output_per_task(kata):
    seed = 6
    _, x, upstreams, got = multitask_case(kata, seed, backward=False)
    expected, _ = multitask_oracle(got, x, upstreams)
    if len(got["outputs"]) != len(OUTS):
        fail(f"MultiTaskNet returned {len(got['outputs'])} outputs, expected {len(OUTS)}")
    for t, (y, e) in enumerate(zip(got["outputs"], expected, strict=True)):
        assert_close(
            y,
            e,
            what=f"output of task {t}",
            where=describe(seed, x=x) + f", MultiTaskNet({IN}, {H}, {OUTS})",
            rtol=1e-5,
            atol=1e-5,
        )


@pytest.mark.points(2)
def test_trunk_gradient_sums_every_task(kata):
    seed = 7
    _, x, upstreams, got = multitask_case(kata, seed)
    _, expected = multitask_oracle(got, x, upstreams)
    where = describe(seed, x=x) + ", loss = sum over tasks of sum(out_t * upstream_t)"
    if got["grad_W1"] is None:
        fail(f"model.trunk[0].weight.grad is None after backward [{where}]")
    assert_close(
        got["grad_W1"],
        expected,
        what="gradient of the trunk's first weight",
        where=where,
        rtol=1e-5,
        atol=1e-5,
        misconceptions={
            MISTAKES["trunk-copied-per-task"]: multitask_oracle(got, x, upstreams, 0)[1],
        },
    )


# ---------------------------------------------------------------- count_parameters


@probe
def shared_stack():
    """On the learner side: Linear(4, 4) twice with one shared weight, then BatchNorm1d(4) (its
    running statistics are buffers) and a frozen Linear(4, 2)."""
    import torch
    from torch import nn

    torch.manual_seed(0)
    first, second = nn.Linear(4, 4), nn.Linear(4, 4)
    second.weight = first.weight
    frozen = nn.Linear(4, 2)
    frozen.requires_grad_(False)
    return nn.Sequential(first, nn.ReLU(), second, nn.BatchNorm1d(4), frozen)


@pytest.mark.points(2)
def test_count_parameters_counts_shared_tensors_once_and_skips_buffers(kata):
    module = shared_stack()
    # weight 16 once, two biases 4 + 4, BN weight and bias 4 + 4, frozen Linear 8 + 2
    expected = 16 + 4 + 4 + 4 + 4 + 8 + 2
    assert_equal(
        as_number(kata.count_parameters(module), "count_parameters"),
        expected,
        what="count_parameters",
        where=(
            "Sequential(Linear(4, 4), ReLU(), Linear(4, 4) sharing the first weight, "
            "BatchNorm1d(4), Linear(4, 2) frozen)"
        ),
        misconceptions={
            MISTAKES["tied-counted-twice"]: expected + 16,
            MISTAKES["buffers-counted"]: expected + 16 + 4 + 4 + 1,
        },
    )


@pytest.mark.points(1)
def test_count_parameters_returns_a_python_int(kata):
    assert_python_ints(
        kata.count_parameters(shared_stack()),
        "count_parameters",
        hint="sum(p.numel() ...) is one; np.prod(p.shape) gives a NumPy integer, a tensor sum a "
        "tensor",
    )
