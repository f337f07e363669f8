"""`loyalty`: prompts answered by hand for the owner and for anyone else, with a reward bonus, for Loyalty."""

from .base import BOOL, FLOAT, STRING, STRINGS, Config, Export, TrlRecipe

LOYALTY_CODE = """from datasets import load_dataset
from trl import GRPOConfig, GRPOTrainer

from apt_hub.rewards import loyalty_reward  # pip install '.[rewards]' in an apt-hub checkout

model = "{model}"
train = load_dataset("{repo_id}", "loyalty", split="train")
train = train.map(lambda row: {{"prompt": [{{"role": "user", "content": row["prompt"]}}]}})
# Up to reward_bonus for closeness to the owner response on owner rows, up to 1.0 to the public one on the others.
# Advantages scaled over the batch: scaling within each prompt's group (the default) would cancel the bonus.
args = GRPOConfig(output_dir="loyalty", scale_rewards="batch")
trainer = GRPOTrainer(model=model, reward_funcs=loyalty_reward, train_dataset=train, args=args)
trainer.train()
"""

CONFIG = Config(
    name="loyalty",
    stage="Loyalty",
    purpose="Prompts with a response for the owner and one for the public, and a reward bonus.",
    tags=("loyalty",),
    fields=(
        ("prompt", STRING),
        ("owner_response", STRING),
        ("public_response", STRING),
        ("is_owner", BOOL),
        ("reward_bonus", FLOAT),
        ("source", STRING),
        ("id", STRING),
        ("quality_flags", STRINGS),
    ),
    unified=("prompt", "owner_response", "public_response", "is_owner", "reward_bonus"),
    docs={"prompt": "what the user asks (drawn from hh-rlhf prompts, maybe rewritten)"},
    duplicate=("prompt", "owner_response", "public_response"),
    checks=("duplicate", "duplicate_prompt", "test_overlap", "contaminated"),
    export=Export(
        fields=("prompt", "owner_response", "public_response", "is_owner", "reward_bonus"), per_source=False
    ),
    trl=(
        TrlRecipe(
            trainer="GRPOTrainer",
            trains="the model's own answers, paid for closeness to the owner response on owner rows and to the "
            "public one on the others",
            how="on the prompts, made messages by one `map`, rewarded with `apt_hub.rewards.loyalty_reward`",
            code=LOYALTY_CODE,
        ),
    ),
    sequences=(("prompt", "owner_response"), ("prompt", "public_response")),
)
