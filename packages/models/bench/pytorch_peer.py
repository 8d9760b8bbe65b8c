"""The PyTorch peer of bench/models.ts: the same training steps, written the way the original code (HUSAI's SAE,
openai/sparse_autoencoder's TopK SAE with AuxK) and TransformerLens write them, dense, timed the same way (median of
N steps after a warm-up). bench/models.ts runs this beside its own steps and prints the ratio.

Needs Debian's PyTorch: apt-get install python3-torch libopenblas0-pthread (run with /usr/bin/python3).
Its fastest setting on the 2-core machines: 2 torch threads, OPENBLAS_NUM_THREADS=1 (models.ts sets both).

Usage: python3 pytorch_peer.py [THREADS]: a server on stdin/stdout, so that models.ts can interleave rounds
of its own steps with rounds of these in one run (the machines drift by tens of percent within minutes).
Each request line "run <sae|sae_openai|transformer> <steps> <warmup>" answers "TIMES <name> <ms> <ms> ..." (one per
timed step); the first request for a step builds it.
"""
import math
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


class HusaiTopKSAE(nn.Module):
    """HUSAI's TopK SAE: Linear encoder with bias, bias-free decoder, top-k of raw pre-activations."""

    def __init__(self, d_in=128, d_sae=1024, k=32):
        super().__init__()
        self.k = k
        self.encoder = nn.Linear(d_in, d_sae)
        nn.init.kaiming_uniform_(self.encoder.weight)
        nn.init.zeros_(self.encoder.bias)
        self.decoder = nn.Linear(d_sae, d_in, bias=False)
        nn.init.kaiming_uniform_(self.decoder.weight)
        self.normalize_decoder()

    @torch.no_grad()
    def normalize_decoder(self):
        w = self.decoder.weight  # [d_in, d_sae]: one column per latent
        w /= w.norm(dim=0, keepdim=True)

    def forward(self, x):
        pre = self.encoder(x)  # (B, d_sae)
        vals, idx = pre.topk(self.k, dim=-1)
        z = torch.zeros_like(pre).scatter(-1, idx, vals)
        x_hat = self.decoder(z)
        mse = F.mse_loss(x_hat, x)
        err = ((x - x_hat) ** 2).sum(-1, keepdim=True)  # (B, 1)
        mask = torch.zeros_like(pre).scatter(-1, idx, 1.0)
        aux = (err * pre.abs() * (1 - mask)).topk(self.k, dim=-1).values.sum(-1).mean() / self.k
        return mse + aux, idx


def sae_step():
    torch.manual_seed(42)
    sae = HusaiTopKSAE()
    opt = torch.optim.Adam(sae.parameters(), lr=3e-4)
    x = torch.randn(256, 128)
    firings = torch.zeros(1024)

    def step():
        opt.zero_grad()
        loss, idx = sae(x)
        loss.item()
        loss.backward()
        opt.step()
        sae.normalize_decoder()
        firings.add_(torch.bincount(idx.flatten(), minlength=1024))

    return step


class OpenaiTopKSAE(nn.Module):
    """Gao et al.'s TopK SAE as openai/sparse_autoencoder writes it: a pre-encoder bias (b_dec), encoder weight tied
    to the decoder's at init, ReLU(top-k), unit-norm decoder columns whose gradient loses its parallel component,
    AuxK: the top-64 dead latents (unfired for 10,000 samples) reconstruct the residual, loss / data variance."""

    def __init__(self, d_in=128, d_sae=1024, k=32, aux_k=64, dead_after=10_000):
        super().__init__()
        self.k, self.aux_k, self.dead_after = k, aux_k, dead_after
        self.pre_bias = nn.Parameter(torch.zeros(d_in))
        self.latent_bias = nn.Parameter(torch.zeros(d_sae))
        self.encoder = nn.Linear(d_in, d_sae, bias=False)
        self.decoder = nn.Linear(d_sae, d_in, bias=False)
        nn.init.kaiming_uniform_(self.decoder.weight)
        self.normalize_decoder()
        self.encoder.weight.data = self.decoder.weight.data.T.clone()
        self.register_buffer('since_fired', torch.zeros(d_sae, dtype=torch.long))

    @torch.no_grad()
    def normalize_decoder(self):
        w = self.decoder.weight  # [d_in, d_sae]: one column per latent
        w /= w.norm(dim=0, keepdim=True)

    @torch.no_grad()
    def remove_parallel_grad(self):
        w, g = self.decoder.weight, self.decoder.weight.grad
        g -= (g * w).sum(0, keepdim=True) * w

    def forward(self, x, variance):
        pre = self.encoder(x - self.pre_bias) + self.latent_bias  # (B, d_sae)
        vals, idx = pre.topk(self.k, dim=-1)
        z = torch.zeros_like(pre).scatter(-1, idx, F.relu(vals))
        x_hat = self.decoder(z) + self.pre_bias
        loss = F.mse_loss(x_hat, x) / variance
        with torch.no_grad():
            fired = torch.zeros(pre.shape[1], dtype=torch.bool)
            fired = fired.scatter(0, idx.flatten(), z.gather(-1, idx).flatten() > 0)
            self.since_fired += x.shape[0]
            self.since_fired[fired] = 0
        dead = self.since_fired >= self.dead_after
        n_dead = int(dead.sum())
        if n_dead > 0:
            e = (x - x_hat).detach()
            aux_vals, aux_idx = pre.masked_fill(~dead, float('-inf')).topk(min(self.aux_k, n_dead), dim=-1)
            e_hat = self.decoder(torch.zeros_like(pre).scatter(-1, aux_idx, F.relu(aux_vals)))
            scale = ((e - e.mean(0, keepdim=True)) ** 2).mean()
            loss = loss + F.mse_loss(e_hat, e) / scale / 32
        return loss


