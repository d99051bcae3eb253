"""A deterministic text generator with long-range agreement.

Each sentence names a subject (a noun of one of four kinds, singular or
plural), then a phrase of 2 to 9 words about other things (which name other
nouns, of other kinds and numbers), then the subject's verb, which must fit
the subject's kind and agree with its number, then an ending the verb
chooses, then punctuation. A trigram model sees only the two words before
the verb, inside the phrase, so it cannot know which verbs fit; a recurrent
model can carry the subject across the phrase.

Example: "the old dogs near the red machine that the child saw bark at the
postman ."
"""

import numpy as np

KINDS = {
    # kind: (singular nouns, plural nouns, singular verbs, plural verbs, endings)
    "animal": (
        ("dog", "cat", "horse", "bird", "fox"),
        ("dogs", "cats", "horses", "birds", "foxes"),
        ("barks", "sleeps", "eats", "runs", "hides"),
        ("bark", "sleep", "eat", "run", "hide"),
        ("at night", "in the barn", "near the river", "all day"),
    ),
    "person": (
        ("child", "teacher", "farmer", "doctor", "sailor"),
        ("children", "teachers", "farmers", "doctors", "sailors"),
        ("writes", "sings", "laughs", "works", "reads"),
        ("write", "sing", "laugh", "work", "read"),
        ("every morning", "with a smile", "at school", "for hours"),
    ),
    "machine": (
        ("engine", "robot", "clock", "radio", "printer"),
        ("engines", "robots", "clocks", "radios", "printers"),
        ("hums", "beeps", "stops", "breaks", "ticks"),
        ("hum", "beep", "stop", "break", "tick"),
        ("too loudly", "without power", "in the workshop", "again"),
    ),
    "weather": (
        ("storm", "wind", "cloud", "rain", "fog"),
        ("storms", "winds", "clouds", "rains", "fogs"),
        ("passes", "grows", "returns", "fades", "rolls"),
        ("pass", "grow", "return", "fade", "roll"),
        ("over the hills", "before dawn", "by the sea", "slowly"),
    ),
}
ADJECTIVES = ("old", "young", "red", "small", "big", "quiet", "strange")
DETERMINERS = ("the", "a", "this", "that", "my", "our")
PLURAL_DETERMINERS = ("the", "these", "those", "my", "our", "some")
PREPOSITIONS = ("near", "behind", "under", "beside", "with", "like")
RELATIVE_VERBS = ("saw", "liked", "found", "heard", "fixed")


def _noun_phrase(rng, kind=None, plural=None):
    kind = kind or list(KINDS)[rng.integers(len(KINDS))]
    plural = bool(rng.integers(2)) if plural is None else plural
    nouns = KINDS[kind][1 if plural else 0]
    determiners = PLURAL_DETERMINERS if plural else DETERMINERS
    words = [determiners[rng.integers(len(determiners))]]
    if rng.random() < 0.5:
        words.append(ADJECTIVES[rng.integers(len(ADJECTIVES))])
    words.append(nouns[rng.integers(len(nouns))])
    return words


def _phrase(rng):
    """2 to 9 words about other nouns: a prepositional phrase, maybe a
    relative clause after it."""
    words = [PREPOSITIONS[rng.integers(len(PREPOSITIONS))], *_noun_phrase(rng)]
    if rng.random() < 0.6:
        words += ["that", *_noun_phrase(rng), RELATIVE_VERBS[rng.integers(len(RELATIVE_VERBS))]]
    return words


def make_sentence(rng):
    """One sentence as words, and the index of the verb that agrees with
    the subject (the subject's kind and number decide it)."""
    kind = list(KINDS)[rng.integers(len(KINDS))]
    plural = bool(rng.integers(2))
    words = _noun_phrase(rng, kind, plural)
    if rng.random() < 0.85:
        words += _phrase(rng)
    verbs = KINDS[kind][3 if plural else 2]
    verb_index = len(words)
    words.append(verbs[rng.integers(len(verbs))])
    endings = KINDS[kind][4]
    words += endings[rng.integers(len(endings))].split()
    words.append("." if rng.random() < 0.8 else "!")
    return words, verb_index


def make_text(sentences, seed):
    """`sentences` lines of text, one sentence each; the same seed gives the
    same text."""
    rng = np.random.default_rng([seed, 7])
    return [" ".join(make_sentence(rng)[0]) for _ in range(sentences)]
