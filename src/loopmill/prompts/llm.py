"""Prompts written by an LLM behind any OpenAI-compatible chat endpoint.

OpenAI, Ollama (``/v1``), vLLM and llama.cpp's server all speak
``POST {base_url}/chat/completions``. The model is asked for JSON; every item is
validated into a :class:`MusicSpec` (unusable items are dropped, not fatal).
Requests time out, and failures (no connection, 5xx, 429, a timeout, an answer with
nothing usable) are retried a bounded number of times with exponential backoff,
then raised as one :class:`ProviderError` line that names the URL and the fix.
"""

from __future__ import annotations

import json
import re
import time
import urllib.error
import urllib.request
from typing import Any

from loopmill import settings
from loopmill.errors import LoopmillError, ProviderError
from loopmill.prompts.parse import parse_prompt
from loopmill.prompts.spec import MusicSpec
from loopmill.prompts.vocab import GENRES

__all__ = ["OLLAMA_URL", "OPENAI_URL", "OpenAIProvider", "api_key_for", "key_warnings"]

OPENAI_URL = "https://api.openai.com/v1"
OLLAMA_URL = "http://127.0.0.1:11434/v1"
#: the only host OPENAI_API_KEY is ever sent to (unless the user names another key)
OPENAI_HOST = "api.openai.com"
_LOOPBACK = ("localhost", "127.0.0.1", "::1")


def _host(base_url: str) -> tuple[str, str]:
    """(scheme, host) of a base URL, lower-case."""
    from urllib.parse import urlsplit

    parts = urlsplit(base_url)
    return parts.scheme.lower(), (parts.hostname or "").lower()


def _loopback(host: str) -> bool:
    return host in _LOOPBACK or host.startswith("127.") or host.endswith(".localhost")


def api_key_for(base_url: str, *, key_env: str | None = None) -> str | None:
    """The API key to send to ``base_url``, if any.

    ``OPENAI_API_KEY`` goes to OpenAI's own host over https and nowhere else: a
    local or third-party server gets no key unless the user names the variable that
    holds its key (``key_env``, the request's ``llm_api_key_env``).

    Raises
    ------
    ProviderError
        ``key_env`` names a variable that is not set.
    """
    if key_env:
        value = settings.api_key(key_env)
        if not value:
            raise ProviderError(f"the environment variable {key_env} (llm_api_key_env) is "
                                "not set; export it with the server's API key",
                                field="llm_api_key_env")
        return value
    scheme, host = _host(base_url)
    if host == OPENAI_HOST and scheme == "https":
        return settings.api_key("OPENAI_API_KEY")
    return None


def key_warnings(base_url: str, api_key: str | None) -> list[str]:
    """Warnings about where a key would travel: plain http to a non-loopback host."""
    scheme, host = _host(base_url)
    if api_key and scheme == "http" and not _loopback(host):
        return [f"the API key would travel unencrypted over plain http to {host}; use an "
                "https:// base URL"]
    return []

_SYSTEM = (
    "You write prompts for a music loop generator. Answer with JSON only: "
    '{"prompts": [{"text": str, "genre": str, "bpm": int, "key": "D minor", '
    '"moods": [str], "instruments": [str]}]}. Rules for each prompt: a genre from '
    f"{', '.join(GENRES)}; a melody of 3-6 words; 2-3 instruments; 1-2 optional parts; "
    "bpm 30-150, mostly 50-120; text at most 160 characters; all prompts different."
)


def _extract_json(content: str) -> Any:
    """The JSON in an answer: bare, in a ```json fence```, or with text around it."""
    fence = re.search(r"```(?:json)?\s*(.*?)```", content, flags=re.S)
    if fence:
        content = fence.group(1)
    try:
        return json.loads(content)
    except json.JSONDecodeError:
        start = min((i for i in (content.find("{"), content.find("[")) if i >= 0), default=-1)
        if start < 0:
            raise
        end = max(content.rfind("}"), content.rfind("]"))
        return json.loads(content[start:end + 1])


