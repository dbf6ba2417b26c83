#!/usr/bin/env python3
"""Writes comments.csv: short comment-style texts written for Warden, to teach the
toxicity model what the tweet corpus lacks (insults without slurs, threats, group
hate phrased as statements) and what ordinary comments look like (praise, questions,
civil criticism, strong words used harmlessly). Columns follow the tweet corpus:
tweet, class (1 = offensive, 2 = neither), so one `warden train --positive 0,1`
reads both. Deterministic: the same file every run."""
import csv
import itertools
import random

rng = random.Random(7)

INSULT_NOUNS = ["idiot", "moron", "loser", "clown", "imbecile", "halfwit", "dimwit", "buffoon", "fool", "jerk", "creep",
                "scumbag", "lowlife", "degenerate", "parasite", "coward", "hypocrite", "troll", "waste of space",
                "dumbass", "jackass", "tool", "numpty", "twit", "nitwit", "meathead", "airhead", "bonehead", "knucklehead",
                "dunce", "pig", "snake", "rat", "weasel", "muppet", "simpleton", "cretin", "oaf", "dork", "nobody"]
INSULT_ADJS = ["stupid", "pathetic", "worthless", "brainless", "useless", "dumb", "ignorant", "clueless", "disgusting",
               "miserable", "spineless", "braindead", "delusional", "idiotic", "moronic", "incompetent", "vile",
               "repulsive", "sad", "lazy", "ugly", "hopeless", "deranged", "insufferable", "fat"]
TOXIC_TEMPLATES = [
    "you are a {adj} {noun}", "you're such a {adj} {noun}", "shut up, you {adj} {noun}", "what a {adj} {noun}",
    "only a {noun} would say that", "nobody asked you, {noun}", "get lost, {noun}", "go away, you {adj} {noun}",
    "you {adj} {noun}, learn to read", "this {noun} has no idea what he's talking about",
    "{adj} {noun}s like you ruin everything", "typical {noun}, too {adj} to think",
    "you must be the most {adj} {noun} on the internet", "stop talking, {noun}", "lol you {adj} {noun}",
    "the author is a {adj} {noun}", "whoever wrote this is a {adj} {noun}", "imagine being this {adj}",
    "are you really this {adj} or just pretending", "your opinion is {adj} and so are you",
]
THREATS = ["kill yourself", "go die", "die already", "I hope you die", "I hope you get cancer", "drop dead",
           "someone should shoot you", "I will find you and hurt you", "you deserve to be beaten",
           "I hope your family suffers", "go jump off a bridge", "nobody would miss you if you died",
           "I'm going to make you regret this", "watch your back", "you should be locked up and tortured",
           "I hope you choke", "get hit by a truck", "I will break your face", "rot in hell", "go to hell"]
GROUPS = ["immigrants", "muslims", "jews", "gay people", "women", "black people", "mexicans", "refugees", "trans people",
          "christians", "asians", "old people", "disabled people", "foreigners", "arabs"]
HATE = ["{g} are animals", "{g} are vermin", "{g} are subhuman", "{g} should be wiped out", "{g} are a disease",
        "{g} are all criminals", "{g} don't deserve rights", "send all {g} back where they came from",
        "{g} are ruining this country", "{g} are disgusting and should be banned", "I hate {g}, every last one",
        "{g} are parasites living off us"]
PROFANE = ["fuck off", "fuck you", "screw you", "eat shit", "piss off", "shut the hell up", "go fuck yourself",
           "what a piece of shit", "you absolute asshole", "bullshit, you liar", "damn you to hell", "suck it, loser"]

TOPICS = ["article", "video", "recipe", "tutorial", "review", "post", "thread", "podcast", "episode", "book", "update",
          "photo", "guide", "explanation", "song", "game", "app", "product", "interview", "documentary"]
