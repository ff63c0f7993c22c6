"""The four reference workloads (W1–W4) in PyTorch (CPU): the anchor that
`benchmarks/compare.sh` times against `distill-bench workloads`. Kept here, beside its Swift
twin (Sources/distill-bench/WorkloadBenchmark.swift), so a clone of the repository has both.
Run: python3 benchmarks/torch_workloads.py [threads]. Each line: name, median seconds per step
over repeated timed blocks."""
import time, statistics, sys
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
