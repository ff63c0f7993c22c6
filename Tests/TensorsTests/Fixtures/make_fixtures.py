"""Writes reference.json: inputs and independently computed outputs (NumPy/SciPy, naive
loops for convolution and pooling) for the forward-value tests of the Tensors target.
Also the first values of the RandomGenerator streams, from a Python reimplementation of
SplitMix64 + xoshiro256**. Run: python3 make_fixtures.py (numpy, scipy). The tests never
run Python."""
import json, math
import numpy as np
from scipy.special import erf

rng = np.random.default_rng(0)
out = {}

def put(name, array):
    a = np.asarray(array, dtype=np.float64)
    out[name] = {"shape": list(a.shape), "data": [float(v) for v in a.reshape(-1)]}

def normal(*shape, scale=1.0):
    return (rng.standard_normal(shape) * scale).astype(np.float32).astype(np.float64)

# Elementwise
x = normal(3, 5, scale=1.5)
put("x", x)
pos = np.abs(x) + 0.1
put("pos", pos)
put("exp", np.exp(x)); put("log", np.log(pos)); put("log1p", np.log1p(pos)); put("sqrt", np.sqrt(pos))
put("rsqrt", 1 / np.sqrt(pos)); put("pow3", x ** 3); put("abs", np.abs(x)); put("sign", np.sign(x))
put("clamp", np.clip(x, -0.5, 0.7)); put("relu", np.maximum(x, 0)); put("leaky_relu", np.where(x > 0, x, 0.1 * x))
put("elu", np.where(x > 0, x, 1.3 * np.expm1(x))); put("gelu", 0.5 * x * (1 + erf(x / math.sqrt(2))))
put("gelu_tanh", 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x ** 3))))
put("silu", x / (1 + np.exp(-x))); put("sigmoid", 1 / (1 + np.exp(-x))); put("tanh", np.tanh(x))
put("softplus", np.log1p(np.exp(2 * x)) / 2); put("sin", np.sin(x)); put("cos", np.cos(x))
y = normal(5)
put("y", y)
put("x_plus_y", x + y); put("x_div_y", x / y); put("x_max_y", np.maximum(x, y)); put("pow_pos_y", pos ** y)

# Reductions on t [2, 3, 4]
t = normal(2, 3, 4)
put("t", t)
put("sum_0_2", t.sum(axis=(0, 2))); put("mean_1", t.mean(axis=1)); put("var_1", t.var(axis=1, ddof=1))
put("max_2", t.max(axis=2)); put("min_01", t.min(axis=(0, 1))); put("argmax_1", t.argmax(axis=1))
m = t.max(axis=2, keepdims=True); put("logsumexp_2", (np.log(np.exp(t - m).sum(axis=2, keepdims=True)) + m)[..., 0])
put("norm_l1_1", np.abs(t).sum(axis=1)); put("norm_l2_1", np.sqrt((t ** 2).sum(axis=1))); put("norm_inf_1", np.abs(t).max(axis=1))

def softmax(a, axis, T):
    z = a / T; z = z - z.max(axis=axis, keepdims=True); e = np.exp(z)
    return e / e.sum(axis=axis, keepdims=True)
put("softmax_1_T2", softmax(t, 1, 2.0)); put("log_softmax_last_T05", np.log(softmax(t, -1, 0.5)))

# Losses
logits = normal(5, 4, scale=2)
put("logits", logits)
labels = np.array([0, 3, 1, 2, -100]); put("labels", labels)
logp = np.log(softmax(logits, 1, 1.0))
eps = 0.1
per = [(1 - eps) * -logp[i, l] + eps * -logp[i].mean() for i, l in enumerate(labels) if l != -100]
put("ce_smooth_ignore_mean", np.mean(per))
put("ce_plain_sum", sum(-logp[i, l] for i, l in enumerate(labels[:4])))
q = softmax(normal(5, 4), 1, 1.0); q[0] = [0, 0, 1, 0]; put("soft_target", q)
put("soft_ce_mean", (-(q * logp).sum(axis=1)).mean())
kl = np.where(q > 0, q * (np.log(np.where(q > 0, q, 1)) - logp), 0)
put("kl_batchmean", kl.sum() / 5)
teacher = normal(5, 4, scale=3); put("teacher", teacher)
T = 4.0
ps = np.log(softmax(logits, 1, T)); pt = softmax(teacher, 1, T)
put("kd_T4_batchmean", (pt * (np.log(pt) - ps)).sum() / 5 * T * T)
# GKD's generalized JSD, as TRL's GKDTrainer.generalized_jsd_loss computes it (mixture in log space).
def log_softmax(a, T):
    z = a / T; m = z.max(axis=1, keepdims=True)
    return z - m - np.log(np.exp(z - m).sum(axis=1, keepdims=True))
