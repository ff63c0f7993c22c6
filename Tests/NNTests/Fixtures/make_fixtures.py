"""PyTorch references for the NN and Optim tests. Defines the architectures as the CRD
benchmark (RepDistiller) does, and writes:
- architectures.json: state_dict names, shapes and parameter counts per model;
- <model>.safetensors + logits in reference.json: weights (random, with randomised batch-norm
  statistics) written by PyTorch, and the logits they give on a fixed batch in eval mode;
- reference.json: batch-norm running-statistic updates and optimizer trajectories.
Run: python3 make_fixtures.py (torch, safetensors). The tests never run Python."""
import json
import torch, torch.nn as nn, torch.nn.functional as F
from safetensors.torch import save_file

torch.manual_seed(0)
out = {}
def put(name, t):
    t = torch.as_tensor(t, dtype=torch.float64)
    out[name] = {"shape": list(t.shape), "data": [float(v) for v in t.reshape(-1)]}

# --- CRD benchmark architectures -------------------------------------------------------
def conv3x3(i, o, s=1): return nn.Conv2d(i, o, 3, s, 1, bias=False)
class BasicBlock(nn.Module):
    def __init__(self, inplanes, planes, stride=1, downsample=None):
        super().__init__()
        self.conv1 = conv3x3(inplanes, planes, stride); self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = conv3x3(planes, planes); self.bn2 = nn.BatchNorm2d(planes); self.downsample = downsample
    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x))); out = self.bn2(self.conv2(out))
        return F.relu(out + (self.downsample(x) if self.downsample is not None else x))
class CIFARResNet(nn.Module):
    def __init__(self, depth, nf, num_classes=10):
        super().__init__(); n = (depth - 2) // 6; self.inplanes = nf[0]
        self.conv1 = nn.Conv2d(3, nf[0], 3, padding=1, bias=False); self.bn1 = nn.BatchNorm2d(nf[0])
        self.layer1 = self._make(nf[1], n); self.layer2 = self._make(nf[2], n, 2); self.layer3 = self._make(nf[3], n, 2)
        self.avgpool = nn.AvgPool2d(8); self.fc = nn.Linear(nf[3], num_classes)
    def _make(self, planes, blocks, stride=1):
        ds = None
        if stride != 1 or self.inplanes != planes:
            ds = nn.Sequential(nn.Conv2d(self.inplanes, planes, 1, stride, bias=False), nn.BatchNorm2d(planes))
        layers = [BasicBlock(self.inplanes, planes, stride, ds)]; self.inplanes = planes
        layers += [BasicBlock(planes, planes) for _ in range(1, blocks)]
        return nn.Sequential(*layers)
    def forward(self, x):
        x = F.relu(self.bn1(self.conv1(x))); x = self.layer3(self.layer2(self.layer1(x)))
        return self.fc(self.avgpool(x).flatten(1))
