"""Generates tests/kat/rope_hf_kat.rs: the float32 RoPE tensors of Hugging Face
transformers, for tests/rope_hf_kat.rs. Run offline once; the output is
committed and CI does not need torch.

Produced with torch 2.15.0 (CPU, x86_64, AMD EPYC with AVX-512) and
transformers 5.24.0 by

    /tmp/venv/bin/pip install torch transformers numpy
    /tmp/venv/bin/python tests/kat/gen_rope_hf.py > tests/kat/rope_hf_kat.rs
    /tmp/venv/bin/python tests/kat/gen_rope_hf.py --errors   # README's f32-angle error table

It drives the real model classes (`LlamaRotaryEmbedding`; `PhiRotaryEmbedding`
for partial rotary), so `inv_freq` comes from `ROPE_INIT_FUNCTIONS` (or the
model's default) and cos/sin from the module's `forward` (with
`dynamic_rope_update`, i.e. dynamic NTK and LongRoPE re-initialise from
`max(position_ids) + 1`).

Torch's CPU result depends on the kernel set ATen dispatches to: with
`ATEN_CPU_CAPABILITY=default` elementwise `pow`/`sin`/`cos` call the C library
(glibc) per element; with `avx2`/`avx512` they call SLEEF's vectorised
`powf`/`sinf`/`cosf` (u10: error <= 1 ulp, not correctly rounded). The script
runs itself once per capability: `SCALAR` holds the `default` kernels' data in
full, `SIMD_DIFFS` the values where the `avx512` kernels differ (on this
machine `avx2` gives the same bits).
"""
import os
import subprocess
import sys

CAPS = [("SCALAR", "default"), ("SIMD", "avx512")]
POSITIONS = [0, 1, 7, 4095, 131071, 1_000_000]


def longrope_factors():
    # Phi-3 style: short factors near 1, long factors growing to ~60 (48 pairs).
    short = [round(1.0 + 0.002 * j + 0.0001 * j * j, 4) for j in range(48)]
    long = [round(1.0 + 59.0 * (j / 47.0) ** 3, 4) for j in range(48)]
    return short, long


def configs():
    short, long = longrope_factors()
    y = {"rope_type": "yarn", "rope_theta": 10000.0, "factor": 4.0, "original_max_position_embeddings": 4096}
    return [
        # name, model, head_dim, max_position_embeddings, rope_parameters, positions
        ("default", "llama", 128, 4096, {"rope_type": "default", "rope_theta": 10000.0}, POSITIONS),
        ("default_theta_1e6", "llama", 128, 32768, {"rope_type": "default", "rope_theta": 1e6}, POSITIONS),
        ("linear", "llama", 128, 4096, {"rope_type": "linear", "rope_theta": 10000.0, "factor": 4.0}, POSITIONS),
        ("dynamic", "llama", 128, 4096, {"rope_type": "dynamic", "rope_theta": 10000.0, "factor": 2.0}, POSITIONS),
        # seq_len 15_739_346: glibc's powf (torch's scalar kernel) is not correctly rounded at j = 24.
        ("dynamic_long", "llama", 128, 4096, {"rope_type": "dynamic", "rope_theta": 10000.0, "factor": 2.0},
         POSITIONS[:-1] + [15_739_345]),
        ("yarn", "llama", 128, 16384, dict(y), POSITIONS),
        ("yarn_no_truncate", "llama", 128, 16384, dict(y, truncate=False), POSITIONS),
        ("yarn_mscale", "llama", 128, 16384, dict(y, mscale=1.0, mscale_all_dim=0.707), POSITIONS),
        ("longrope_short", "llama", 96, 131072,
         {"rope_type": "longrope", "rope_theta": 10000.0, "short_factor": short, "long_factor": long,
          "original_max_position_embeddings": 4096}, [0, 1, 7, 4095]),
        ("longrope_long", "llama", 96, 131072,
         {"rope_type": "longrope", "rope_theta": 10000.0, "short_factor": short, "long_factor": long,
          "original_max_position_embeddings": 4096}, POSITIONS),
        ("llama3", "llama", 128, 131072,
         {"rope_type": "llama3", "rope_theta": 500000.0, "factor": 8.0, "low_freq_factor": 1.0,
          "high_freq_factor": 4.0, "original_max_position_embeddings": 8192}, POSITIONS),
        # Not a released model: a non-power-of-two original context, so HF's `old_context_len / wavelen`
        # (a reciprocal times a scalar in torch) is not an exact scaling.
        ("llama3_orig_6000", "llama", 128, 131072,
         {"rope_type": "llama3", "rope_theta": 500000.0, "factor": 32.0, "low_freq_factor": 1.0,
          "high_freq_factor": 4.0, "original_max_position_embeddings": 6000}, POSITIONS),
        ("partial", "phi", 128, 4096,
         {"rope_type": "default", "rope_theta": 10000.0, "partial_rotary_factor": 0.5}, POSITIONS),
    ]