def kl_log(log_target, log_input):  # F.kl_div(input, target, log_target=True)
    return np.exp(log_target) * (log_target - log_input)
for beta in [0.0, 0.1, 0.5, 1.0]:
    ls_, lt_ = log_softmax(logits, 2.0), log_softmax(teacher, 2.0)
    if beta == 0: jsd = kl_log(lt_, ls_)
    elif beta == 1: jsd = kl_log(ls_, lt_)
    else:
        mix = np.logaddexp(ls_ + np.log(1 - beta), lt_ + np.log(beta))
        jsd = beta * kl_log(lt_, mix) + (1 - beta) * kl_log(ls_, mix)
    put(f"gjsd_beta{beta}_T2", jsd.sum() / 5)
targets01 = rng.uniform(size=(5, 4)); put("targets01", targets01)
put("bce_mean", (np.maximum(logits, 0) - logits * targets01 + np.log1p(np.exp(-np.abs(logits)))).mean())
put("mse_mean", ((logits - teacher) ** 2).mean())
d = np.abs(logits - teacher); put("smooth_l1_beta2", np.where(d < 2, 0.5 * d * d / 2, d - 1).mean())
put("cosine_1", (logits * teacher).sum(1) / np.maximum(np.linalg.norm(logits, axis=1) * np.linalg.norm(teacher, axis=1), 1e-8))

# Matmul with broadcast batch axes and transposes
a = normal(2, 1, 3, 4); b = normal(3, 4, 5)
put("mm_a", a); put("mm_b", b); put("mm_ab", np.matmul(a, b))
put("mm_at_bt", np.matmul(np.swapaxes(normal_at := a.transpose(0, 1, 3, 2).copy(), -1, -2), np.swapaxes(normal_bt := b.transpose(0, 2, 1).copy(), -1, -2)))
put("mm_at", normal_at); put("mm_bt", normal_bt)

# Convolution (naive loops)
def conv2d(x, w, b, stride, pad, dil, groups):
    N, C, H, W = x.shape; O, Cg, KH, KW = w.shape
    OH = (H + 2 * pad[0] - dil[0] * (KH - 1) - 1) // stride[0] + 1
    OW = (W + 2 * pad[1] - dil[1] * (KW - 1) - 1) // stride[1] + 1
    y = np.zeros((N, O, OH, OW)); og = O // groups
    for n in range(N):
        for o in range(O):
            g = o // og
            for oy in range(OH):
                for ox in range(OW):
                    s = b[o] if b is not None else 0.0
                    for c in range(Cg):
                        for ky in range(KH):
                            for kx in range(KW):
                                iy = oy * stride[0] - pad[0] + ky * dil[0]; ix = ox * stride[1] - pad[1] + kx * dil[1]
                                if 0 <= iy < H and 0 <= ix < W:
                                    s += x[n, g * Cg + c, iy, ix] * w[o, c, ky, kx]
                    y[n, o, oy, ox] = s
    return y
cx = normal(2, 4, 7, 6); cw = normal(6, 2, 3, 3); cb = normal(6)
put("conv_x", cx); put("conv_w", cw); put("conv_b", cb)
put("conv2d_g2_s21_p12_d12", conv2d(cx, cw, cb, (2, 1), (1, 2), (1, 2), 2))
c1x = normal(2, 3, 9); c1w = normal(4, 3, 3)
put("conv1d_x", c1x); put("conv1d_w", c1w)
put("conv1d_s2_p1", conv2d(c1x[:, :, None, :], c1w[:, :, None, :], None, (1, 2), (0, 1), (1, 1), 1)[:, :, 0, :])

