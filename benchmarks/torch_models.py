"""PyTorch (CPU) figures for `distill-bench models`: forward and forward+backward ms per
batch of resnet20 (batch 64, 32×32, training mode) and MLP 784-800-800-10 (batch 128),
with the same timing protocol (two warm-up calls, median of five timed blocks).
Run: python3 benchmarks/torch_models.py [threads]"""
import statistics, sys, time
import torch, torch.nn as nn, torch.nn.functional as F
torch.set_num_threads(int(sys.argv[1]) if len(sys.argv) > 1 else 2)
torch.manual_seed(0)

def median_seconds(fn, iterations, blocks=5):
    fn(); fn(); times = []
    for _ in range(blocks):
        t = time.perf_counter()
        for _ in range(iterations): fn()
        times.append((time.perf_counter() - t) / iterations)
    return statistics.median(times)

class Block(nn.Module):
    def __init__(self, i, o, s):
        super().__init__()
        self.conv1 = nn.Conv2d(i, o, 3, s, 1, bias=False); self.bn1 = nn.BatchNorm2d(o)
        self.conv2 = nn.Conv2d(o, o, 3, 1, 1, bias=False); self.bn2 = nn.BatchNorm2d(o)
        self.downsample = nn.Sequential(nn.Conv2d(i, o, 1, s, bias=False), nn.BatchNorm2d(o)) if s != 1 or i != o else None
    def forward(self, x):
        out = self.bn2(self.conv2(F.relu(self.bn1(self.conv1(x)))))
        return F.relu(out + (self.downsample(x) if self.downsample is not None else x))
class ResNet20(nn.Module):
    def __init__(self):
        super().__init__(); self.conv1 = nn.Conv2d(3, 16, 3, padding=1, bias=False); self.bn1 = nn.BatchNorm2d(16)
        layers, c = [], 16
        for w, s in [(16, 1), (32, 2), (64, 2)]:
            for k in range(3): layers.append(Block(c, w, s if k == 0 else 1)); c = w
        self.layers = nn.Sequential(*layers); self.fc = nn.Linear(64, 10)
    def forward(self, x):
        x = self.layers(F.relu(self.bn1(self.conv1(x))))
        return self.fc(F.adaptive_avg_pool2d(x, 1).flatten(1))

def measure(name, model, x, y, iterations):
    model.train()
    def forward():
        with torch.no_grad(): model(x)
    def forward_backward():
        model.zero_grad(); F.cross_entropy(model(x), y).backward()
    print(f"{name}_forward {median_seconds(forward, iterations) * 1e3:.3f} ms")
    print(f"{name}_forward_backward {median_seconds(forward_backward, iterations) * 1e3:.3f} ms")

print(f"# threads {torch.get_num_threads()}")
measure("resnet20_b64", ResNet20(), torch.randn(64, 3, 32, 32), torch.randint(0, 10, (64,)), 5)
mlp = nn.Sequential(nn.Linear(784, 800), nn.ReLU(), nn.Linear(800, 800), nn.ReLU(), nn.Linear(800, 10))
measure("mlp_784_800_800_10_b128", mlp, torch.randn(128, 784), torch.randint(0, 10, (128,)), 50)