class WBlock(nn.Module):
    def __init__(self, i, o, stride, drop=0.0):
        super().__init__()
        self.bn1 = nn.BatchNorm2d(i); self.relu1 = nn.ReLU(); self.conv1 = nn.Conv2d(i, o, 3, stride, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(o); self.relu2 = nn.ReLU(); self.conv2 = nn.Conv2d(o, o, 3, 1, 1, bias=False)
        self.equal = i == o; self.convShortcut = (not self.equal) and nn.Conv2d(i, o, 1, stride, 0, bias=False) or None
    def forward(self, x):
        if not self.equal: x = self.relu1(self.bn1(x)); out = x
        else: out = self.relu1(self.bn1(x))
        out = self.conv2(self.relu2(self.bn2(self.conv1(out))))
        return (x if self.equal else self.convShortcut(x)) + out
class NetworkBlock(nn.Module):
    def __init__(self, n, i, o, stride):
        super().__init__(); self.layer = nn.Sequential(*[WBlock(i if k == 0 else o, o, stride if k == 0 else 1) for k in range(n)])
    def forward(self, x): return self.layer(x)
class WRN(nn.Module):
    def __init__(self, depth, k, num_classes=10):
        super().__init__(); n = (depth - 4) // 6; c = [16, 16 * k, 32 * k, 64 * k]
        self.conv1 = nn.Conv2d(3, c[0], 3, 1, 1, bias=False)
        self.block1 = NetworkBlock(n, c[0], c[1], 1); self.block2 = NetworkBlock(n, c[1], c[2], 2); self.block3 = NetworkBlock(n, c[2], c[3], 2)
        self.bn1 = nn.BatchNorm2d(c[3]); self.fc = nn.Linear(c[3], num_classes)
    def forward(self, x):
        x = F.relu(self.bn1(self.block3(self.block2(self.block1(self.conv1(x))))))
        return self.fc(F.avg_pool2d(x, 8).flatten(1))
class VGG(nn.Module):
    def __init__(self, cfg, num_classes=10):
        super().__init__(); c = 3; blocks = []
        for widths in cfg:
            layers = []
            for v in widths: layers += [nn.Conv2d(c, v, 3, padding=1), nn.BatchNorm2d(v), nn.ReLU()]; c = v
            blocks.append(nn.Sequential(*layers[:-1]))
        self.block0, self.block1, self.block2, self.block3, self.block4 = blocks
        self.classifier = nn.Linear(512, num_classes)
    def forward(self, x):
        x = F.max_pool2d(F.relu(self.block0(x)), 2); x = F.max_pool2d(F.relu(self.block1(x)), 2)
        x = F.max_pool2d(F.relu(self.block2(x)), 2); x = F.relu(self.block3(x)); x = F.relu(self.block4(x))
        return self.classifier(F.adaptive_avg_pool2d(x, 1).flatten(1))
class SBlock(nn.Module):
    def __init__(self, i, o, stride=1):
        super().__init__()
        self.conv1 = nn.Conv2d(i, o, 3, stride, 1, bias=False); self.bn1 = nn.BatchNorm2d(o)
        self.conv2 = nn.Conv2d(o, o, 3, 1, 1, bias=False); self.bn2 = nn.BatchNorm2d(o); self.shortcut = nn.Sequential()
        if stride != 1 or i != o: self.shortcut = nn.Sequential(nn.Conv2d(i, o, 1, stride, bias=False), nn.BatchNorm2d(o))
class ResNet18(nn.Module):
    def __init__(self, blocks, num_classes=10):
        super().__init__(); self.conv1 = nn.Conv2d(3, 64, 3, 1, 1, bias=False); self.bn1 = nn.BatchNorm2d(64); c = 64
        for idx, (w, n, s) in enumerate(zip([64, 128, 256, 512], blocks, [1, 2, 2, 2])):
            layers = []
            for k in range(n): layers.append(SBlock(c, w, s if k == 0 else 1)); c = w
            setattr(self, f"layer{idx + 1}", nn.Sequential(*layers))
        self.linear = nn.Linear(512, num_classes)
def mlp(sizes):
    layers = []
    for i in range(len(sizes) - 1):
        layers.append(nn.Linear(sizes[i], sizes[i + 1]))
        if i < len(sizes) - 2: layers.append(nn.ReLU())
    return nn.Sequential(*layers)
class LeNet5(nn.Module):
    def __init__(self):
        super().__init__(); self.conv1 = nn.Conv2d(1, 6, 5, padding=2); self.conv2 = nn.Conv2d(6, 16, 5)
        self.fc1 = nn.Linear(400, 120); self.fc2 = nn.Linear(120, 84); self.fc3 = nn.Linear(84, 10)
    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), 2); x = F.max_pool2d(F.relu(self.conv2(x)), 2).flatten(1)
        return self.fc3(F.relu(self.fc2(F.relu(self.fc1(x)))))

class InvertedResidual(nn.Module):
    def __init__(self, inp, oup, stride, t):
        super().__init__(); h = inp * t; self.use_res = stride == 1 and inp == oup
        self.conv = nn.Sequential(nn.Conv2d(inp, h, 1, 1, 0, bias=False), nn.BatchNorm2d(h), nn.ReLU(),
                                  nn.Conv2d(h, h, 3, stride, 1, groups=h, bias=False), nn.BatchNorm2d(h), nn.ReLU(),
                                  nn.Conv2d(h, oup, 1, 1, 0, bias=False), nn.BatchNorm2d(oup))
    def forward(self, x): return x + self.conv(x) if self.use_res else self.conv(x)
