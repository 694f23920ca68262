"""A tiny random MusicGen built from configs and saved like a real one.

Its codec runs at 32 kHz with 640-sample hops (50 frames per second, like Meta's
models), four codebooks of 32 codes, a one-layer decoder and a one-layer T5; the
tokenizer is a ``tokenizers`` WordLevel model made on the spot. It is saved with
``save_pretrained`` (model and processor) so the engine loads it through its real
folder path.
"""

from __future__ import annotations

from pathlib import Path

WORDS = [
    "calm", "lofi", "synthwave", "dark", "epic", "ambient", "piano", "drums", "bass", "90",
    "100", "120", "bpm", "d", "f", "minor", "major", ",", "loop", "music",
]


def build_tiny_musicgen(folder: Path, *, window_s: float = 2.0, channels: int = 1) -> Path:
    """Write a tiny MusicGen (random weights) and its processor to ``folder``."""
    import torch
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import (
        EncodecConfig,
        EncodecFeatureExtractor,
        MusicgenConfig,
        MusicgenDecoderConfig,
        MusicgenForConditionalGeneration,
        MusicgenProcessor,
        T5Config,
        T5Tokenizer,
        T5TokenizerFast,
    )

    torch.manual_seed(0)
    pieces = [("<pad>", 0.0), ("</s>", 0.0), ("<unk>", 0.0), ("▁", -2.0)]
    pieces += [(f"▁{w}", -1.0) for w in WORDS]
    try:  # transformers 5: the tokenizer is built from a Unigram vocabulary
        tokenizer = T5Tokenizer(vocab=pieces, extra_ids=0)
    except TypeError:  # transformers 4: a Unigram ``tokenizers`` model made on the spot
        tok = Tokenizer(models.Unigram(pieces, unk_id=2))
        tok.pre_tokenizer = pre_tokenizers.Metaspace()
        tokenizer = T5TokenizerFast(tokenizer_object=tok, pad_token="<pad>", eos_token="</s>",
                                    unk_token="<unk>", extra_ids=0)
    vocab = dict.fromkeys(p for p, _ in pieces)
    t5 = T5Config(vocab_size=len(vocab), d_model=16, d_kv=4, d_ff=32, num_layers=1,
                  num_heads=2, pad_token_id=0, eos_token_id=1)
    codec = EncodecConfig(sampling_rate=32000, audio_channels=channels, num_filters=4,
                          codebook_size=32, codebook_dim=8, hidden_size=8,
                          num_residual_layers=1, upsampling_ratios=[8, 5, 4, 4],
                          num_lstm_layers=1, target_bandwidths=[1.0], chunk_length_s=None,
                          overlap=None)
    books = 4 * channels
    decoder = MusicgenDecoderConfig(vocab_size=32, hidden_size=16, num_hidden_layers=1,
                                    num_attention_heads=2, ffn_dim=32, num_codebooks=books,
                                    max_position_embeddings=2048, pad_token_id=32,
                                    bos_token_id=32, audio_channels=channels)
    cfg = MusicgenConfig(text_encoder=t5.to_dict(), audio_encoder=codec.to_dict(),
                         decoder=decoder.to_dict())
    cfg.decoder_start_token_id = 32
    cfg.pad_token_id = 32
    model = MusicgenForConditionalGeneration(cfg).eval()
    with torch.no_grad():  # a fresh codec's codebooks are zeros: every code would sound alike
        for layer in model.audio_encoder.quantizer.layers:
            layer.codebook.embed.normal_()
    gc = model.generation_config
    gc.pad_token_id = gc.decoder_start_token_id = gc.bos_token_id = 32
    gc.max_length = round(window_s * 50) + books
    gc.do_sample, gc.guidance_scale, gc.top_k = True, 3.0, 250
    model.save_pretrained(folder)
    fe = EncodecFeatureExtractor(feature_size=channels, sampling_rate=32000)
    MusicgenProcessor(feature_extractor=fe, tokenizer=tokenizer).save_pretrained(folder)
    return folder
