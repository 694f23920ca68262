"""MusicGen decoding speed: plain ``generate`` vs loopmill's optimised path, vs the floor.

Random-weight models with the real shapes of MusicGen small / medium / large (no
download: the arithmetic is the same as with trained weights), or ``tiny`` for a CPU
smoke run. For each size and batch (1, 4, 16 by default) it prints seconds of compute
per second of audio for

* ``plain``: ``model.generate`` as the transformers docs show it (fp32 on CPU, the
  model's dtype on GPU, default attention, dynamic KV cache);
* ``optimised``: bf16 (fp16 where bf16 is missing), SDPA attention and
  ``torch.compile`` of the decoder step with dynamic shapes (the table says which were
  used); batching is the other lever, shown by the batch rows;

and next to them the decoding floor: every step must read all decoder weights and
the KV cache once, at the GPU's memory bandwidth (``--bandwidth-gbs``; H100 SXM 3350,
H200 4800 by default from the device name). Targets (issue 5): optimised within 3x of
the floor at batch 1, and >= 5x faster than plain.

Usage::

    python benchmarks/musicgen_bench.py --sizes tiny --seconds 2          # CPU smoke
    python benchmarks/musicgen_bench.py --sizes small,medium,large        # on a GPU
"""

from __future__ import annotations

import argparse
import time
from typing import Any

FRAME_RATE = 50  # decoder steps per second of audio (EnCodec 32 kHz, hop 640)
SHAPES: dict[str, dict[str, int]] = {  # decoder shapes of Meta's checkpoints
    "tiny": {"hidden_size": 64, "num_hidden_layers": 2, "num_attention_heads": 4,
             "ffn_dim": 256, "vocab_size": 2048},
    "small": {"hidden_size": 1024, "num_hidden_layers": 24, "num_attention_heads": 16,
              "ffn_dim": 4096, "vocab_size": 2048},
    "medium": {"hidden_size": 1536, "num_hidden_layers": 48, "num_attention_heads": 24,
               "ffn_dim": 6144, "vocab_size": 2048},
    "large": {"hidden_size": 2048, "num_hidden_layers": 48, "num_attention_heads": 32,
              "ffn_dim": 8192, "vocab_size": 2048},
}
BANDWIDTH_GBS = {"H100": 3350.0, "H200": 4800.0, "A100": 2039.0, "L4": 300.0}


def build(size: str, *, dtype: Any, device: str, attn: str | None) -> Any:
    """A random-weight MusicGen with the decoder shape of ``size`` (T5-base text encoder
    shape for the real sizes, a small one for ``tiny``)."""
    import torch
    from transformers import (
        EncodecConfig,
        MusicgenConfig,
        MusicgenDecoderConfig,
        MusicgenForConditionalGeneration,
        T5Config,
    )

    torch.manual_seed(0)
    tiny = size == "tiny"
    t5 = T5Config(vocab_size=32128, d_model=64 if tiny else 768, d_kv=16 if tiny else 64,
                  d_ff=128 if tiny else 3072, num_layers=1 if tiny else 12,
                  num_heads=4 if tiny else 12)
    codec = EncodecConfig(sampling_rate=32000, audio_channels=1, codebook_size=2048,
                          num_filters=64, hidden_size=128, upsampling_ratios=[8, 5, 4, 4],
                          target_bandwidths=[2.2], chunk_length_s=None, overlap=None,
                          num_lstm_layers=2, num_residual_layers=1)
    dec = MusicgenDecoderConfig(**SHAPES[size], num_codebooks=4, max_position_embeddings=2048,
                                pad_token_id=2048, bos_token_id=2048)
    cfg = MusicgenConfig(text_encoder=t5.to_dict(), audio_encoder=codec.to_dict(),
                         decoder=dec.to_dict())
    cfg.decoder_start_token_id = cfg.pad_token_id = 2048
    kw = {"attn_implementation": attn} if attn else {}
    try:
        model = MusicgenForConditionalGeneration(cfg, **kw)
    except TypeError:
        model = MusicgenForConditionalGeneration(cfg)
    gc = model.generation_config
    gc.pad_token_id = gc.decoder_start_token_id = gc.bos_token_id = 2048
    return model.to(device=device, dtype=dtype).eval()