class MobileNetV2(nn.Module):
    def __init__(self, T=6, num_classes=10, width_mult=0.5):
        super().__init__(); c = int(32 * width_mult)
        self.conv1 = nn.Sequential(nn.Conv2d(3, c, 3, 2, 1, bias=False), nn.BatchNorm2d(c), nn.ReLU())
        self.blocks = nn.ModuleList()
        for t, ch, n, st in [[1, 16, 1, 1], [T, 24, 2, 1], [T, 32, 3, 2], [T, 64, 4, 2], [T, 96, 3, 1], [T, 160, 3, 2], [T, 320, 1, 1]]:
            o = int(ch * width_mult); layers = []
            for k in range(n): layers.append(InvertedResidual(c, o, st if k == 0 else 1, t)); c = o
            self.blocks.append(nn.Sequential(*layers))
        self.conv2 = nn.Sequential(nn.Conv2d(c, 1280, 1, 1, 0, bias=False), nn.BatchNorm2d(1280), nn.ReLU())
        self.classifier = nn.Sequential(nn.Linear(1280, num_classes)); self.avgpool = nn.AvgPool2d(2, ceil_mode=True)
    def forward(self, x):
        x = self.conv1(x)
        for b in self.blocks: x = b(x)
        return self.classifier(self.avgpool(self.conv2(x)).flatten(1))