class OpenAIProvider:
    """Specs from an OpenAI-compatible chat endpoint.

    Parameters
    ----------
    base_url : str
        e.g. ``https://api.openai.com/v1`` or ``http://127.0.0.1:11434/v1`` (Ollama).
    model : str
        The model name the server knows.
    api_key : str, optional
        Sent as a bearer token; required for api.openai.com.
    key_name : str
        The environment variable the key came from (named in errors).
    use_case : str, optional
        Told to the model ("music for a space shooter").
    timeout : float
        Seconds per request.
    retries : int
        Attempts per batch before giving up.
    backoff : float
        First wait between attempts (doubled each time).
    """

    name = "openai"

    def __init__(self, *, base_url: str, model: str, api_key: str | None = None,
                 use_case: str | None = None, timeout: float = settings.LLM_TIMEOUT,
                 retries: int = settings.LLM_RETRIES, backoff: float = 0.5,
                 min_duration: float = settings.MIN_DURATION,
                 max_duration: float = settings.MAX_DURATION,
                 key_name: str = "OPENAI_API_KEY") -> None:
        self.url = base_url.rstrip("/") + "/chat/completions"
        self.model = model
        self.api_key = api_key
        self.key_name = key_name  # the variable the key came from, for error messages
        self.use_case = use_case
        self.timeout, self.retries, self.backoff = timeout, max(1, retries), backoff
        self._durations = (min_duration, max_duration)
        self._seen: set[str] = set()
        if _host(base_url)[1] == OPENAI_HOST and not api_key:
            raise ProviderError(
                "the OpenAI API needs a key; set OPENAI_API_KEY, or point llm_base_url "
                "at a local server (Ollama, vLLM, llama.cpp)", field="llm_base_url"
            )

    def _request(self, k: int) -> str:
        ask = f"Write {k} prompts" + (f" for {self.use_case}" if self.use_case else "") + "."
        return self._chat([{"role": "system", "content": _SYSTEM},
                           {"role": "user", "content": ask}])

    def _chat(self, messages: list[dict[str, str]]) -> str:
        """One chat completion (JSON answer asked for); the answer's text."""
        body = json.dumps({
            "model": self.model,
            "messages": messages,
            "temperature": 0.9,
            "response_format": {"type": "json_object"},
        }).encode()
        headers = {"Content-Type": "application/json"}
        if self.api_key:
            headers["Authorization"] = f"Bearer {self.api_key}"
        req = urllib.request.Request(self.url, data=body, headers=headers, method="POST")
        with urllib.request.urlopen(req, timeout=self.timeout) as resp:
            answer = json.loads(resp.read().decode("utf-8"))
        return str(answer["choices"][0]["message"]["content"])

    def _specs(self, content: str) -> list[MusicSpec]:
        data = _extract_json(content)
        items = data.get("prompts", []) if isinstance(data, dict) else data
        lo, hi = self._durations
        out = []
        for item in items if isinstance(items, list) else []:
            if isinstance(item, str):
                item = {"text": item}
            if not isinstance(item, dict) or not str(item.get("text", "")).strip():
                continue
            text = str(item["text"]).strip()[:160]
            if text in self._seen:
                continue
            genre = str(item.get("genre", "")).lower() or None
            try:
                bpm = item.get("bpm")
                bpm = float(bpm) if bpm is not None else None
                if bpm is not None and not 30 <= bpm <= 150:
                    continue  # out of the rules: dropped, not fatal
                spec = parse_prompt(
                    text, bpm=bpm, key=item.get("key") or None,
                    genre=genre if genre in GENRES else None,
                    moods=item.get("moods") or None, instruments=item.get("instruments") or None,
                    min_duration=lo, max_duration=hi,
                )
            except (LoopmillError, TypeError, ValueError):
                continue
            self._seen.add(text)
            out.append(spec)
        return out

    def batch(self, k: int) -> list[MusicSpec]:
        """Ask for ``k`` prompts; retry on failures and on answers with nothing new.

        Raises
        ------
        ProviderError
            After ``retries`` failed attempts, or at once on a rejected key (401/403).
        """
        delay, last = self.backoff, ""
        for attempt in range(self.retries):
            try:
                specs = self._specs(self._request(k))
                if specs:
                    return specs[:k]
                last = "no usable prompts"
            except urllib.error.HTTPError as exc:
                if exc.code in (401, 403):
                    raise ProviderError(
                        f"{self.url} refused the API key (HTTP {exc.code}); check "
                        + (self.key_name if self.api_key else "llm_api_key_env NAME: no key "
                           "was sent, OPENAI_API_KEY goes only to api.openai.com"),
                        field=None if self.api_key else "llm_api_key_env",
                    ) from None
                last = f"HTTP {exc.code}"
                if exc.code < 500 and exc.code != 429:
                    raise ProviderError(f"{self.url} answered HTTP {exc.code}; check "
                                        "llm_model and llm_base_url",
                                        field=("llm_model", "llm_base_url")) from None
            except urllib.error.URLError as exc:
                reason = exc.reason
                if isinstance(reason, TimeoutError):
                    last = f"no answer within the {self.timeout:g} s timeout"
                else:
                    raise_or = str(getattr(reason, "strerror", None) or reason).lower()
                    last = f"cannot connect: {raise_or}"
            except TimeoutError:
                last = f"no answer within the {self.timeout:g} s timeout"
            except (json.JSONDecodeError, KeyError, IndexError, TypeError, AttributeError,
                    UnicodeDecodeError) as exc:
                last = f"an answer that is not the expected JSON ({type(exc).__name__})"
            except (ConnectionError, OSError) as exc:
                last = f"cannot connect: {exc}"
            if attempt + 1 < self.retries:
                time.sleep(delay)
                delay *= 2
        if last.startswith("cannot connect"):
            raise ProviderError(f"cannot reach {self.url} ({last[16:]}) after "
                                f"{self.retries} attempts; start the server or fix "
                                "llm_base_url", field="llm_base_url")
        raise ProviderError(f"the LLM at {self.url} gave {last} in {self.retries} attempts; "
                            "try another llm_model or check the server", field="llm_model")


def default_base_url(provider: str) -> str:
    """``LOOPMILL_LLM_BASE_URL`` or the provider's usual address."""
    return settings.llm_base_url() or (
        OLLAMA_URL if provider == "ollama" else OPENAI_URL)
