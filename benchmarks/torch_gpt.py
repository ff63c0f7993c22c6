"""A GPT with nanoGPT's module layout and names, written here from its description: token
and position embeddings, pre-LayerNorm causal blocks with a fused c_attn, a GELU MLP, a
final LayerNorm and an lm_head tied to wte. `forward(idx, cache)` takes a key-value cache
(a list, one (keys, values) pair per layer, grown in place) so that decoding reads each
token once. Imported by benchmarks/torch_workloads.py (W8) and by
Tests/NNTests/Fixtures/make_gpt_fixture.py."""
import torch
import torch.nn as nn
import torch.nn.functional as F


class Attention(nn.Module):
    def __init__(self, width, heads, bias):
        super().__init__()
        self.c_attn = nn.Linear(width, 3 * width, bias=bias)
        self.c_proj = nn.Linear(width, width, bias=bias)
        self.heads = heads

    def forward(self, x, cache=None, layer=0):
        b, t, c = x.shape
        q, k, v = self.c_attn(x).split(c, dim=2)
        q, k, v = (z.view(b, t, self.heads, c // self.heads).transpose(1, 2) for z in (q, k, v))
        past = cache[layer] if cache is not None and len(cache) > layer else None
        if past is not None:
            k, v = torch.cat([past[0], k], dim=2), torch.cat([past[1], v], dim=2)
        if cache is not None:
            if past is None: cache.append((k, v))
            else: cache[layer] = (k, v)
        # New queries see every cached key; among themselves, only the earlier ones.
        if past is None:
            y = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        else:
            mask = torch.ones(t, k.shape[2], dtype=torch.bool).tril(diagonal=k.shape[2] - t)
            y = F.scaled_dot_product_attention(q, k, v, attn_mask=mask)
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

    def forward(self, x, cache=None, layer=0):
        x = x + self.attn(self.ln_1(x), cache, layer)
        return x + self.mlp(self.ln_2(x))


class GPT(nn.Module):
    def __init__(self, vocab, context, layers, heads, width, bias):
        super().__init__()
        self.context = context
        self.transformer = nn.ModuleDict(dict(
            wte=nn.Embedding(vocab, width), wpe=nn.Embedding(context, width),
            h=nn.ModuleList([Block(width, heads, bias) for _ in range(layers)]), ln_f=nn.LayerNorm(width, bias=bias)))
        self.lm_head = nn.Linear(width, vocab, bias=False)
        self.transformer.wte.weight = self.lm_head.weight

    def forward(self, idx, cache=None):
        start = cache[0][0].shape[2] if cache else 0
        positions = torch.arange(start, start + idx.shape[1])
        x = self.transformer.wte(idx) + self.transformer.wpe(positions)
        for layer, block in enumerate(self.transformer.h):
            x = block(x, cache, layer)
        return self.lm_head(self.transformer.ln_f(x))

    @torch.no_grad()
    def generate(self, prompt, count, temperature=1.0):
        """`count` tokens after `prompt` ([1, P]), sampled at `temperature` over the cache;
        once the context is full, the last `context` tokens are read afresh each step."""
        sequence, cache, pending = prompt, [], prompt
        for _ in range(count):
            if cache and cache[0][0].shape[2] + pending.shape[1] > self.context:
                cache = None
            window = sequence[:, -self.context:] if cache is None else pending
            logits = self(window, cache)[:, -1, :] / temperature
            token = torch.multinomial(F.softmax(logits, dim=-1), 1)
            sequence, pending = torch.cat([sequence, token], dim=1), token
        return sequence[:, prompt.shape[1]:]