def shuffle(x, g=2):
    n, c, h, w = x.shape; return x.view(n, g, c // g, h, w).permute(0, 2, 1, 3, 4).reshape(n, c, h, w)
class ShuffleUnit(nn.Module):
    def __init__(self, c):
        super().__init__(); c = c // 2
        self.conv1 = nn.Conv2d(c, c, 1, bias=False); self.bn1 = nn.BatchNorm2d(c)
        self.conv2 = nn.Conv2d(c, c, 3, 1, 1, groups=c, bias=False); self.bn2 = nn.BatchNorm2d(c)
        self.conv3 = nn.Conv2d(c, c, 1, bias=False); self.bn3 = nn.BatchNorm2d(c)
class ShuffleDown(nn.Module):
    def __init__(self, i, o):
        super().__init__(); m = o // 2
        self.conv1 = nn.Conv2d(i, i, 3, 2, 1, groups=i, bias=False); self.bn1 = nn.BatchNorm2d(i)
        self.conv2 = nn.Conv2d(i, m, 1, bias=False); self.bn2 = nn.BatchNorm2d(m)
        self.conv3 = nn.Conv2d(i, m, 1, bias=False); self.bn3 = nn.BatchNorm2d(m)
        self.conv4 = nn.Conv2d(m, m, 3, 2, 1, groups=m, bias=False); self.bn4 = nn.BatchNorm2d(m)
        self.conv5 = nn.Conv2d(m, m, 1, bias=False); self.bn5 = nn.BatchNorm2d(m)
class ShuffleNetV2(nn.Module):
    def __init__(self, widths=(116, 232, 464, 1024), num_classes=10):
        super().__init__(); self.conv1 = nn.Conv2d(3, 24, 1, bias=False); self.bn1 = nn.BatchNorm2d(24); c = 24
        for idx, (w, n) in enumerate(zip(widths[:3], (3, 7, 3))):
            setattr(self, f"layer{idx + 1}", nn.Sequential(ShuffleDown(c, w), *[ShuffleUnit(w) for _ in range(n)])); c = w
        self.conv2 = nn.Conv2d(c, widths[3], 1, bias=False); self.bn2 = nn.BatchNorm2d(widths[3]); self.linear = nn.Linear(widths[3], num_classes)
class ShuffleBottleneck(nn.Module):
    def __init__(self, i, o, stride, groups):
        super().__init__(); m = o // 4; g = 1 if i == 24 else groups; self.stride = stride; self.g = g
        self.conv1 = nn.Conv2d(i, m, 1, groups=g, bias=False); self.bn1 = nn.BatchNorm2d(m)
        self.conv2 = nn.Conv2d(m, m, 3, stride, 1, groups=m, bias=False); self.bn2 = nn.BatchNorm2d(m)
        self.conv3 = nn.Conv2d(m, o, 1, groups=groups, bias=False); self.bn3 = nn.BatchNorm2d(o)
        self.shortcut = nn.Sequential(nn.AvgPool2d(3, stride=2, padding=1)) if stride == 2 else nn.Sequential()
    def forward(self, x):
        out = shuffle(F.relu(self.bn1(self.conv1(x))), self.g); out = self.bn3(self.conv3(F.relu(self.bn2(self.conv2(out)))))
        res = self.shortcut(x)
        return F.relu(torch.cat([out, res], 1) if self.stride == 2 else out + res)
class ShuffleNetV1(nn.Module):
    def __init__(self, planes=(240, 480, 960), blocks=(4, 8, 4), groups=3, num_classes=10):
        super().__init__(); self.conv1 = nn.Conv2d(3, 24, 1, bias=False); self.bn1 = nn.BatchNorm2d(24); c = 24
        for idx, (p, n) in enumerate(zip(planes, blocks)):
            layers = []
            for k in range(n): layers.append(ShuffleBottleneck(c, p - (c if k == 0 else 0), 2 if k == 0 else 1, groups)); c = p
            setattr(self, f"layer{idx + 1}", nn.Sequential(*layers))
        self.linear = nn.Linear(planes[2], num_classes)
    def forward(self, x):
        x = self.layer3(self.layer2(self.layer1(F.relu(self.bn1(self.conv1(x))))))
        return self.linear(F.avg_pool2d(x, 4).flatten(1))
class Attention(nn.Module):
    def __init__(self, dim, heads):
        super().__init__(); self.heads = heads; self.qkv = nn.Linear(dim, 3 * dim); self.proj = nn.Linear(dim, dim)
    def forward(self, x):
        B, N, C = x.shape; qkv = self.qkv(x).reshape(B, N, 3, self.heads, C // self.heads).permute(2, 0, 3, 1, 4)
        q, k, v = qkv[0], qkv[1], qkv[2]; attn = ((q @ k.transpose(-2, -1)) * (C // self.heads) ** -0.5).softmax(-1)
        return self.proj((attn @ v).transpose(1, 2).reshape(B, N, C))
class Mlp(nn.Module):
    def __init__(self, dim, hidden):
        super().__init__(); self.fc1 = nn.Linear(dim, hidden); self.fc2 = nn.Linear(hidden, dim)
    def forward(self, x): return self.fc2(F.gelu(self.fc1(x)))
class Block(nn.Module):
    def __init__(self, dim, heads):
        super().__init__(); self.norm1 = nn.LayerNorm(dim, eps=1e-6); self.attn = Attention(dim, heads)
        self.norm2 = nn.LayerNorm(dim, eps=1e-6); self.mlp = Mlp(dim, 4 * dim)
    def forward(self, x): x = x + self.attn(self.norm1(x)); return x + self.mlp(self.norm2(x))
class PatchEmbed(nn.Module):
    def __init__(self, dim, patch): super().__init__(); self.proj = nn.Conv2d(3, dim, patch, patch)
class ViT(nn.Module):
    def __init__(self, image=32, patch=4, dim=192, depth=6, heads=3, num_classes=10):
        super().__init__(); n = (image // patch) ** 2
        self.patch_embed = PatchEmbed(dim, patch); self.cls_token = nn.Parameter(torch.randn(1, 1, dim) * 0.02)
        self.pos_embed = nn.Parameter(torch.randn(1, n + 1, dim) * 0.02)
        self.blocks = nn.ModuleList([Block(dim, heads) for _ in range(depth)]); self.norm = nn.LayerNorm(dim, eps=1e-6)
        self.head = nn.Linear(dim, num_classes)
    def forward(self, x):
        x = self.patch_embed.proj(x).flatten(2).transpose(1, 2)
        x = torch.cat([self.cls_token.expand(x.shape[0], -1, -1), x], 1) + self.pos_embed
        for b in self.blocks: x = b(x)
        return self.head(self.norm(x)[:, 0])

models = {
    "shufflenetv1": ShuffleNetV1(), "mobilenetv2": MobileNetV2(), "shufflenetv2": ShuffleNetV2(), "vit": ViT(), "vit-tiny": ViT(patch=8, dim=64, depth=2, heads=4),
    "resnet8": CIFARResNet(8, [16, 16, 32, 64]), "resnet20": CIFARResNet(20, [16, 16, 32, 64]),
    "resnet110": CIFARResNet(110, [16, 16, 32, 64]), "resnet8x4": CIFARResNet(8, [32, 64, 128, 256]),
    "resnet32x4": CIFARResNet(32, [32, 64, 128, 256]), "wrn-16-2": WRN(16, 2), "wrn-40-2": WRN(40, 2),
    "vgg8": VGG([[64], [128], [256], [512], [512]]), "vgg13": VGG([[64, 64], [128, 128], [256, 256], [512, 512], [512, 512]]),
    "resnet18": ResNet18([2, 2, 2, 2]), "resnet34": ResNet18([3, 4, 6, 3]), "mlp": mlp([784, 128, 64, 10]), "lenet5": LeNet5(),
}
architectures = {}
for name, m in models.items():
    sd = m.state_dict()
    architectures[name] = {"names": list(sd.keys()), "shapes": [list(v.shape) for v in sd.values()],
                           "parameters": sum(p.numel() for p in m.parameters())}
with open("architectures.json", "w") as f: json.dump(architectures, f, separators=(",", ":"))

# Weights written by PyTorch and the logits they give (eval mode, randomised BN statistics).
for name, shape in [("resnet20", (4, 3, 32, 32)), ("wrn-16-2", (4, 3, 32, 32)), ("lenet5", (4, 1, 28, 28)), ("mlp", (4, 784)),
                    ("mobilenetv2", (4, 3, 32, 32)), ("vit-tiny", (4, 3, 32, 32)), ("shufflenetv1", (2, 3, 32, 32))]:
    m = models[name]
    for mod in m.modules():
        if isinstance(mod, nn.LayerNorm):
            mod.weight.data.uniform_(0.5, 1.5); mod.bias.data.uniform_(-0.2, 0.2)
        if isinstance(mod, nn.BatchNorm2d):
            mod.running_mean.uniform_(-0.2, 0.2); mod.running_var.uniform_(0.5, 1.5)
            mod.weight.data.uniform_(0.5, 1.5); mod.bias.data.uniform_(-0.2, 0.2)
    m.eval(); x = torch.randn(*shape)
    put(f"{name}_input", x)
    with torch.no_grad(): put(f"{name}_logits", m(x))
    save_file({k: v.contiguous() for k, v in m.state_dict().items()}, f"{name}.safetensors")

# BatchNorm2d: one training step's output and running statistics.
bn = nn.BatchNorm2d(3, momentum=0.2); bx = torch.randn(4, 3, 5, 5) * 2 + 1
put("bn_input", bx); put("bn_train_out", bn(bx)); put("bn_running_mean", bn.running_mean); put("bn_running_var", bn.running_var)
bn.eval(); put("bn_eval_out", bn(bx))

# Optimizer trajectories: a Linear(4 → 3) regressing y from x, 20 steps each.
x = torch.randn(8, 4); y = torch.randn(8, 3)
w0 = torch.randn(3, 4); b0 = torch.randn(3)
put("opt_x", x); put("opt_y", y); put("opt_w0", w0); put("opt_b0", b0)
configs = {
    "sgd": lambda p: torch.optim.SGD(p, lr=0.05),
    "sgd_momentum_wd": lambda p: torch.optim.SGD(p, lr=0.05, momentum=0.9, dampening=0.1, weight_decay=0.01),
    "sgd_nesterov": lambda p: torch.optim.SGD(p, lr=0.05, momentum=0.9, nesterov=True, weight_decay=5e-4),
    "adam": lambda p: torch.optim.Adam(p, lr=0.01),
    "adam_wd": lambda p: torch.optim.Adam(p, lr=0.01, weight_decay=0.1),
    "adamw": lambda p: torch.optim.AdamW(p, lr=0.01, weight_decay=0.1),
    "rmsprop": lambda p: torch.optim.RMSprop(p, lr=0.01),
    "rmsprop_momentum_wd": lambda p: torch.optim.RMSprop(p, lr=0.01, momentum=0.5, weight_decay=0.01),
}
for name, make in configs.items():
    lin = nn.Linear(4, 3)
    with torch.no_grad(): lin.weight.copy_(w0); lin.bias.copy_(b0)
    opt = make(lin.parameters())
    for _ in range(20):
        loss = ((lin(x) - y) ** 2).mean(); opt.zero_grad(); loss.backward(); opt.step()
    put(f"opt_{name}_weight", lin.weight.detach()); put(f"opt_{name}_bias", lin.bias.detach())

# Learning-rate schedules, 30 steps each.
def rates(make):
    p = [nn.Parameter(torch.zeros(1))]; opt = torch.optim.SGD(p, lr=0.1); s = make(opt); r = []
    for _ in range(30): r.append(opt.param_groups[0]["lr"]); opt.step(); s.step()
    return r
put("lr_step", rates(lambda o: torch.optim.lr_scheduler.StepLR(o, 7, 0.5)))
put("lr_multistep", rates(lambda o: torch.optim.lr_scheduler.MultiStepLR(o, [5, 12, 20], 0.1)))
put("lr_cosine", rates(lambda o: torch.optim.lr_scheduler.CosineAnnealingLR(o, 30, 0.001)))
put("lr_onecycle", rates(lambda o: torch.optim.lr_scheduler.OneCycleLR(o, max_lr=0.5, total_steps=30, pct_start=0.3)))
with open("reference.json", "w") as f: json.dump(out, f, separators=(",", ":"))
print("written", len(out))
