"""Reference values of the distillation loss terms, computed with the formulas of the
official implementations (DKD: megvii-research/mdistiller; AT, SP, RKD, PKT, FitNets, VID,
NST, CC, FSP, AB, FT: HobbitLong/RepDistiller's distiller_zoo; CC's RBF form as the paper writes it) in PyTorch on fixed inputs. Run: python3 make_fixtures.py (torch).
The tests never run Python."""
import json, math
import torch, torch.nn.functional as F
torch.manual_seed(0)
out = {}
def put(name, t):
    t = torch.as_tensor(t, dtype=torch.float64).detach()
    out[name] = {"shape": list(t.shape), "data": [float(v) for v in t.reshape(-1)]}

s = torch.randn(6, 5) * 2; t = torch.randn(6, 5) * 3; y = torch.tensor([0, 3, 1, 4, 2, 3])
put("student_logits", s); put("teacher_logits", t); put("labels", y)
T = 4.0
put("kd", F.kl_div(F.log_softmax(s / T, 1), F.softmax(t / T, 1), reduction="batchmean") * T * T)

def dkd_loss(logits_student, logits_teacher, target, alpha, beta, temperature):
    gt_mask = torch.zeros_like(logits_student).scatter_(1, target.unsqueeze(1), 1).bool()
    other_mask = torch.ones_like(logits_student).scatter_(1, target.unsqueeze(1), 0).bool()
    def cat_mask(t, mask1, mask2):
        t1 = (t * mask1).sum(dim=1, keepdims=True); t2 = (t * mask2).sum(1, keepdims=True)
        return torch.cat([t1, t2], dim=1)
    pred_student = cat_mask(F.softmax(logits_student / temperature, dim=1), gt_mask, other_mask)
    pred_teacher = cat_mask(F.softmax(logits_teacher / temperature, dim=1), gt_mask, other_mask)
    tckd = F.kl_div(torch.log(pred_student), pred_teacher, reduction="sum") * temperature ** 2 / target.shape[0]
    pred_teacher_part2 = F.softmax(logits_teacher / temperature - 1000.0 * gt_mask, dim=1)
    log_pred_student_part2 = F.log_softmax(logits_student / temperature - 1000.0 * gt_mask, dim=1)
    nckd = F.kl_div(log_pred_student_part2, pred_teacher_part2, reduction="sum") * temperature ** 2 / target.shape[0]
    return alpha * tckd + beta * nckd
put("dkd_a1_b8_T4", dkd_loss(s, t, y, 1.0, 8.0, 4.0))

fs = torch.randn(6, 4, 3, 3); ft = torch.randn(6, 8, 3, 3)
put("feature_student", fs); put("feature_teacher", ft)
at = lambda x: F.normalize(x.pow(2).mean(1).view(x.size(0), -1))
put("at", (at(fs) - at(ft)).pow(2).mean())
def sp(f_s, f_t):
    b = f_s.shape[0]; G_s = F.normalize(f_s.view(b, -1) @ f_s.view(b, -1).t()); G_t = F.normalize(f_t.view(b, -1) @ f_t.view(b, -1).t())
    return ((G_t - G_s) ** 2).sum() / (b * b)
put("sp", sp(fs, ft))

es = torch.randn(6, 7); et = torch.randn(6, 5) * 2
put("embedding_student", es); put("embedding_teacher", et)
def pdist(e, eps=1e-12):
    sq = e.pow(2).sum(1); res = (sq.unsqueeze(1) + sq.unsqueeze(0) - 2 * e @ e.t()).clamp(min=eps).sqrt().clone()
    res[range(len(e)), range(len(e))] = 0; return res
def rkd(student, teacher, w_d=25, w_a=50):
    t_d = pdist(teacher); t_d = t_d / t_d[t_d > 0].mean(); d = pdist(student); d = d / d[d > 0].mean()
    loss_d = F.smooth_l1_loss(d, t_d)
    td = teacher.unsqueeze(0) - teacher.unsqueeze(1); nt = F.normalize(td, p=2, dim=2); t_angle = torch.bmm(nt, nt.transpose(1, 2)).view(-1)
    sd = student.unsqueeze(0) - student.unsqueeze(1); ns = F.normalize(sd, p=2, dim=2); s_angle = torch.bmm(ns, ns.transpose(1, 2)).view(-1)
    return w_d * loss_d + w_a * F.smooth_l1_loss(s_angle, t_angle)
