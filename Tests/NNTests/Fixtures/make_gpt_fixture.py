"""Writes gpt-tiny.safetensors, gpt-tiny-bias.safetensors and gpt-reference.json for GPTTests: a
small GPT with nanoGPT's module layout and names (written here from its description:
token and position embeddings, pre-LayerNorm causal blocks with a fused c_attn, GELU MLP, a
final LayerNorm and an lm_head tied to wte), random weights, and its logits for a batch of
token ids. The state dicts keep lm_head.weight as nanoGPT's does (a copy, as safetensors
stores no shared tensors).
    python3 Tests/NNTests/Fixtures/make_gpt_fixture.py      (torch, safetensors)
"""
import json, math, os
import torch
import torch.nn as nn
import torch.nn.functional as F
from safetensors.torch import save_file


class Attention(nn.Module):
    def __init__(self, width, heads, bias):
        super().__init__()
        self.c_attn = nn.Linear(width, 3 * width, bias=bias)
        self.c_proj = nn.Linear(width, width, bias=bias)
        self.heads = heads

    def forward(self, x):
        b, t, c = x.shape
        q, k, v = self.c_attn(x).split(c, dim=2)
        q, k, v = (z.view(b, t, self.heads, c // self.heads).transpose(1, 2) for z in (q, k, v))
        y = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        return self.c_proj(y.transpose(1, 2).contiguous().view(b, t, c))


class MLP(nn.Module):
    def __init__(self, width, bias):
        super().__init__()
        self.c_fc = nn.Linear(width, 4 * width, bias=bias)
        self.c_proj = nn.Linear(4 * width, width, bias=bias)

    def forward(self, x):
        return self.c_proj(F.gelu(self.c_fc(x)))


class Block(nn.Module):
    def __init__(self, width, heads, bias):
        super().__init__()
        self.ln_1 = nn.LayerNorm(width, bias=bias)
        self.attn = Attention(width, heads, bias)
        self.ln_2 = nn.LayerNorm(width, bias=bias)
        self.mlp = MLP(width, bias)

    def forward(self, x):
        x = x + self.attn(self.ln_1(x))
        return x + self.mlp(self.ln_2(x))


class GPT(nn.Module):
    def __init__(self, vocab, context, layers, heads, width, bias):
        super().__init__()
        self.transformer = nn.ModuleDict(dict(
            wte=nn.Embedding(vocab, width), wpe=nn.Embedding(context, width),
            h=nn.ModuleList([Block(width, heads, bias) for _ in range(layers)]), ln_f=nn.LayerNorm(width, bias=bias)))
        self.lm_head = nn.Linear(width, vocab, bias=False)
        self.transformer.wte.weight = self.lm_head.weight

    def forward(self, idx):
        positions = torch.arange(idx.shape[1])
        x = self.transformer.wte(idx) + self.transformer.wpe(positions)
        for block in self.transformer.h:
            x = block(x)
        return self.lm_head(self.transformer.ln_f(x))


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
