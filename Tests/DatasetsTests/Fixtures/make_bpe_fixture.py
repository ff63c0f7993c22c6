"""Writes hf-bpe-tokenizer.json and hf-bpe-encodings.json: a byte-level BPE tokenizer trained by
Hugging Face `tokenizers` (0.20.0) on the first 50,000 characters of the shipped Tiny
Shakespeare (vocabulary 400, GPT-2's pre-tokenizer without a prefix space), and its ids for a
few texts, for TokenizerTests.testHuggingFaceByteLevelBPEFilesLoadAndEncodeAlike.
    pip install tokenizers==0.20.0 && python3 Tests/DatasetsTests/Fixtures/make_bpe_fixture.py
"""
import gzip, json, os
from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

here = os.path.dirname(os.path.abspath(__file__))
root = os.path.join(here, "..", "..", "..")
with gzip.open(os.path.join(root, "Sources/Datasets/Resources/tinyshakespeare.txt.gz"), "rt", encoding="utf-8") as f:
    corpus = f.read()

tokenizer = Tokenizer(models.BPE())
tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
tokenizer.decoder = decoders.ByteLevel()
trainer = trainers.BpeTrainer(vocab_size=400, initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False)
tokenizer.train_from_iterator([corpus[:50_000]], trainer)
tokenizer.save(os.path.join(here, "hf-bpe-tokenizer.json"))

texts = [corpus[50_000:52_000], "First Citizen:\nWe are accounted poor citizens, the patricians good.",
         "héllo — 日本語 🎭 ok?!...\t\r\n½ Ⅻ end", "I'll don't we've  '  ' x   \n  y"]
with open(os.path.join(here, "hf-bpe-encodings.json"), "w", encoding="utf-8") as f:
    json.dump([{"text": t, "ids": tokenizer.encode(t).ids} for t in texts], f, ensure_ascii=False)