put("rkd", rkd(es, et))
def pkt(o, t, eps=1e-7):
    o = o / (o.pow(2).sum(1, keepdim=True).sqrt() + eps); t = t / (t.pow(2).sum(1, keepdim=True).sqrt() + eps)
    ms = (o @ o.t() + 1) / 2; ts = (t @ t.t() + 1) / 2
    ms = ms / ms.sum(1, keepdim=True); ts = ts / ts.sum(1, keepdim=True)
    return torch.mean(ts * torch.log((ts + eps) / (ms + eps)))
put("pkt", pkt(es, et))

# FitNets: a 1×1 convolution regressor with fixed weights, then MSE.
w = torch.randn(8, 4, 1, 1) * 0.5
put("fitnets_regressor", w); put("fitnets", F.mse_loss(F.conv2d(fs, w), ft))
# SSLD soft targets, Jensen–Shannon form at T = 2: (KL(p‖m) + KL(q‖m))/2 · T², m = (p+q)/2.
p_t, q_s = F.softmax(t / 2, 1), F.softmax(s / 2, 1); m = (p_t + q_s) / 2
put("ssld_js_T2", (F.kl_div(m.log(), p_t, reduction="batchmean") + F.kl_div(m.log(), q_s, reduction="batchmean")) / 2 * 4)
# VID (RepDistiller VIDLoss): three bias-free 1×1 convolutions 4 → 8 → 8 → 8, softplus
# variance initialised to 5, mean of ½((t − μ)²/σ² + log σ²).
v1 = torch.randn(8, 4, 1, 1) * 0.5; v2 = torch.randn(8, 8, 1, 1) * 0.5; v3 = torch.randn(8, 8, 1, 1) * 0.5
put("vid_w1", v1); put("vid_w2", v2); put("vid_w3", v3)
mu = F.conv2d(F.relu(F.conv2d(F.relu(F.conv2d(fs, v1)), v2)), v3)
log_scale = torch.full((8,), float(torch.log(torch.exp(torch.tensor(5.0 - 1e-5)) - 1.0)))
var = (torch.log(1 + torch.exp(log_scale)) + 1e-5).view(1, -1, 1, 1)
put("vid", torch.mean(0.5 * ((mu - ft) ** 2 / var + torch.log(var))))
# NST (RepDistiller NSTLoss with full_loss): the larger map adaptive-average-pooled to the
# smaller, channel maps L2-normalised over positions, MMD with the kernel (a·b)².
ns = torch.randn(6, 4, 4, 4); nt = torch.randn(6, 3, 2, 2)
put("nst_student", ns); put("nst_teacher", nt)
def nst(f_s, f_t):
    if f_s.shape[2] > f_t.shape[2]: f_s = F.adaptive_avg_pool2d(f_s, f_t.shape[2:])
    elif f_s.shape[2] < f_t.shape[2]: f_t = F.adaptive_avg_pool2d(f_t, f_s.shape[2:])
    f_s = F.normalize(f_s.flatten(2), dim=2); f_t = F.normalize(f_t.flatten(2), dim=2)
    kernel = lambda a, b: torch.einsum("nip,njp->nij", a, b).pow(2).mean()
    return kernel(f_t, f_t) + kernel(f_s, f_s) - 2 * kernel(f_s, f_t)
put("nst", nst(ns, nt)); put("nst_teacher_pooled", nst(nt, ns)); put("nst_same_size", nst(fs, ft))
# CC: linear embeddings (RepDistiller's LinearEmbed) of the embeddings above to 4 wide, then
# RepDistiller's Correlation, and the paper's Taylor-expanded RBF correlations (γ 0.4, P 2).
cc_ws = torch.randn(4, 7) * 0.5; cc_bs = torch.randn(4) * 0.1; cc_wt = torch.randn(4, 5) * 0.5; cc_bt = torch.randn(4) * 0.1
put("cc_student_weight", cc_ws); put("cc_student_bias", cc_bs); put("cc_teacher_weight", cc_wt); put("cc_teacher_bias", cc_bt)
e_s = es @ cc_ws.t() + cc_bs; e_t = et @ cc_wt.t() + cc_bt
delta = (e_s - e_t).abs()
put("cc", (delta[:-1] * delta[1:]).sum(1).mean())
def rbf_correlations(e, gamma=0.4, order=2):
    sim = F.normalize(e) @ F.normalize(e).t()
    return sum(math.exp(-2 * gamma) * (2 * gamma) ** p / math.factorial(p) * sim.pow(p) for p in range(order + 1))
