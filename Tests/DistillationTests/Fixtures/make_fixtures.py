"""Reference values of the distillation loss terms, computed with the formulas of the
official implementations (DKD: megvii-research/mdistiller; AT, SP, RKD, PKT, FitNets:
HobbitLong/RepDistiller) in PyTorch on fixed inputs. Run: python3 make_fixtures.py (torch).
The tests never run Python."""
import json
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
with open("reference.json", "w") as f: json.dump(out, f, separators=(",", ":"))
print("written", len(out))
