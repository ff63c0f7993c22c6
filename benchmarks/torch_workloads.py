"""The reference workloads (W1–W4, W6–W8) in PyTorch (CPU): the anchor that
`benchmarks/compare.sh` times against `distill-bench workloads`. Kept here, beside its Swift
twin (Sources/distill-bench/WorkloadBenchmark.swift), so a clone of the repository has both.
Run: python3 benchmarks/torch_workloads.py [threads]. Each line: name, median seconds per step
over repeated timed blocks."""
import math, time, statistics, sys
import torch, torch.nn as nn, torch.nn.functional as F
torch.set_num_threads(int(sys.argv[1]) if len(sys.argv) > 1 else 2)
torch.manual_seed(0)

def timeit(fn, steps, blocks=5):
    fn(); fn()
    ts = []
    for _ in range(blocks):
        t = time.perf_counter()
        for _ in range(steps): fn()
        ts.append((time.perf_counter() - t) / steps)
    return statistics.median(ts)

def kd_loss(s, t, y, T=4.0, a=0.9):
    kl = F.kl_div(F.log_softmax(s / T, 1), F.softmax(t / T, 1), reduction="batchmean") * T * T
    return a * kl + (1 - a) * F.cross_entropy(s, y)

def mlp(sizes):
    layers = []
    for i in range(len(sizes) - 1):
        layers.append(nn.Linear(sizes[i], sizes[i + 1]))
        if i < len(sizes) - 2: layers.append(nn.ReLU())
    return nn.Sequential(*layers)

# W1: MLP KD step, MNIST shapes (Hinton 2015 sizes), batch 128
t1 = mlp([784, 1200, 1200, 10]).eval(); s1 = mlp([784, 800, 800, 10])
o1 = torch.optim.Adam(s1.parameters(), 1e-3)
x1 = torch.randn(128, 784); y1 = torch.randint(0, 10, (128,))
def w1():
    with torch.no_grad(): tl = t1(x1)
    loss = kd_loss(s1(x1), tl, y1); o1.zero_grad(); loss.backward(); o1.step()
print("W1 mlp-kd-step", timeit(w1, 20))

# W2: CNN KD step, CIFAR shapes, batch 64: teacher 4-block conv net, student 2-block
def convnet(ch):
    layers, c = [], 3
    for k in ch:
        layers += [nn.Conv2d(c, k, 3, padding=1, bias=False), nn.BatchNorm2d(k), nn.ReLU(), nn.MaxPool2d(2)]; c = k
    return nn.Sequential(*layers, nn.Flatten(), nn.LazyLinear(10))
t2 = convnet([32, 64, 128, 256]); s2 = convnet([16, 32, 64])
x2 = torch.randn(64, 3, 32, 32); y2 = torch.randint(0, 10, (64,))
t2(x2); s2(x2); t2.eval()
o2 = torch.optim.SGD(s2.parameters(), 0.05, momentum=0.9, weight_decay=5e-4)
def w2():
    with torch.no_grad(): tl = t2(x2)
    loss = kd_loss(s2(x2), tl, y2); o2.zero_grad(); loss.backward(); o2.step()
print("W2 cnn-kd-step", timeit(w2, 5))

# W3: PGD-10 attack on the student CNN, batch 64, eps 8/255
s2.eval()
def w3():
    d = torch.zeros_like(x2).uniform_(-8/255, 8/255).requires_grad_(True)
    for _ in range(10):
        loss = F.cross_entropy(s2(x2 + d), y2)
        g, = torch.autograd.grad(loss, d)
        d = (d + 2/255 * g.sign()).clamp(-8/255, 8/255).detach().requires_grad_(True)
print("W3 pgd10", timeit(w3, 2))

# W4: small-op overhead: 2-D diffusion MLP step (batch 256, width 128, sinusoidal time embedding)
net = mlp([2 + 16, 128, 128, 128, 2]); o4 = torch.optim.Adam(net.parameters(), 1e-3)
x4 = torch.randn(256, 2)
freqs = torch.exp(torch.linspace(0, 4, 8))
def w4():
    t = torch.rand(256, 1); n = torch.randn_like(x4)
    xt = (1 - t) * x4 + t * n
    emb = torch.cat([torch.sin(t * freqs), torch.cos(t * freqs)], 1)
    loss = ((net(torch.cat([xt, emb], 1)) - (n - x4)) ** 2).mean()
    o4.zero_grad(); loss.backward(); o4.step()
