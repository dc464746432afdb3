from translate.quality import degeneration_flags


def test_sane_translation_has_no_flags():
    assert degeneration_flags("Poetin eiste garanties van de NAVO.", "Putin demanded guarantees from NATO.") == []


def test_repetition_loop_is_flagged():
    assert "repetition" in degeneration_flags("Daarna ging hij naar huis.", "Afterward afterward afterward he went")


def test_stutter_and_lengths_are_flagged():
    assert "stutter" in degeneration_flags("Het was onbegrijpelijk.", "It was indddddible.")
    assert "too-short" in degeneration_flags("De verwachtingen voor het overleg waren niet bepaald groot.", "No.")
    assert "too-long" in degeneration_flags("Ja, dat klopt wel zo.", "Yes " + "that is right " * 10)
    assert degeneration_flags("Hallo daar.", "") == ["empty"]


def test_repetition_in_the_source_is_not_blamed_on_the_model():
    assert degeneration_flags("Ha ha ha, zei hij.", "Ha ha ha, he said.") == []