def conv_transpose2d(x, w, b, stride, pad, outpad, dil, groups):
    N, Cin, H, W = x.shape; _, Cog, KH, KW = w.shape; Cout = Cog * groups; cig = Cin // groups
    OH = (H - 1) * stride[0] - 2 * pad[0] + dil[0] * (KH - 1) + outpad[0] + 1
    OW = (W - 1) * stride[1] - 2 * pad[1] + dil[1] * (KW - 1) + outpad[1] + 1
    y = np.zeros((N, Cout, OH, OW))
    for n in range(N):
        for ci in range(Cin):
            g = ci // cig
            for iy in range(H):
                for ix in range(W):
                    for oc in range(Cog):
                        for ky in range(KH):
                            for kx in range(KW):
                                oy = iy * stride[0] - pad[0] + ky * dil[0]; ox = ix * stride[1] - pad[1] + kx * dil[1]
                                if 0 <= oy < OH and 0 <= ox < OW:
                                    y[n, g * Cog + oc, oy, ox] += x[n, ci, iy, ix] * w[ci, oc, ky, kx]
    return y + b[None, :, None, None]
tx = normal(2, 4, 3, 4); tw = normal(4, 3, 3, 2); tb = normal(6)
put("convt_x", tx); put("convt_w", tw); put("convt_b", tb)
put("conv_transpose2d_g2_s2_p10_op10", conv_transpose2d(tx, tw, tb, (2, 2), (1, 0), (1, 0), (1, 1), 2))

# Pooling
px = normal(2, 3, 7, 7); put("pool_x", px)
def pool(x, k, s, p, mode, include_pad=True):
    N, C, H, W = x.shape; OH = (H + 2 * p - k) // s + 1; OW = (W + 2 * p - k) // s + 1
    y = np.zeros((N, C, OH, OW))
    for oy in range(OH):
        for ox in range(OW):
            y0, x0 = oy * s - p, ox * s - p
            ys, ye, xs, xe = max(y0, 0), min(y0 + k, H), max(x0, 0), min(x0 + k, W)
            win = x[:, :, ys:ye, xs:xe]
            if mode == "max": y[:, :, oy, ox] = win.max(axis=(2, 3))
            else:
                div = (min(y0 + k, H + p) - y0) * (min(x0 + k, W + p) - x0) if include_pad else (ye - ys) * (xe - xs)
                y[:, :, oy, ox] = win.sum(axis=(2, 3)) / div
    return y
put("maxpool_k3_s2_p1", pool(px, 3, 2, 1, "max")); put("avgpool_k3_s2_p1", pool(px, 3, 2, 1, "avg"))
put("avgpool_k3_s2_p1_nopad", pool(px, 3, 2, 1, "avg", include_pad=False))
ax = normal(2, 3, 7, 5); put("adaptive_x", ax)
ay = np.zeros((2, 3, 3, 2))
for i in range(3):
    for j in range(2):
        ys, ye = (i * 7) // 3, -((-(i + 1) * 7) // 3); xs, xe = (j * 5) // 2, -((-(j + 1) * 5) // 2)
        ay[:, :, i, j] = ax[:, :, ys:ye, xs:xe].mean(axis=(2, 3))
put("adaptive_avg_3x2", ay)