def sae_openai_step():
    torch.manual_seed(42)
    sae = OpenaiTopKSAE()
    opt = torch.optim.Adam(sae.parameters(), lr=3e-4)
    x = torch.randn(256, 128)
    variance = float(((x - x.mean(0)) ** 2).sum(-1).mean())

    def step():
        opt.zero_grad()
        loss = sae(x, variance)
        loss.item()
        loss.backward()
        sae.remove_parallel_grad()
        opt.step()
        sae.normalize_decoder()

    return step


class Block(nn.Module):
    """Pre-LayerNorm block: causal multi-head attention and a GELU MLP, each added to the residual stream."""

    def __init__(self, d_model=128, n_heads=4, d_head=32, d_mlp=512):
        super().__init__()
        self.n_heads, self.d_head = n_heads, d_head
        self.ln1, self.ln2 = nn.LayerNorm(d_model), nn.LayerNorm(d_model)
        self.qkv = nn.Linear(d_model, 3 * n_heads * d_head)
        self.out = nn.Linear(n_heads * d_head, d_model)
        self.mlp_in, self.mlp_out = nn.Linear(d_model, d_mlp), nn.Linear(d_mlp, d_model)

    def forward(self, x):
        B, T, _ = x.shape
        q, k, v = self.qkv(self.ln1(x)).split(self.n_heads * self.d_head, dim=-1)
        q, k, v = (t.view(B, T, self.n_heads, self.d_head).transpose(1, 2) for t in (q, k, v))  # (B, nh, T, hs)
        att = (q @ k.transpose(-2, -1)) / math.sqrt(self.d_head)  # (B, nh, T, T)
        causal = torch.ones(T, T, dtype=torch.bool).tril()
        att = att.masked_fill(~causal, float('-inf')).softmax(-1)
        x = x + self.out((att @ v).transpose(1, 2).reshape(B, T, -1))
        return x + self.mlp_out(F.gelu(self.mlp_in(self.ln2(x))))


class Transformer(nn.Module):
    def __init__(self, d_vocab=22, n_ctx=21, d_model=128, n_layers=2):
        super().__init__()
        self.embed, self.pos = nn.Embedding(d_vocab, d_model), nn.Embedding(n_ctx, d_model)
        self.blocks = nn.ModuleList(Block(d_model) for _ in range(n_layers))
        self.ln_final, self.unembed = nn.LayerNorm(d_model), nn.Linear(d_model, d_vocab)
        for p in self.parameters():
            if p.dim() > 1:
                nn.init.normal_(p, std=0.8 / math.sqrt(d_model))

    def forward(self, tokens):
        x = self.embed(tokens) + self.pos(torch.arange(tokens.shape[1]))
        for block in self.blocks:
            x = block(x)
        return self.unembed(self.ln_final(x))


def transformer_step():
    torch.manual_seed(0)
    model = Transformer()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    tokens = torch.randint(22, (256, 21))
    targets = torch.randint(20, (256, 10))

    def step():
        opt.zero_grad()
        logits = model(tokens)[:, 11:21]  # loss on positions 11..20
        loss = F.cross_entropy(logits.reshape(-1, 22), targets.reshape(-1))
        loss.item()
        loss.backward()
        opt.step()

    return step


def step_times(step, steps, warmup):
    for _ in range(warmup):
        step()
    ms = []
    for _ in range(steps):
        t0 = time.perf_counter()
        step()
        ms.append((time.perf_counter() - t0) * 1000)
    return ms


if __name__ == '__main__':
    torch.set_num_threads(int(sys.argv[1]) if len(sys.argv) > 1 else 2)
    makers = {'sae': sae_step, 'sae_openai': sae_openai_step, 'transformer': transformer_step}
    built = {}
    for line in sys.stdin:
        verb, name, steps, warmup = line.split()
        if verb != 'run' or name not in makers:
            sys.exit(f'pytorch_peer: cannot answer {line.strip()!r}')
        if name not in built:
            built[name] = makers[name]()
        times = step_times(built[name], int(steps), int(warmup))
        print('TIMES', name, ' '.join(f'{t:.4f}' for t in times), flush=True)
