"""A tiny causal language model and its tokenizer, made here from the build's own texts: nothing is downloaded.

A byte-level BPE tokenizer is trained on every text of the build (Chinese and English alike), with ChatML's special
tokens and chat template; a Qwen2 model of hidden size 64 gets random weights. Both are saved in one folder that
TRL and LLaMA-Factory load with `from_pretrained`, as they would a model from the Hub.

    python training/tiny_model.py --build .train/apt --output .train/tiny
"""

import argparse
from collections.abc import Iterator
from pathlib import Path

import datasets
import torch
from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
from transformers import PreTrainedTokenizerFast, Qwen2Config, Qwen2ForCausalLM

# ChatML, as Qwen2's tokenizer writes it, without a default system message.
CHAT_TEMPLATE = (
    "{% for message in messages %}"
    "{{ '<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n' }}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}"
)
SPECIAL = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]
CONFIGS = ("sft", "ruozhiba", "dpo", "storm", "loyalty")
VOCAB_SIZE = 4096


def texts(build: Path) -> Iterator[str]:
    """Every string of every flat config of the build, all splits."""
    for config in CONFIGS:
        for split in datasets.load_dataset(str(build), config).values():
            for row in split:
                yield from (value for value in row.values() if isinstance(value, str))


def tokenizer(build: Path) -> PreTrainedTokenizerFast:
    """A byte-level BPE tokenizer trained on the build, with the ChatML tokens and template."""
    bpe = Tokenizer(models.BPE())
    bpe.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    bpe.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=VOCAB_SIZE, special_tokens=SPECIAL, initial_alphabet=pre_tokenizers.ByteLevel.alphabet()
    )
    bpe.train_from_iterator(texts(build), trainer=trainer)
    return PreTrainedTokenizerFast(
        tokenizer_object=bpe,
        eos_token="<|im_end|>",
        pad_token="<|endoftext|>",
        chat_template=CHAT_TEMPLATE,
        model_max_length=2048,
    )


def model(vocab_size: int, eos: int, pad: int) -> Qwen2ForCausalLM:
    """A two-layer Qwen2 of hidden size 64 with random weights (seeded, so every run trains the same model)."""
    torch.manual_seed(0)
    config = Qwen2Config(
        vocab_size=vocab_size,
        hidden_size=64,
        intermediate_size=128,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=2048,
        tie_word_embeddings=True,
        eos_token_id=eos,
        pad_token_id=pad,
        bos_token_id=None,
    )
    tiny = Qwen2ForCausalLM(config)
    tiny.generation_config.eos_token_id = eos
    tiny.generation_config.pad_token_id = pad
    return tiny


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build", type=Path, required=True, help="the build folder (`apt-hub build`)")
    parser.add_argument("--output", type=Path, required=True, help="the folder the model and tokenizer go to")
    args = parser.parse_args()
    tok = tokenizer(args.build)
    tiny = model(len(tok), tok.eos_token_id, tok.pad_token_id)
    tiny.save_pretrained(args.output)
    tok.save_pretrained(args.output)
    parameters = sum(p.numel() for p in tiny.parameters())
    print(f"{args.output}: Qwen2, {parameters:,} parameters, vocabulary {len(tok):,}")


if __name__ == "__main__":
    main()
