"""Prompt providers: where a bulk run's specs come from.

``template`` (default, offline), ``openai`` (any OpenAI-compatible chat endpoint),
``ollama`` (a local Ollama), ``file`` (text or JSONL) and ``manual`` (the terminal).
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

from loopmill import settings
from loopmill.errors import BadInputError
from loopmill.prompts.spec import MusicSpec

__all__ = ["PROVIDERS", "PromptProvider", "make_provider"]

PROVIDERS = ("template", "openai", "ollama", "file", "manual")


class PromptProvider(Protocol):
    """Hands out specs in batches."""

    name: str

    def batch(self, k: int) -> list[MusicSpec]:
        """Up to ``k`` new specs; [] when exhausted. Raises ProviderError on a failure."""
        ...


def make_provider(
    name: str = settings.PROMPT_PROVIDER,
    *,
    use_case: str | None = None,
    seed: int | None = None,
    min_duration: float = settings.MIN_DURATION,
    max_duration: float = settings.MAX_DURATION,
    llm_model: str | None = None,
    llm_base_url: str | None = None,
    llm_api_key_env: str | None = None,
    prompt_file: str | Path | None = None,
    timeout: float = settings.LLM_TIMEOUT,
    retries: int = settings.LLM_RETRIES,
    backoff: float = 0.5,
) -> PromptProvider:
    """The provider called ``name``, configured.

    Raises
    ------
    BadInputError
        An unknown name, or ``file`` without ``prompt_file``.
    ProviderError
        ``openai`` against api.openai.com without ``OPENAI_API_KEY``, or an
        ``llm_api_key_env`` that is not set.

    Notes
    -----
    ``OPENAI_API_KEY`` is sent to api.openai.com only; another server gets the key in
    the variable ``llm_api_key_env`` names, or none (see
    :func:`loopmill.prompts.llm.api_key_for`).
    """
    durations = {"min_duration": min_duration, "max_duration": max_duration}
    if name == "template":
        from loopmill.prompts.template import TemplateProvider

        return TemplateProvider(use_case=use_case, seed=seed, **durations)
    if name in ("openai", "ollama"):
        from loopmill.prompts.llm import OpenAIProvider, api_key_for, default_base_url

        model = llm_model or ("llama3.2" if name == "ollama" else "gpt-4o-mini")
        url = llm_base_url or default_base_url(name)
        return OpenAIProvider(
            base_url=url, model=model,
            api_key=api_key_for(url, key_env=llm_api_key_env), use_case=use_case,
            key_name=llm_api_key_env or "OPENAI_API_KEY",
            timeout=timeout, retries=retries, backoff=backoff, **durations,
        )
    if name == "file":
        from loopmill.prompts.sources import FileProvider

        if prompt_file is None:
            raise BadInputError("prompt_provider file needs a prompt_file: a .txt or .jsonl "
                                "file with one prompt a line",
                                field=("prompt_provider", "prompt_file"))
        return FileProvider(prompt_file, **durations)
    if name == "manual":
        from loopmill.prompts.sources import ManualProvider

        return ManualProvider(min_duration=min_duration, max_duration=max_duration)
    raise BadInputError(
        f"unknown prompt_provider {name!r}; use one of {', '.join(PROVIDERS)}",
        field="prompt_provider",
    )