put("cc_rbf", F.mse_loss(rbf_correlations(e_s), rbf_correlations(e_t)))
# FSP (RepDistiller FSP.compute_fsp and compute_loss): Gram matrices of consecutive layers
# over positions (the larger map pooled to the smaller), mean squared difference, summed.
fsp_s = [torch.randn(6, 4, 4, 4), torch.randn(6, 3, 2, 2), torch.randn(6, 5, 2, 2)]
fsp_t = [torch.randn(6, 4, 4, 4), torch.randn(6, 3, 2, 2), torch.randn(6, 5, 2, 2)]
for i in range(3): put(f"fsp_student_{i}", fsp_s[i]); put(f"fsp_teacher_{i}", fsp_t[i])
def fsp_matrices(g):
    out = []
    for bot, top in zip(g, g[1:]):
        if bot.shape[2] > top.shape[2]: bot = F.adaptive_avg_pool2d(bot, top.shape[2:])
        elif bot.shape[2] < top.shape[2]: top = F.adaptive_avg_pool2d(top, bot.shape[2:])
        out.append(torch.einsum("nip,njp->nij", bot.flatten(2), top.flatten(2)) / bot.shape[2] / bot.shape[3])
    return out
put("fsp", sum((s_ - t_).pow(2).mean() for s_, t_ in zip(fsp_matrices(fsp_s), fsp_matrices(fsp_t))))
# AB (RepDistiller ABLoss, criterion_alternative_l2, margin 1): where the signs disagree, the
# student's value past the margin, squared and summed; pairs weighted 2^(i-n+1); / bsz / 1000 * 3.
ab_s = [torch.randn(6, 4, 4, 4), torch.randn(6, 3, 2, 2), torch.randn(6, 5, 2, 2)]
ab_t = [torch.randn(6, 4, 4, 4), torch.randn(6, 3, 2, 2), torch.randn(6, 5, 2, 2)]
for i in range(3): put(f"ab_student_{i}", ab_s[i]); put(f"ab_teacher_{i}", ab_t[i])
def ab(g_s, g_t, margin=1.0):
    total, n, bsz = 0, len(g_s), g_s[0].shape[0]
    for i, (a, b) in enumerate(zip(g_s, g_t)):
        pair = ((a + margin) ** 2 * ((a > -margin) & (b <= 0)).float() + (a - margin) ** 2 * ((a <= margin) & (b > 0)).float()).abs().sum()
        total = total + 2 ** (i - n + 1) * pair / bsz / 1000 * 3
    return total
put("ab", ab(ab_s, ab_t)); put("ab_margin_half", ab(ab_s, ab_t, margin=0.5))
# FT (RepDistiller FactorTransfer, p1 = 2, p2 = 1): factors normalize(mean_c f^2) of the
# translated student map and the paraphrased teacher map (here the maps themselves), the
# larger pooled to the smaller, L1 mean.
ft_s = torch.randn(6, 4, 4, 4); ft_t = torch.randn(6, 6, 2, 2)
put("ft_student", ft_s); put("ft_teacher", ft_t)
def ft_factor(f): return F.normalize(f.pow(2).mean(1).view(f.size(0), -1))
def ft_loss(f_s, f_t):
    if f_s.shape[2] > f_t.shape[2]: f_s = F.adaptive_avg_pool2d(f_s, f_t.shape[2:])
    elif f_s.shape[2] < f_t.shape[2]: f_t = F.adaptive_avg_pool2d(f_t, f_s.shape[2:])
    return (ft_factor(f_s) - ft_factor(f_t)).abs().mean()
put("ft", ft_loss(ft_s, ft_t)); put("ft_teacher_pooled", ft_loss(ft_t, ft_s))
with open("reference.json", "w") as f: json.dump(out, f, separators=(",", ":"))
print("written", len(out))
