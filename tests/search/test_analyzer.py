from __future__ import annotations

from xinfang.search.analyzer import normalize, normalize_with_origin, parse_query, tokens


def test_full_width_letters_digits_and_spaces_become_half_width_and_lower_case() -> None:
    assert normalize("ＡＢＣ１２３　物业") == "abc123 物业"


def test_zero_width_characters_disappear_and_control_characters_separate() -> None:
    assert normalize("物\u200b业\x01管理") == "物业 管理"


def test_every_normalised_character_maps_back_to_its_original_position() -> None:
    text, origin = normalize_with_origin("Ａ\u200bｂ①")
    assert (text, origin) == ("ab1", [0, 2, 3])


def test_a_character_that_expands_beside_one_that_vanishes_still_maps_back() -> None:
    # Same length before and after, yet not character for character: ﬁ → fi, \u200b → "".
    text, origin = normalize_with_origin("ﬁ\u200b物业")
    assert (text, list(origin)) == ("fi物业", [0, 0, 2, 3])


def test_a_text_that_maps_character_for_character_keeps_its_positions() -> None:
    text, origin = normalize_with_origin("Ａ区物业")
    assert (text, list(origin)) == ("a区物业", [0, 1, 2, 3])


def test_a_run_gives_overlapping_bigrams_then_its_last_character() -> None:
    assert tokens("物业管理") == ["物业", "业管", "管理", "理"]


def test_a_single_character_run_is_one_token() -> None:
    assert tokens("区，市") == ["区", "市"]


def test_ascii_letters_and_digits_are_characters_of_the_run() -> None:
    assert tokens("a3区 2019") == ["a3", "3区", "区", "20", "01", "19", "9"]


def test_punctuation_and_underscores_separate_runs() -> None:
    assert tokens("a_b-c") == ["a", "b", "c"]


def test_a_query_splits_on_whitespace_and_drops_repeats_and_bare_punctuation() -> None:
    query = parse_query("物业  Ｂ3区 ， 物业 a-3")
    assert [term.text for term in query.terms] == ["物业", "b3区", "a-3"]
    assert query.ignored == (",",)


def test_only_terms_with_separators_inside_need_the_stored_text_to_confirm_them() -> None:
    terms = {term.text: term for term in parse_query("物业管理 a-3 ,物业 区").terms}
    assert [terms[t].needs_check for t in ("物业管理", "a-3", ",物业", "区")] == [
        False,
        True,
        True,
        False,
    ]


def test_an_overlong_query_is_cut_to_eight_terms_of_fifty_characters() -> None:
    query = parse_query(" ".join(f"词{n}" * 40 for n in range(20)))
    assert len(query.terms) == 8
    assert {len(term.text) for term in query.terms} == {50}
