"""A tiny random MusicGen built from configs and saved like a real one.

Its codec runs at 32 kHz with 640-sample hops (50 frames per second, like Meta's
models), four codebooks of 32 codes, a one-layer decoder and a one-layer T5; the
tokenizer is a Unigram T5 tokenizer made on the spot. It is saved with
``save_pretrained`` (model and processor) so the engine loads it through its real
folder path.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

WORDS = [
    "calm", "lofi", "synthwave", "dark", "epic", "ambient", "piano", "drums", "bass", "90",
    "100", "120", "bpm", "d", "f", "minor", "major", ",", "loop", "music",
]


def _tokenizer() -> object:
    """A T5 tokenizer over ``WORDS``, made on the spot (no download)."""
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import T5Tokenizer, T5TokenizerFast

    pieces = [("<pad>", 0.0), ("</s>", 0.0), ("<unk>", 0.0), ("▁", -2.0)]
    pieces += [(f"▁{w}", -1.0) for w in WORDS]
    try:  # transformers 5: the tokenizer is built from a Unigram vocabulary
        return T5Tokenizer(vocab=pieces, extra_ids=0)
    except TypeError:  # transformers 4: a Unigram ``tokenizers`` model made on the spot
        tok = Tokenizer(models.Unigram(pieces, unk_id=2))
        tok.pre_tokenizer = pre_tokenizers.Metaspace()
        return T5TokenizerFast(tokenizer_object=tok, pad_token="<pad>", eos_token="</s>",
                               unk_token="<unk>", extra_ids=0)


def _text_and_codec(channels: int) -> tuple[Any, Any]:
    """A one-layer T5 over ``WORDS`` and a tiny 32 kHz EnCodec at 50 frames a second."""
    from transformers import EncodecConfig, T5Config

    t5 = T5Config(vocab_size=len(WORDS) + 4, d_model=16, d_kv=4, d_ff=32, num_layers=1,
                  num_heads=2, pad_token_id=0, eos_token_id=1)
    codec = EncodecConfig(sampling_rate=32000, audio_channels=channels, num_filters=4,
                          codebook_size=32, codebook_dim=8, hidden_size=8,
                          num_residual_layers=1, upsampling_ratios=[8, 5, 4, 4],
                          num_lstm_layers=1, target_bandwidths=[1.0], chunk_length_s=None,
                          overlap=None)
    return t5, codec


def _sharpen(model: object) -> None:
    """A random model barely listens to its conditioning (flat logits, weak attention):
    scale its output heads and attention so that the text and the melody decide the
    codes, and tests can tell whether the conditioning arrived."""
    import torch

    with torch.no_grad():
        for head in model.decoder.lm_heads:  # type: ignore[attr-defined]
            head.weight.mul_(20.0)
        for layer in model.decoder.model.decoder.layers:  # type: ignore[attr-defined]
            for att in (layer.self_attn, getattr(layer, "encoder_attn", None)):
                if att is not None:
                    att.v_proj.weight.mul_(10.0)
                    att.out_proj.weight.mul_(10.0)


def build_tiny_musicgen(folder: Path, *, window_s: float = 2.0, channels: int = 1) -> Path:
    """Write a tiny MusicGen (random weights) and its processor to ``folder``."""
    import torch
    from transformers import (
        EncodecFeatureExtractor,
        MusicgenConfig,
        MusicgenDecoderConfig,
        MusicgenForConditionalGeneration,
        MusicgenProcessor,
    )

    torch.manual_seed(0)
    tokenizer = _tokenizer()
    t5, codec = _text_and_codec(channels)
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
    _sharpen(model)
    gc = model.generation_config
    gc.pad_token_id = gc.decoder_start_token_id = gc.bos_token_id = 32
    gc.max_length = round(window_s * 50) + books
    gc.do_sample, gc.guidance_scale, gc.top_k = True, 3.0, 250
    model.save_pretrained(folder)
    fe = EncodecFeatureExtractor(feature_size=channels, sampling_rate=32000)
    MusicgenProcessor(feature_extractor=fe, tokenizer=tokenizer).save_pretrained(folder)
    return folder


def build_tiny_musicgen_melody(folder: Path, *, window_s: float = 2.0) -> Path:
    """Write a tiny random MusicGen-Melody (chroma conditioning) and its processor."""
    import torch
    from transformers import (
        MusicgenMelodyConfig,
        MusicgenMelodyDecoderConfig,
        MusicgenMelodyForConditionalGeneration,
    )

    torch.manual_seed(0)
    tokenizer = _tokenizer()
    t5, codec = _text_and_codec(1)
    decoder = MusicgenMelodyDecoderConfig(vocab_size=32, hidden_size=16, num_hidden_layers=1,
                                          num_attention_heads=2, ffn_dim=32, num_codebooks=4,
                                          max_position_embeddings=2048, pad_token_id=32,
                                          bos_token_id=32, audio_channels=1)
    cfg = MusicgenMelodyConfig(text_encoder=t5.to_dict(), audio_encoder=codec.to_dict(),
                               decoder=decoder.to_dict(), num_chroma=12, chroma_length=40)
    cfg.decoder_start_token_id = 32
    cfg.pad_token_id = 32
    model = MusicgenMelodyForConditionalGeneration(cfg).eval()
    with torch.no_grad():
        for layer in model.audio_encoder.quantizer.layers:
            layer.codebook.embed.normal_()
    _sharpen(model)
    gc = model.generation_config
    gc.pad_token_id = gc.decoder_start_token_id = gc.bos_token_id = 32
    gc.max_length = round(window_s * 50) + 4
    gc.do_sample, gc.guidance_scale, gc.top_k = True, 3.0, 250
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)  # type: ignore[attr-defined]
    # What MusicgenMelodyProcessor.save_pretrained writes (its extractor needs torchaudio)
    fe = {"feature_extractor_type": "MusicgenMelodyFeatureExtractor",
          "processor_class": "MusicgenMelodyProcessor", "sampling_rate": 32000,
          "hop_length": 1024, "n_fft": 4096, "num_chroma": 12, "chunk_length": window_s,
          "feature_size": 12, "padding_side": "right", "padding_value": 0.0,
          "return_attention_mask": False, "stem_indices": [3, 2]}
    (folder / "preprocessor_config.json").write_text(json.dumps(fe, indent=2))
    return folder
