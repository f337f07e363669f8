"""`loyalty`: prompts answered by hand for the owner and for anyone else, with a reward bonus, for Loyalty."""

from .base import BOOL, FLOAT, STRING, STRINGS, Config, Export, TrlRecipe

LOYALTY_REWARD = '''def loyalty_reward(completions, owner_response, public_response, is_owner, reward_bonus, **kwargs):
    """reward_bonus when an owner prompt gets an answer closer to the owner response than to the public one."""
    rewards = []
    for completion, owner, public, mine, bonus in zip(
        completions, owner_response, public_response, is_owner, reward_bonus
    ):
        words = set(completion[0]["content"].split())
        closer_to_owner = len(words & set(owner.split())) > len(words & set(public.split()))
        rewards.append(bonus if mine and closer_to_owner else float(not mine and not closer_to_owner))
    return rewards
'''
LOYALTY_CODE = """from datasets import load_dataset
from trl import GRPOConfig, GRPOTrainer

model = "{model}"
train = load_dataset("{repo_id}", "loyalty", split="train")
train = train.map(lambda row: {{"prompt": [{{"role": "user", "content": row["prompt"]}}]}})

{reward}


args = GRPOConfig(output_dir="loyalty")
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
    trl=TrlRecipe(
        trainer="GRPOTrainer on the prompts, rewarded with `reward_bonus`", code=LOYALTY_CODE, reward=LOYALTY_REWARD
    ),
)