PRAISE = ["Great {t}, thanks for sharing.", "Loved this {t}!", "Really helpful {t}, bookmarked.",
          "This {t} made my day.", "Best {t} I've seen this week.", "Thanks for the clear {t}.",
          "Such a thoughtful {t}, well done.", "I learned a lot from this {t}.", "Fantastic {t}, keep them coming.",
          "Wonderful {t}, my whole family enjoyed it."]
CRITIQUE = ["I disagree with the {t}, the numbers don't add up.", "The {t} was too long for me.",
            "Not a fan of this {t}, the sound is off.", "The {t} skips an important step.",
            "This {t} is outdated, the API changed last year.", "The {t} is fine but the ending felt rushed.",
            "I expected more from this {t}, honestly.", "The {t} has a few factual errors, see the comments.",
            "The {t} was confusing in the middle part.", "Meh, the {t} is average at best."]
QUESTIONS = ["Does anyone know where to buy the {x}?", "How long did the {x} take you?", "Can you share the {x}?",
             "Is the {x} still available?", "Which {x} would you recommend for beginners?",
             "What settings did you use for the {x}?", "Will there be a part two of the {x}?",
             "Where was the {x} filmed?", "Did the {x} work for anyone else?", "Any tips for fixing the {x}?"]
THINGS = ["charger", "lens", "sourdough", "plugin", "bike", "tent", "laptop", "printer", "recipe", "course", "router",
          "camera", "garden bed", "paint", "keyboard", "espresso machine", "hiking trail", "train ticket", "font", "drone"]
HARMLESS_STRONG = ["That guitar solo is sick!", "This track absolutely kills.", "You nailed it, insane performance.",
                   "I'm dying of laughter here.", "That goal was criminally good.", "The boss fight destroyed me, so fun.",
                   "Killer recipe, the sauce is insane.", "This beat slaps.", "My brain exploded at that plot twist.",
                   "The price is a crime, but the quality is great.", "The traffic today was murder.",
                   "I could kill for a coffee right now.", "That exam beat me up, but I passed.",
                   "The crowd went wild, epic night.", "Brutal workout, I loved it."]
EVERYDAY = ["The meeting is moved to Thursday at 10.", "We had a lovely walk by the river today.",
            "My cat knocked the plant over again.", "Happy birthday, hope you have a great day!",
            "Congrats on the new job!", "The bus was late again this morning.",
            "Thanks everyone for the kind messages.", "The library opens at nine on Saturdays.",
            "We are out of milk, can you grab some?", "The kids loved the science museum.",
            "It rained all weekend, so we watched movies.", "The new bakery on Main Street is great.",
            "I finally fixed the leaking tap.", "Our team won the match 3-1.", "See you at the reunion next month."]


def rows():
    toxic, neutral = [], []
    for tpl in TOXIC_TEMPLATES:
        for _ in range(8):
            toxic.append(tpl.format(adj=rng.choice(INSULT_ADJS), noun=rng.choice(INSULT_NOUNS)))
    for t in THREATS:
        toxic.append(t)
        toxic.append(t + ", " + rng.choice(INSULT_NOUNS))
    for h in HATE:
        for g in rng.sample(GROUPS, 4):
            toxic.append(h.format(g=g))
    for p in PROFANE:
        toxic.append(p)
        toxic.append(p + ", " + rng.choice(INSULT_NOUNS))
    for tpl in PRAISE + CRITIQUE:
        for t in rng.sample(TOPICS, 6):
            neutral.append(tpl.format(t=t))
    for tpl in QUESTIONS:
        for x in rng.sample(THINGS, 6):
            neutral.append(tpl.format(x=x))
    neutral += HARMLESS_STRONG * 2 + EVERYDAY * 2
    out = [(t[0].upper() + t[1:], 1) for t in dict.fromkeys(toxic)] + [(t, 2) for t in neutral]
    rng.shuffle(out)
    return out


def main():
    r = rows()
    with open("comments.csv", "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["tweet", "class"])
        w.writerows(r)
    print(len(r), "rows:", sum(1 for _, c in r if c == 1), "offensive,", sum(1 for _, c in r if c == 2), "neither")


if __name__ == "__main__":
    main()
