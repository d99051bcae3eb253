from dlapps.recipes.music_genre.music_genre_recipe import MusicGenre, MusicGenreConfig

__all__ = ["MusicGenre", "MusicGenreConfig"]