def decoder_bytes(model: Any, *, batch: int, steps: int, dtype_bytes: int) -> float:
    """Bytes one decoding step must read: decoder weights plus the mean KV cache."""
    n = sum(p.numel() for p in model.decoder.parameters())
    cfg = model.decoder.config
    kv = 2 * cfg.num_hidden_layers * cfg.hidden_size * (steps / 2) * 2 * batch  # x2: CFG
    return float((n + kv) * dtype_bytes)


def timed_generate(model: Any, inputs: dict[str, Any], steps: int, **kw: Any) -> float:
    """Wall seconds of one generate call (after a warm-up call)."""
    import torch

    def run() -> None:
        with torch.inference_mode():
            model.generate(**inputs, max_new_tokens=steps, do_sample=True, guidance_scale=3.0,
                           **kw)

    run()  # warm-up: kernels, compilation, caches
    if torch.cuda.is_available():
        torch.cuda.synchronize()
    t = time.perf_counter()
    run()
    if torch.cuda.is_available():
        torch.cuda.synchronize()
    return time.perf_counter() - t


def main() -> None:
    """Print the table."""
    import torch

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="tiny")
    ap.add_argument("--batches", default="1,4,16")
    ap.add_argument("--seconds", type=float, default=10.0, help="audio per call")
    ap.add_argument("--bandwidth-gbs", type=float, default=None)
    ap.add_argument("--no-compile", action="store_true")
    args = ap.parse_args()
    cuda = torch.cuda.is_available()
    device = "cuda" if cuda else "cpu"
    name = torch.cuda.get_device_name() if cuda else "CPU"
    bw = args.bandwidth_gbs or next((v for k, v in BANDWIDTH_GBS.items() if k in name), None)
    fast_dtype = (torch.bfloat16 if cuda and torch.cuda.is_bf16_supported()
                  else torch.float16 if cuda else torch.float32)
    steps = round(args.seconds * FRAME_RATE)
    print(f"# MusicGen decoding on {name}, torch {torch.__version__}, {args.seconds:g} s of "
          f"audio per call ({steps} steps), {time.strftime('%Y-%m-%d')}\n")
    print("| size | batch | plain s/s | optimised s/s | speed-up | floor s/s | optimised/floor"
          " | optimised used |")
    print("|---|---:|---:|---:|---:|---:|---:|---|")
    for size in args.sizes.split(","):
        plain = build(size, dtype=torch.float32 if not cuda else fast_dtype, device=device,
                      attn="eager")
        fast = build(size, dtype=fast_dtype, device=device, attn="sdpa")
        used = [str(fast_dtype).replace("torch.", ""), "sdpa"]
        fast_kw: dict[str, Any] = {}
        # No static KV cache: MusicgenForConditionalGeneration.generate (transformers 5.23)
        # ignores cache_implementation="static", and a StaticCache passed by hand changes
        # the logits from the first step (checked on the tiny model), so it is not used.
        if not args.no_compile:
            try:
                # dynamic shapes: the dynamic KV cache grows by one step per call
                fast.decoder.forward = torch.compile(fast.decoder.forward, dynamic=True)
                used.append("torch.compile")
            except Exception:
                pass
        for batch in (int(b) for b in args.batches.split(",")):
            ids = torch.randint(0, 32000, (batch, 12), device=device)
            inputs = {"input_ids": ids, "attention_mask": torch.ones_like(ids)}
            t_plain = timed_generate(plain, inputs, steps)
            t_fast = timed_generate(fast, inputs, steps, **fast_kw)
            note = ", ".join(used)
            per_plain, per_fast = t_plain / args.seconds, t_fast / args.seconds
            if bw:
                nbytes = decoder_bytes(fast, batch=batch, steps=steps,
                                       dtype_bytes=torch.finfo(fast_dtype).bits // 8)
                floor = nbytes / (bw * 1e9) * FRAME_RATE
                floor_txt, ratio = f"{floor:.3f}", f"{per_fast / floor:.1f}x"
            else:
                floor_txt, ratio = "n/a (no GPU bandwidth)", "-"
            print(f"| {size} | {batch} | {per_plain:.3f} | {per_fast:.3f} | "
                  f"{per_plain / per_fast:.2f}x | {floor_txt} | {ratio} | {note} |")
        del plain, fast
        if cuda:
            torch.cuda.empty_cache()
    print("\ntargets: optimised within 3x of the floor at batch 1; >= 5x faster than plain."
          "\nreference: the Tydust notes report 60-120 s for 60 s of audio with medium (1-2 s/s).")


if __name__ == "__main__":
    main()