print("W4 flow-mlp-step", timeit(w4, 200))

# W6: a 28×28 UNet denoiser (channels 32/64, one attention block at 14×14), the twin of
# Generative's UNetDenoiser: a flow-matching training step with Adam at batch 64, and a
# 4-step Euler sampling pass of 64 images.
def groups(c):
    return next(g for g in (8, 4, 2, 1) if c % g == 0)

def sinusoidal(levels, size):
    half = size // 2
    freqs = torch.exp(-math.log(10000.0) * torch.arange(half, dtype=torch.float32) / half)
    angles = levels[:, None] * freqs[None, :]
    return torch.cat([torch.sin(angles), torch.cos(angles)], 1)

class ResidualBlock(nn.Module):
    def __init__(self, cin, cout, emb):
        super().__init__()
        self.norm1 = nn.GroupNorm(groups(cin), cin); self.conv1 = nn.Conv2d(cin, cout, 3, padding=1)
        self.embedding = nn.Linear(emb, cout)
        self.norm2 = nn.GroupNorm(groups(cout), cout); self.conv2 = nn.Conv2d(cout, cout, 3, padding=1)
        self.skip = nn.Conv2d(cin, cout, 1) if cin != cout else None
    def forward(self, x, c):
        h = self.conv1(F.silu(self.norm1(x))) + self.embedding(F.silu(c))[:, :, None, None]
        h = self.conv2(F.silu(self.norm2(h)))
        return (x if self.skip is None else self.skip(x)) + h

