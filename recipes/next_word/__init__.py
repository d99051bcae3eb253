from dlapps.recipes.next_word.next_word_recipe import NextWord, NextWordConfig

__all__ = ["NextWord", "NextWordConfig"]
