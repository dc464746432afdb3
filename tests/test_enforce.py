"""Glossary repair on sentencepiece pieces: the pure functions behind enforcement."""

from glossary import enforce

# "▁Po et in s ' s ▁troepen" style pieces, as sentencepiece writes them
PIECES = ["▁Po", "et", "in", "'", "s", "▁troops", "▁are", "▁at", "▁the", "▁NA", "VO", "-", "border", "."]


def test_detokenize_joins_pieces_and_byte_fallback():
    assert enforce.detokenize(["▁Hallo", "▁", "<0xF0>", "<0x9F>", "<0x98>", "<0x80>", "!"]) == "Hallo 😀!"


def test_word_runs_break_at_punctuation_and_word_starts():
    runs = enforce.word_runs(PIECES)
    texts = [enforce.run_text(PIECES, r) for r in runs]
    assert texts == ["Poetin", "s", "troops", "are", "at", "the", "NAVO", "border"]


def test_lexical_run_finds_copied_dutch_form():
    run = enforce.lexical_run(PIECES, ["Poetins", "Poetin", "Putin"])
    assert enforce.run_text(PIECES, run) == "Poetin"
    assert enforce.replace_run(PIECES, run, "Putin", all_caps=False) == "Putin's troops are at the NAVO-border."


def test_replacement_inside_a_compound_keeps_the_rest():
    run = enforce.lexical_run(PIECES, ["NAVO", "NATO"])
    assert enforce.replace_run(PIECES, run, "NATO", all_caps=False) == "Poetin's troops are at the NATO-border."


def test_lexical_run_ignores_unrelated_words():
    assert enforce.lexical_run(PIECES, ["Kazachstan"]) is None


def test_source_piece_span_maps_chars_to_pieces():
    text = "De NAVO-top in Genève."
    pieces = ["▁De", "▁NA", "VO", "-", "top", "▁in", "▁Gen", "<0xC3>", "<0xA8>", "ve", "."]
    assert enforce.source_piece_span(text, pieces, 3, 7) == (1, 3)
    assert enforce.source_piece_span(text, pieces, 15, 21) == (6, 10)


def test_attention_run_follows_the_peak():
    pieces = ["▁The", "▁Russian", "▁president"]
    attention = [[0.8, 0.1, 0.1], [0.1, 0.1, 0.8], [0.1, 0.8, 0.1]]
    run = enforce.attention_run(attention, pieces, (2, 3))
    assert enforce.run_text(pieces, run) == "Russian"


def test_casing_at_sentence_start_and_in_headlines():
    assert enforce.cased("cold war", sentence_start=True, all_caps=False) == "Cold war"
    assert enforce.cased("NATO", sentence_start=False, all_caps=False) == "NATO"
    assert enforce.cased("Putin", sentence_start=False, all_caps=True) == "PUTIN"
    assert enforce.is_all_caps("POETIN DREIGT OEKRAÏNE")
    assert not enforce.is_all_caps("Poetin dreigt NAVO")


def test_insertion_prefix_keeps_words_before_the_focus():
    assert enforce.insertion_prefix(PIECES, 2, "NATO", all_caps=False) == "Poetin's troops NATO"
    assert enforce.insertion_prefix(PIECES, 0, "cold war", all_caps=False) == "Cold war"


def test_garbled_name_is_found_with_a_looser_match():
    pieces = ["▁president", "▁Vladimir", "▁Pla", "din", "."]
    run = enforce.lexical_run(pieces, ["Poetin", "Putin"])
    assert enforce.replace_run(pieces, run, "Putin", all_caps=False) == "president Vladimir Putin."
    assert enforce.lexical_run(["▁the", "▁troops", "."], ["Poetin", "Putin"]) is None


def test_replacing_digits_keeps_the_space_before_them():
    pieces = ["▁more", "▁than", "▁", "1", "0", "0", ".", "0", "0", "0", "▁soldiers"]
    run = enforce.lexical_run(pieces, ["100.000", "100,000"])
    assert enforce.replace_run(pieces, run, "100,000", all_caps=False) == "more than 100,000 soldiers"


def test_appended_term_goes_before_the_full_stop():
    pieces = ["▁He", "▁said", "▁so", "."]
    assert enforce.insertion_prefix(pieces, 3, "NATO", all_caps=False) == "He said so NATO"
