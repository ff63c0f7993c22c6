"""Writes pretokens.json: GPT-2's pre-tokenization of tricky strings, by GPT-2's own pattern
(the `regex` module, as OpenAI's encoder.py and tiktoken's r50k use it), for
TokenizerTests.testPreTokensMatchGPT2sPattern.
    python3 Tests/DatasetsTests/Fixtures/make_pretokens.py
"""
import json, os, regex

PATTERN = r"""'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"""
TEXTS = [
    "Hello world's  end\n\nok",
    "First Citizen:\nBefore we proceed any further, hear me speak.\n\nAll:\nSpeak, speak.",
    "I'll don't we've they're I'm he'd 'tis  '  ' x",
    "numbers 12345 and 3.14, also ½ and Ⅻ!",
    "tabs\tand\t\tspaces   \n  trailing   ",
    "héllo — 日本語 テキスト 🎭🎭 ok?!...",
    "   leading spaces",
    "",
    " ",
    "a\u00a0b\u2003c",
]

here = os.path.dirname(os.path.abspath(__file__))
with open(os.path.join(here, "pretokens.json"), "w", encoding="utf-8") as f:
    json.dump([{"text": t, "pieces": regex.findall(PATTERN, t)} for t in TEXTS], f, ensure_ascii=False, indent=1)