def bits(t):
    import torch
    return [int(v) & 0xFFFFFFFF for v in t.contiguous().view(torch.int32).tolist()]


def run_one():
    """Prints one Python literal: per config (inv_freq bits, attention f32 bits, cos bits, sin bits)."""
    import torch
    from transformers import LlamaConfig, PhiConfig
    from transformers.models.llama.modeling_llama import LlamaRotaryEmbedding
    from transformers.models.phi.modeling_phi import PhiRotaryEmbedding

    out = []
    for name, model, head_dim, max_pos, params, positions in configs():
        if model == "llama":
            cfg = LlamaConfig(hidden_size=head_dim * 4, num_attention_heads=4, head_dim=head_dim,
                              max_position_embeddings=max_pos, rope_parameters=dict(params))
            emb = LlamaRotaryEmbedding(cfg)
        else:
            cfg = PhiConfig(hidden_size=head_dim * 4, num_attention_heads=4,
                            max_position_embeddings=max_pos, rope_parameters=dict(params))
            emb = PhiRotaryEmbedding(cfg)
        pos = torch.tensor([positions], dtype=torch.int64)
        x = torch.zeros(1, dtype=torch.float32)
        cos, sin = emb(x, pos)  # forward updates inv_freq for dynamic / longrope first
        inv = emb.inv_freq
        h = inv.shape[0]
        dims = [0, h // 4, h // 2, h - 1]
        att = torch.tensor(emb.attention_scaling, dtype=torch.float32)
        out.append((name, h, dims, positions, bits(inv), bits(att.reshape(1))[0],
                    [bits(cos[0, i, dims]) for i in range(len(positions))],
                    [bits(sin[0, i, dims]) for i in range(len(positions))]))
    print(repr(out))


def hexs(v):
    return ", ".join(f"0x{b:08x}" for b in v)


def main():
    import torch
    import transformers
    runs = {}
    for label, cap in CAPS:
        env = dict(os.environ, ATEN_CPU_CAPABILITY=cap)
        r = subprocess.run([sys.executable, __file__, "--one"], env=env, check=True,
                           capture_output=True, text=True)
        runs[label] = eval(r.stdout)
    short, long = longrope_factors()
    o = [f"// Generated by tests/kat/gen_rope_hf.py from torch {torch.__version__} and transformers "
         f"{transformers.__version__} (CPU). Do not edit.", ""]
    o.append("/// Phi-3 style LongRoPE factors the `longrope_*` entries use (as HF's f32 tensor).")
    o.append(f"pub const LONGROPE_SHORT: [f32; 48] = [{', '.join(repr(float(v)) for v in short)}];")
    o.append(f"pub const LONGROPE_LONG: [f32; 48] = [{', '.join(repr(float(v)) for v in long)}];")
    o.append("")
    o.append("/// `ATEN_CPU_CAPABILITY=default` (the C library's `powf`/`sinf`/`cosf` per element).")
    o.append("pub const SCALAR: &[Kat] = &[")
    for name, h, dims, positions, inv, att, cos, sin in runs["SCALAR"]:
        o.append("    Kat {")
        o.append(f'        name: "{name}",')
        o.append(f"        positions: &{positions!r},".replace("1000000", "1_000_000").replace("15739345", "15_739_345"))
        o.append(f"        dims: &{dims!r},")
        o.append(f"        inv_freq: &[{hexs(inv)}],")
        o.append(f"        attention: 0x{att:08x},")
        o.append(f"        cos: &[{', '.join('[' + hexs(c) + ']' for c in cos)}],")
        o.append(f"        sin: &[{', '.join('[' + hexs(s) + ']' for s in sin)}],")
        o.append("    },")
    o.append("];")
    # The SIMD run as its differences from the scalar one (few: keeps the file small).
    diffs = []
    for a, b in zip(runs["SCALAR"], runs["SIMD"]):
        name = a[0]
        assert a[5] == b[5], name  # attention factor: Python float, capability-independent
        diffs += [(name, "InvFreq", j, 0, y) for j, (x, y) in enumerate(zip(a[4], b[4])) if x != y]
        for what, k in (("Cos", 6), ("Sin", 7)):
            diffs += [(name, what, i, d, y) for i, (ra, rb) in enumerate(zip(a[k], b[k]))
                      for d, (x, y) in enumerate(zip(ra, rb)) if x != y]
    o.append("")
    o.append("/// `ATEN_CPU_CAPABILITY=avx512` (SLEEF's vectorised u10 `powf`/`sinf`/`cosf`): the values that differ")
    o.append("/// from [`SCALAR`], as `(config, tensor, index, dim index, bits)`; `index` is `j` for `inv_freq`,")
    o.append("/// the position index for cos/sin.")
    o.append("pub const SIMD_DIFFS: &[(&str, Tensor, usize, usize, u32)] = &[")
    for name, what, i, d, y in diffs:
        o.append(f'    ("{name}", Tensor::{what}, {i}, {d}, 0x{y:08x}),')
    o.append("];")
    print("\n".join(o))


def errors():
    """Prints the error of torch's float32 cos/sin (what `LlamaRotaryEmbedding`
    returns) against the exact cos/sin of p·ω (ω in f64 from the config, the
    angle and cos/sin in f64: their own error is < 1e-9 here), max over j."""
    import math
    import torch
    from transformers import LlamaConfig
    from transformers.models.llama.modeling_llama import LlamaRotaryEmbedding

    def omega_llama3(w):
        lam = 2 * math.pi / w
        if lam < 8192 / 4:
            return w
        if lam > 8192 / 1:
            return w / 8
        sm = (8192 / lam - 1) / (4 - 1)
        return (1 - sm) * w / 8 + sm * w

    models = [
        ("LLaMA 2 (θ 1e4)", 10000.0, {"rope_type": "default", "rope_theta": 10000.0}, lambda w: w),
        ("LLaMA 3 (θ 5e5)", 500000.0, {"rope_type": "default", "rope_theta": 500000.0}, lambda w: w),
        ("LLaMA 3.1 (llama3)", 500000.0,
         {"rope_type": "llama3", "rope_theta": 500000.0, "factor": 8.0, "low_freq_factor": 1.0,
          "high_freq_factor": 4.0, "original_max_position_embeddings": 8192}, omega_llama3),
    ]
    positions = [4096, 131072, 1_000_000, 1_048_576, 16_777_216]
    print("| model | " + " | ".join(f"p = {p:_}" for p in positions) + " |")
    for label, base, params, scale in models:
        cfg = LlamaConfig(hidden_size=512, num_attention_heads=4, head_dim=128, max_position_embeddings=131072,
                          rope_parameters=params)
        cos, sin = LlamaRotaryEmbedding(cfg)(torch.zeros(1), torch.tensor([positions]))
        cells = []
        for i, p in enumerate(positions):
            err = 0.0
            for j in range(64):
                th = p * scale(base ** (-2 * j / 128))
                err = max(err, abs(cos[0, i, j].item() - math.cos(th)), abs(sin[0, i, j].item() - math.sin(th)))
            cells.append(f"{err:.1e}")
        print(f"| {label} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    if sys.argv[1:] == ["--one"]:
        run_one()
    elif sys.argv[1:] == ["--errors"]:
        errors()
    else:
        main()