class AttentionBlock(nn.Module):
    def __init__(self, c, heads):
        super().__init__()
        self.norm = nn.GroupNorm(groups(c), c); self.heads = heads
        self.qkv = nn.Linear(c, 3 * c); self.proj = nn.Linear(c, c)
    def forward(self, x):
        n, c, h, w = x.shape
        tokens = self.norm(x).reshape(n, c, h * w).permute(0, 2, 1)
        q, k, v = self.qkv(tokens).reshape(n, h * w, 3, self.heads, c // self.heads).permute(2, 0, 3, 1, 4)
        out = F.scaled_dot_product_attention(q, k, v).permute(0, 2, 1, 3).reshape(n, h * w, c)
        return x + self.proj(out).permute(0, 2, 1).reshape(n, c, h, w)

class UNet(nn.Module):
    def __init__(self, image_channels=1, channels=(32, 64), heads=1):
        super().__init__()
        base, emb = channels[0], 4 * channels[0]
        self.channels = channels
        self.time1 = nn.Linear(base, emb); self.time2 = nn.Linear(emb, emb)
        self.input = nn.Conv2d(image_channels, base, 3, padding=1)
        widths = [base] + list(channels)
        self.down = nn.ModuleList(ResidualBlock(widths[i], widths[i + 1], emb) for i in range(len(channels)))
        self.downsample = nn.ModuleList(nn.Conv2d(c, c, 3, stride=2, padding=1) for c in channels[:-1])
        low = channels[-1]
        self.middle1 = ResidualBlock(low, low, emb); self.attention = AttentionBlock(low, heads); self.middle2 = ResidualBlock(low, low, emb)
        self.upsample = nn.ModuleList(nn.Conv2d(channels[i + 1], channels[i], 3, padding=1) for i in range(len(channels) - 1))
        self.up = nn.ModuleList(ResidualBlock(2 * c, c, emb) for c in channels)
        self.norm = nn.GroupNorm(groups(base), base); self.output = nn.Conv2d(base, image_channels, 3, padding=1)
    def forward(self, x, levels):
        c = self.time2(F.silu(self.time1(sinusoidal(levels, self.channels[0]))))
        h = self.input(x); skips = []
        for i in range(len(self.channels)):
            h = self.down[i](h, c); skips.append(h)
            if i < len(self.channels) - 1: h = self.downsample[i](h)
        h = self.middle2(self.attention(self.middle1(h, c)), c)
        for i in reversed(range(len(self.channels))):
            if i < len(self.channels) - 1:
                h = self.upsample[i](F.interpolate(h, size=skips[i].shape[2:], mode="nearest"))
            h = self.up[i](torch.cat([h, skips[i]], 1), c)
        return self.output(F.silu(self.norm(h)))

unet = UNet(); o6 = torch.optim.Adam(unet.parameters(), 1e-3)
x6 = torch.randn(64, 1, 28, 28)
def w6():
    t = torch.rand(64); n = torch.randn_like(x6)
    xt = (1 - t[:, None, None, None]) * x6 + t[:, None, None, None] * n
    loss = ((unet(xt, 1000 * t) - (n - x6)) ** 2).mean()
    o6.zero_grad(); loss.backward(); o6.step()
print("W6 unet-step", timeit(w6, 2))

@torch.no_grad()
def w6s():
    x = torch.randn(64, 1, 28, 28)
    times = [1 - i / 4 for i in range(5)]
    for t, s in zip(times, times[1:]):
        x = x + (s - t) * unet(x, torch.full((64,), 1000.0 * t))
print("W6s unet-sample4", timeit(w6s, 1))

# W7: GCN on Cora, full batch (1,433 → 16 → 7, dropout 0.5), the adjacency normalised once
# (D^-1/2 (A + I) D^-1/2) and propagated as a sparse CSR product; cross-entropy on the 140
# training nodes, Adam with weight decay. Cora is read from the archive Distillery embeds.
import os
import numpy as np
cora = np.load(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Sources", "Datasets", "Resources", "cora.npz"))
def csr(prefix):
    return torch.sparse_csr_tensor(torch.from_numpy(cora[prefix + "_indptr"]), torch.from_numpy(cora[prefix + "_indices"]),
                                   torch.from_numpy(cora[prefix + "_data"]), tuple(cora[prefix + "_shape"]))
features7 = csr("attr").to_dense()
features7 = features7 / features7.sum(1, keepdim=True).clamp(min=1)
adjacency7 = csr("adj").to_dense() + torch.eye(features7.shape[0])
degree7 = adjacency7.sum(1).rsqrt()
propagation7 = (degree7[:, None] * adjacency7 * degree7[None, :]).to_sparse_csr()
train7 = torch.from_numpy(cora["idx_train"]); labels7 = torch.from_numpy(cora["labels"])[train7]

class GCN7(nn.Module):
    def __init__(self, widths):
        super().__init__()
        self.lins = nn.ModuleList(nn.Linear(a, b, bias=False) for a, b in zip(widths, widths[1:]))
        self.biases = nn.ParameterList(nn.Parameter(torch.zeros(b)) for b in widths[1:])
    def forward(self, x):
        for i, (lin, bias) in enumerate(zip(self.lins, self.biases)):
            x = torch.sparse.mm(propagation7, lin(F.dropout(x, 0.5, self.training))) + bias
            if i < len(self.lins) - 1: x = F.relu(x)
        return x

gcn7 = GCN7([features7.shape[1], 16, 7]); o7 = torch.optim.Adam(gcn7.parameters(), 0.01, weight_decay=5e-4)
def w7():
    loss = F.cross_entropy(gcn7(features7)[train7], labels7)
    o7.zero_grad(); loss.backward(); o7.step()
print("W7 gcn-cora-step", timeit(w7, 20))

# W8: nanoGPT's shakespeare-char CPU model (4 layers, 4 heads, 128 wide, context 64, the 65
# characters): a training step on 12 windows (AdamW 1e-3, β2 0.99, weight decay 0.1,
# gradients clipped at norm 1), and 256 tokens sampled at temperature 1 from one sequence
# over the key-value cache, read afresh from the last 64 tokens once the context is full.
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from torch_gpt import GPT
gpt8 = GPT(65, 64, 4, 4, 128, bias=False)
o8 = torch.optim.AdamW(gpt8.parameters(), 1e-3, betas=(0.9, 0.99), weight_decay=0.1)
x8 = torch.randint(0, 65, (12, 64)); y8 = torch.randint(0, 65, (12, 64))
def w8():
    loss = F.cross_entropy(gpt8(x8).view(-1, 65), y8.view(-1))
    o8.zero_grad(); loss.backward(); torch.nn.utils.clip_grad_norm_(gpt8.parameters(), 1.0); o8.step()
print("W8 gpt-char-step", timeit(w8, 10))
gpt8.eval()
print("W8s gpt-sample256", timeit(lambda: gpt8.generate(x8[:1, :1], 256), 1))