# Upsampling
ux = normal(1, 2, 3, 4); put("up_x", ux)
put("up_nearest_5x7", ux[:, :, [min(i * 3 // 5, 2) for i in range(5)]][:, :, :, [min(j * 4 // 7, 3) for j in range(7)]])
def bilinear(x, oh, ow, align):
    N, C, H, W = x.shape; y = np.zeros((N, C, oh, ow))
    def src(o, inp, out):
        if align: return o * (inp - 1) / (out - 1) if out > 1 else 0.0
        return max((o + 0.5) * inp / out - 0.5, 0.0)
    for i in range(oh):
        sy = src(i, H, oh); y0 = min(int(sy), H - 1); y1 = min(y0 + 1, H - 1); fy = sy - y0
        for j in range(ow):
            sx = src(j, W, ow); x0 = min(int(sx), W - 1); x1 = min(x0 + 1, W - 1); fx = sx - x0
            y[:, :, i, j] = (x[:, :, y0, x0] * (1 - fy) * (1 - fx) + x[:, :, y0, x1] * (1 - fy) * fx
                             + x[:, :, y1, x0] * fy * (1 - fx) + x[:, :, y1, x1] * fy * fx)
    return y
put("up_bilinear_5x7", bilinear(ux, 5, 7, False)); put("up_bilinear_5x7_align", bilinear(ux, 5, 7, True))

# Normalization
bx = normal(4, 3, 2, 2, scale=2) + 1; bw = normal(3); bb = normal(3)
put("bn_x", bx); put("bn_w", bw); put("bn_b", bb)
mu = bx.mean(axis=(0, 2, 3)); var = bx.var(axis=(0, 2, 3))
put("bn_out", (bx - mu[None, :, None, None]) / np.sqrt(var[None, :, None, None] + 1e-5) * bw[None, :, None, None] + bb[None, :, None, None])
put("bn_mean", mu); put("bn_unbiased_var", bx.var(axis=(0, 2, 3), ddof=1))
lx = normal(2, 3, 4); lw = normal(3, 4); lb = normal(3, 4)
put("ln_x", lx); put("ln_w", lw); put("ln_b", lb)
lm = lx.mean(axis=(1, 2), keepdims=True); lv = lx.var(axis=(1, 2), keepdims=True)
put("ln_out", (lx - lm) / np.sqrt(lv + 1e-5) * lw + lb)
gx = normal(2, 4, 3, 3); gw = normal(4); gb = normal(4)
put("gn_x", gx); put("gn_w", gw); put("gn_b", gb)
gr = gx.reshape(2, 2, -1); gm = gr.mean(axis=2, keepdims=True); gv = gr.var(axis=2, keepdims=True)
put("gn_out", ((gr - gm) / np.sqrt(gv + 1e-5)).reshape(gx.shape) * gw[None, :, None, None] + gb[None, :, None, None])

# Shape and indexing
put("pad_reflect", np.pad(t, ((0, 0), (1, 2), (2, 1)), mode="reflect"))
put("pad_const", np.pad(t, ((0, 0), (0, 1), (2, 0)), constant_values=0.5))
put("repeat_2_1_3", np.tile(t, (2, 1, 3)))
put("permute_201", t.transpose(2, 0, 1))
put("slice_last_1_4_2", t[:, :, 1:4:2])
gi = rng.integers(0, 3, size=(2, 2, 4)); put("gather_idx", gi)
put("gather_1", np.take_along_axis(t, gi, axis=1))
sa = np.zeros((2, 3, 4)); src = normal(2, 2, 4)
np.add.at(sa, (np.arange(2)[:, None, None], gi, np.arange(4)[None, None, :]), src)
put("scatter_src", src); put("scatter_add_1", sa)
order = np.argsort(-t, axis=2, kind="stable")[:, :, :2]
put("topk2_values", np.take_along_axis(t, order, axis=2)); put("topk2_indices", order)

# Random streams
M = (1 << 64) - 1
def splitmix(state):
    state = (state + 0x9E3779B97F4A7C15) & M
    z = state
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M
    return state, z ^ (z >> 31)
class Xoshiro:
    def __init__(self, seed):
        self.s = []
        st = seed
        for _ in range(4):
            st, v = splitmix(st); self.s.append(v)
    def next(self):
        s = self.s
        rotl = lambda x, k: ((x << k) | (x >> (64 - k))) & M
        result = (rotl((s[1] * 5) & M, 7) * 9) & M
        t = (s[1] << 17) & M
        s[2] ^= s[0]; s[3] ^= s[1]; s[1] ^= s[2]; s[0] ^= s[3]; s[2] ^= t; s[3] = rotl(s[3], 45)
        return result
g = Xoshiro(42)
out["rng_seed42_u64"] = [str(g.next()) for _ in range(4)]
g = Xoshiro(42)
out["rng_seed42_uniform"] = [float(np.float32((g.next() >> 40) * 2.0 ** -24)) for _ in range(6)]
g = Xoshiro(7)
normals = []
for _ in range(6):
    u1 = ((g.next() >> 11) + 1) * 2.0 ** -53
    u2 = (g.next() >> 11) * 2.0 ** -53
    normals.append(float(np.float32(math.sqrt(-2 * math.log(u1)) * math.cos(2 * math.pi * u2))))
out["rng_seed7_normal"] = normals
g = Xoshiro(3)
perm = list(range(10))
for i in range(9, 0, -1):
    j = (g.next() * (i + 1)) >> 64
    perm[i], perm[j] = perm[j], perm[i]
out["rng_seed3_permutation10"] = perm

with open("reference.json", "w") as f:
    json.dump(out, f, separators=(",", ":"))
print(len(out), "fixtures")
