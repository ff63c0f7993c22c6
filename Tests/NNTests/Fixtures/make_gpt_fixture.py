"""Writes gpt-tiny.safetensors, gpt-tiny-bias.safetensors and gpt-reference.json for GPTTests: a
small GPT with nanoGPT's module layout and names (benchmarks/torch_gpt.py), random weights,
and its logits for a batch of token ids. The state dicts keep lm_head.weight as nanoGPT's does (a copy, as safetensors
stores no shared tensors).
    python3 Tests/NNTests/Fixtures/make_gpt_fixture.py      (torch, safetensors)
"""
import json, math, os, sys
import torch
from safetensors.torch import save_file

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "benchmarks"))
from torch_gpt import GPT  # noqa: E402


here = os.path.dirname(os.path.abspath(__file__))
torch.manual_seed(0)
tokens = torch.randint(0, 50, (2, 12))
reference = {"tokens": tokens.flatten().tolist(), "shape": list(tokens.shape)}
for name, bias in (("gpt-tiny", False), ("gpt-tiny-bias", True)):
    model = GPT(vocab=50, context=16, layers=2, heads=2, width=16, bias=bias)
    with torch.no_grad():
        for parameter in model.parameters():  # away from the defaults (LayerNorm's ones and zeros)
            parameter.add_(0.1 * torch.randn_like(parameter))
    model.eval()
    save_file({k: v.detach().clone().contiguous() for k, v in model.state_dict().items()}, os.path.join(here, f"{name}.safetensors"))
    with torch.no_grad():
        reference[name] = model(tokens).flatten().tolist()
with open(os.path.join(here, "gpt-reference.json"), "w") as f:
    json.dump(reference, f)
