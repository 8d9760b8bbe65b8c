#!/usr/bin/env python3
"""Checks that our SAE files mean to a SAELens user what they mean to us (numpy only).

For each SAE in a fixture folder (written by test/sae-saelens.test.ts), reads <name>.safetensors and
<name>.cfg.json, checks the state dict has exactly the tensors SAELens's class for cfg.json's `architecture`
loads (strictly), recomputes x_hat from the inputs with SAELens's formulas (sae_lens/saes/*.py, v6) and
compares it with the x_hat our TypeScript wrote into inputs.safetensors. Prints one JSON line; exits 1 on a
mismatch.

    /usr/bin/python3 packages/models/scripts/check_saelens.py <fixture folder>
"""
import json
import struct
import sys
from pathlib import Path

import numpy as np

DTYPES = {"F32": np.float32, "F64": np.float64, "I32": np.int32, "I64": np.int64}

# The tensors each SAELens inference class holds (load_state_dict is strict, so no more and no fewer).
STATE = {
    "standard": {"W_enc", "b_enc", "W_dec", "b_dec"},
    "topk": {"W_enc", "b_enc", "W_dec", "b_dec"},
    "gated": {"W_enc", "b_gate", "r_mag", "b_mag", "W_dec", "b_dec"},
    "jumprelu": {"W_enc", "b_enc", "W_dec", "b_dec", "threshold"},
}


def read_safetensors(path):
    """A safetensors file as {name: array}: an 8-byte little-endian header length, a JSON header, the data."""
    raw = Path(path).read_bytes()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n])
    out = {}
    for name, spec in header.items():
        if name == "__metadata__":
            continue
        start, end = spec["data_offsets"]
        data = np.frombuffer(raw[8 + n + start:8 + n + end], dtype=DTYPES[spec["dtype"]])
        out[name] = data.reshape(spec["shape"]).astype(np.float64)
    return out


def relu(a):
    return np.maximum(a, 0)


def encode(cfg, t, x):
    """SAELens's encode for cfg['architecture'] (sae_lens/saes/<architecture>_sae.py)."""
    arch = cfg["architecture"]
    sae_in = x - t["b_dec"] * float(cfg.get("apply_b_dec_to_input", True))  # process_sae_in
    if arch == "standard":
        return relu(sae_in @ t["W_enc"] + t["b_enc"])
    if arch == "gated":
        active = (sae_in @ t["W_enc"] + t["b_gate"] > 0).astype(np.float64)
        return active * relu(sae_in @ (t["W_enc"] * np.exp(t["r_mag"])) + t["b_mag"])
    if arch == "jumprelu":
        hidden = sae_in @ t["W_enc"] + t["b_enc"]
        return relu(hidden) * (hidden > t["threshold"])
    if arch == "topk":  # the k largest pre-activations, ReLU'd
        hidden = sae_in @ t["W_enc"] + t["b_enc"]
        k = int(cfg["k"])
        keep = np.argsort(-hidden, axis=-1, kind="stable")[:, :k]
        f = np.zeros_like(hidden)
        np.put_along_axis(f, keep, relu(np.take_along_axis(hidden, keep, axis=-1)), axis=-1)
        return f
    raise ValueError(f"no SAELens inference architecture '{arch}'")


def check(folder):
    folder = Path(folder)
    manifest = json.loads((folder / "manifest.json").read_text())
    inputs = read_safetensors(folder / "inputs.safetensors")
    x = inputs["x"]
    results, ok = {}, True
    for name in manifest["saes"]:
        cfg = json.loads((folder / f"{name}.cfg.json").read_text())
        t = read_safetensors(folder / f"{name}.safetensors")
        arch = cfg["architecture"]
        problems = []
        if set(t) != STATE.get(arch, set()):
            problems.append(f"tensors {sorted(t)} are not SAELens's {sorted(STATE.get(arch, set()))}")
        d_in, d_sae = cfg["d_in"], cfg["d_sae"]
        if t["W_enc"].shape != (d_in, d_sae) or t["W_dec"].shape != (d_sae, d_in):
            problems.append(f"W_enc {t['W_enc'].shape} / W_dec {t['W_dec'].shape} do not fit d_in, d_sae")
        diff = float("inf")
        if not problems:
            x_hat = encode(cfg, t, x) @ t["W_dec"] + t["b_dec"]
            diff = float(np.max(np.abs(x_hat - inputs[f"x_hat.{name}"])))
            if not diff <= manifest["tolerance"]:
                problems.append(f"x_hat differs by {diff:.3g} > {manifest['tolerance']}")
        ok = ok and not problems
        results[name] = {"architecture": arch, "max_abs_diff": diff, "problems": problems}
    print(json.dumps({"ok": ok, "samples": int(x.shape[0]), "results": results}))
    return ok


if __name__ == "__main__":
    sys.exit(0 if check(sys.argv[1]) else 1)
