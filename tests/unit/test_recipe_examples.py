"""Every recipe in examples/ validates and plans on generated demo media (issue 3)."""

import dataclasses
import os
import shutil

import pytest

from editspec.errors import RecipeErrors
from editspec.recipe import load_recipe
from editspec.recipe.probe import probe_recipe_media

EXAMPLES = os.path.join(os.path.dirname(__file__), "..", "..", "examples")
RECIPES = sorted(
    os.path.relpath(os.path.join(d, f), EXAMPLES)
    for d, _, files in os.walk(EXAMPLES) for f in files
    if f.endswith((".yaml", ".edit")) and "brand" not in os.path.relpath(d, EXAMPLES).split(os.sep)
)


def test_there_are_at_least_six_examples_and_a_dsl_one():
    assert len(RECIPES) >= 6
    assert any(r.endswith(".edit") for r in RECIPES)


@pytest.fixture(scope="module")
def media(tmp_path_factory):
    """The examples beside a 112 s song (intro, verse, chorus, verse, chorus, outro),
    six small clips and the logos the examples name."""
    from editspec.demo import make_clips, synth_song
    from editspec.media import run_ffmpeg

    folder = tmp_path_factory.mktemp("examples")
    shutil.copytree(EXAMPLES, folder, dirs_exist_ok=True)
    form = (("intro", 0, 4), ("verse", 4, 8), ("chorus", 12, 16), ("verse", 28, 8),
            ("chorus", 36, 16), ("outro", 52, 4))
    # libsndfile can crash writing a long Ogg in one call: write WAV, let ffmpeg encode
    import soundfile as sf

    y, _ = synth_song(None, bars=56, form=form)
    sf.write(str(folder / "song.wav"), y, 44100)
    run_ffmpeg(["-y", "-i", str(folder / "song.wav"), str(folder / "song.ogg")], "encoding")
    make_clips(str(folder / "clips"), size=(160, 90), max_seconds=6)
    for logo in (folder / "logo.png", folder / "brand" / "logo.png"):
        run_ffmpeg(["-y", "-f", "lavfi", "-i", "color=c=0xff3860:s=64x32", "-frames:v", "1",
                    str(logo)], "making a test logo")
    return folder


@pytest.mark.parametrize("name", RECIPES)
def test_example_validates_and_plans(media, name):
    from editspec.pipeline import plan_recipe

    recipe = load_recipe(str(media / name))
    assert probe_recipe_media(recipe) == []
    assert len(recipe.clip_paths) == 6
    edl = plan_recipe(recipe)
    assert edl.duration_frames > 0 and len(edl.events) >= 2
    if recipe.output.duration_s is not None:
        assert abs(edl.duration_frames / edl.fps - recipe.output.duration_s) < 0.2


def test_dsl_example_equals_its_yaml(media):
    dsl = load_recipe(str(media / "teaser.edit"))
    yaml = load_recipe(str(media / "teaser.yaml"))
    assert dataclasses.replace(dsl, path=yaml.path) == yaml


def test_brand_recipes_take_the_kit_and_override_it(media):
    promo = load_recipe(str(media / "brand-promo.yaml"))
    story = load_recipe(str(media / "brand-story.yaml"))
    kit = str(media / "brand" / "kit.yaml")
    assert promo.extends == (kit,) and story.extends == (kit,)
    assert (promo.output.width, promo.output.height) == (1080, 1920)  # the kit's 9:16
    assert (story.output.width, story.output.height) == (1080, 1350)  # overridden 4:5
    assert promo.cuts.pattern == "energy-map" and story.cuts.pattern == "calm"
    logo = promo.overlays[0]
    assert logo.kind == "image" and logo.image == str(media / "brand" / "logo.png")
    title = promo.overlays[1]
    assert title.text == "Spring drop"
    assert title.style.font == "DejaVu Sans Bold" and title.style.color == "#fee715"
    assert title.position == "top"
    assert [t.kind for t in promo.transitions] == ["dip-to-black"]


def test_product_loop_variables_from_the_command_line(media):
    r = load_recipe(str(media / "product-loop.yaml"), variables={"price": "89.5"})
    texts = [o.text for o in r.overlays if o.kind == "text"]
    assert texts == ["Trail Shoe", "only 89.5 €"]
    assert r.overlays[2].style.color == "#ff3860"
    with pytest.raises(RecipeErrors) as info:
        load_recipe(str(media / "product-loop.yaml"), variables={"prize": "1"})
    assert [e.message for e in info.value.errors] == ["variable 'prize' is set but not declared"]
    assert info.value.errors[0].hint == "did you mean 'price'?"
