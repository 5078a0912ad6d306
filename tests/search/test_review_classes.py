"""The classes of faults a reader found in 60 generated questions (issue 21's review), each on a few
documents written here: a date moved onto another entity or read from a model number, a link to another
sense of the word, a hop through an entry that only lists senses, 'a kind of X' made from 'the study of
X', a cut genus phrase, a vague genus as an entity's only clue, a category lifted from a longer phrase."""

from __future__ import annotations

import random

import pytest

from synth.environments.search._clues import Features, broader, events_of, genus_of
from synth.environments.search._corpus import Document, Mentions, build


def _doc(title: str, text: str, **extra: object) -> Document:
    return Document(id="d:" + title.replace(" ", "_"), title=title, text=text, **extra)


def _years(text: str, name: str) -> set[int]:
    return {year for _, year, _, _ in events_of(text, (name,))}


# -- 1: a date clue only where the sentence's subject is the entity and the number reads as a year ----------
def test_a_date_in_a_sentence_about_another_entity_is_no_clue() -> None:
    nobel = ("The Nobel Prizes are five separate prizes awarded under the will of Alfred Nobel. They were first awarded "
             "in 1901. A sixth prize, the Prize in Economic Sciences, was established in 1968 by the Riksbank.")
    ranchi = ("Ranchi is the capital of the Indian state of Jharkhand. Ranchi was the centre of the Jharkhand movement, "
              "and the state was formed in 2000 by carving out districts of Bihar.")
    qing = "The Qing dynasty was the last imperial dynasty of China. The Later Jin dynasty was founded in 1616 by Nurhaci."
    germany = "Germany is a country in Central Europe. With the advent of the Cold War, two German states were formed in 1949."
    assert _years(nobel, "Nobel Prize") == set()
    assert _years(ranchi, "Ranchi") == set()
    assert _years(qing, "Qing dynasty") == set()
    assert _years(germany, "Germany") == set()


def test_a_date_whose_subject_is_the_entity_stays() -> None:
    assert _years("Interpol is an organisation. Interpol was founded in 1923 in Vienna.", "Interpol") == {1923}
    assert _years("The Eiffel Tower is a tower. It was completed in 1889 for the fair.", "Eiffel Tower") == {1889}
    assert _years("Kevo is a language. It was released in 1991.", "Kevo") == {1991}
    assert _years("Ada Lovelace (10 December 1815 – 27 November 1852) was a mathematician.", "Ada Lovelace") == {1815}


def test_a_span_of_years_after_the_lead_is_no_lifespan() -> None:
    text = ("Clive Staples Lewis was a British writer. He held academic positions in English literature at both "
            "Magdalen College, Oxford (1925–1954), and Magdalene College, Cambridge (1954–1963).")
    assert _years(text, "C. S. Lewis") == set()
    montage = "An active DBMS developed at Berkeley by a team led by Michael Stonebraker (1986-1990)."
    assert _years(montage, "Postgres") == set()


def test_a_model_number_is_no_year() -> None:
    text = ("Portable Commodore 64 is a portable version of the Commodore 64, with a flip-down keyboard, "
            "a 5-inch colour monitor, and a built-in 1541 floppy disk drive.")
    assert _years(text, "Portable Commodore 64") == set()
    assert _years("SX-64 is a computer. It was built in 1541 disk drive form.", "SX-64") == set()


# -- 4: a relational genus takes its complement's phrase ---------------------------------------------------
def test_the_study_or_group_of_something_is_not_a_kind_of_it() -> None:
    for text, want in (("Computer science is the study of computation, information, and automation.", "study of computation"),
                       ("Music theory is the study of theoretical frameworks for understanding music.", "study of theoretical frameworks"),
                       ("A language family is a group of languages related through descent.", "group of languages"),
                       ("Greek mythology is the body of myths originally told by the ancient Greeks.", "body of myths"),
                       ("Zilog Z8: A family of microcontrollers from Zilog.", "family of microcontrollers"),
                       ("database transaction: A set of related changes to a database.", "set of related changes")):
        found = genus_of(text.split(": ", 1)[-1])
        assert found is not None and found[0] == want and not found[2], (text, found)
        assert text.split(": ", 1)[-1][found[3]:found[4]].casefold() == want
    found = genus_of("The carp is a kind of fish found in rivers.")
    assert found is not None and found[0] == "fish" and found[2]  # 'kind of' is still a kind of


# -- 5 and 6: a genus is a noun phrase, never cut, never a vague word alone ------------------------------------
def test_a_genus_phrase_is_never_cut_or_vague() -> None:
    bad = ["The Kartvelian languages are a language family indigenous to the Caucasus.",
           "Dalian is a major prefecture-level city of Liaoning.",
           "Kevo: A prototype-based object-oriented language.",
           "A character specifying how to display a Gopher document.",
           "A PBX is a telephone exchange local to a particular organisation.",
           "Xfun is a cross between SML and Russell.",
           "Xfun2 is a compact, polymorphically typed functional language.",
           "Centrex is a service offered by a telephone company.",
           "Jughead is a tool for searching Gopher menus.",
           "A victim cache is an extension to a cache.",
           "Microlog is a section of non-volatile memory.",
           "The 6510 is a successor to the 6502.",
           "PICS is a standard for labelling content.",
           "Hybrid testing: A combination of top-down and bottom-up testing.",
           "A vendor of database software.", "An accessory for the X Window System."]
    for text in bad:
        found = genus_of(text)
        assert found is None or (len(found[0].split()) > 1 and not found[0].endswith(("-level", "-based", "local", "indigenous"))), (text, found)
    gal = genus_of("A family of fuse-programmable logic integrated circuits made by MMI.")
    assert gal is not None and gal[0] == "family of fuse-programmable logic integrated circuits", gal
    assert genus_of("Ada is a language designed for embedded systems.")[0] == "language"
    assert genus_of("Kartvelian is a language family indigenous to the Caucasus.")[0] in ("language family", "family")


# -- 2: a mention names the sense the target is about ---------------------------------------------------------
def _mentions(source: str, *targets: Document) -> set[str]:
    return set(Mentions(list(targets)).find(source))


def test_a_mention_of_another_sense_is_no_link() -> None:
    scale = _doc("Scale (music)", "In music theory, a scale is any set of musical notes ordered by pitch.")
    phoenix = _doc("Phoenix (mythology)", "The phoenix is an immortal bird associated with Greek mythology.")
    supper = _doc("The Last Supper (Leonardo)", "The Last Supper is a mural painting by Leonardo da Vinci.", aliases=["Last Supper"])
    shandong = _doc("Shandong", "Shandong is a coastal province in East China.")
    assert _mentions("Scale models are generally smaller than the original.", scale) == set()
    assert _mentions("The date palm, Phoenix dactylifera, is a flowering plant.", phoenix) == set()
    assert _mentions("The Eucharist was instituted by Jesus Christ at the Last Supper.", supper) == set()
    assert _mentions("Dalian is a city on the Shandong peninsula.", shandong) == set()
    play = _doc("Romeo and Juliet", "Romeo and Juliet is a tragedy written by William Shakespeare.")
    assert _mentions('Some jurisdictions provide exceptions through "Romeo and Juliet laws" for couples.', play) == set()


def test_a_mention_of_the_same_sense_stays() -> None:
    scale = _doc("Scale (music)", "In music theory, a scale is any set of musical notes ordered by pitch.")
    shandong = _doc("Shandong", "Shandong is a coastal province in East China.")
    jiangsu = _doc("Jiangsu", "Jiangsu is a coastal province in East China.")
    assert _mentions("A mode of music is built on a Scale of seven notes.", scale) == {scale.id}
    assert _mentions("Qingdao is a city in Shandong, China.", shandong) == {shandong.id}
    einstein = _doc("Albert Einstein", "Albert Einstein was a German-born theoretical physicist.")
    assert _mentions("The principle of equivalence in Albert Einstein requires that mass be equal.", einstein) == {einstein.id}
    assert _mentions("Einstein's theory changed physics.", _doc("Einstein", "Einstein was a physicist.")) == {"d:Einstein"}
    assert _mentions("Suzhou is a city in southern Jiangsu province.", jiangsu) == {jiangsu.id}


def test_an_abbreviation_names_its_entry_only_in_a_text_of_the_same_field() -> None:
    """FOLDOC review: 'Atari ... merged with JTS' (the drive maker) was linked to JTS, 'a simple dialect of JOVIAL'."""
    jts = _doc("JTS", "A simple dialect of JOVIAL. [Sammet 1969, p. 528].")
    atari = ("A maker of arcade games, home video game systems, and home computers. Atari ceased to be a separate company "
             "in 1996 when merged with JTS. In 1998, JTS sold the Atari assets to Hasbro.")
    jovial = "A version of IAL produced by Jules I. Schwartz in 1959-1960. Dialects: J3, JOVIAL J73, JS, JTS."
    assert _mentions(atari, jts) == set()
    assert _mentions(jovial, jts) == {jts.id}
    assert _mentions("The TCP protocol carries the stream.", _doc("TCP", "Transmission Control Protocol.")) == {"d:TCP"}


# -- 3: no hop through an entry that lists senses --------------------------------------------------------------
def test_no_walk_through_an_entry_that_only_lists_senses() -> None:
    docs = [_doc("USB Adapter Card Support", "USB Adapter Card Support is a driver package. It adds USB to old machines.", links=["d:USB"]),
            _doc("USB", "1. Universal Serial Bus.\n2. Upper Side-Band modulation.", links=["d:Universal_Serial_Bus", "d:Upper_Side-Band"]),
            _doc("Markov", "See Andrei Markov, Markov chain, Markov model.", links=["d:Universal_Serial_Bus"]),
            _doc("Universal Serial Bus", "Universal Serial Bus is an external bus standard.", links=["d:USB"]),
            _doc("Upper Side-Band", "Upper Side-Band modulation is a radio technique.", links=["d:USB"])]
    f = Features(build("t", docs))
    order = {d.id: i for i, d in enumerate(f.corpus.documents)}
    assert f.listing[order["d:USB"]] and f.listing[order["d:Markov"]]
    assert not f.listing[order["d:Universal_Serial_Bus"]]
    assert order["d:USB"] not in f.outgoing[order["d:USB_Adapter_Card_Support"]]


# -- 7: a category is quoted only where the text calls the entity one -------------------------------------------
def test_a_category_lifted_from_a_longer_phrase_is_no_clue() -> None:
    guyana = _doc("Guyana", "Guyana is the only English-speaking country in South America.", category="country in South America",
                  links=["d:Brazil"])
    brazil = _doc("Brazil", "Brazil is a country in South America.", category="country in South America", links=["d:Guyana"])
    f = Features(build("t", [guyana, brazil]))
    kinds = {d.title: {c.kind for c in f.proposals(i, random.Random(1))} for i, d in enumerate(f.corpus.documents)}
    assert "category" not in kinds["Guyana"]
    assert "category" in kinds["Brazil"] or "genus" in kinds["Brazil"]


# -- the second reading (issue 21 round 3): a participle or an evaluative word read as a kind of thing, a false nationality --
def test_a_participle_or_an_evaluative_word_is_no_genus() -> None:
    found = genus_of("The Sino-Burmese War was a war fought between Qing China and Burma.")
    assert found is not None and found[0] == "war"  # not 'war fought', nor 'a fought' once broadened
    assert genus_of("Green politics is a diverse group of movements.") is None
    assert genus_of("Avogadro's number is a large number of particles.") is None
    assert genus_of("Sun Wukong, also known as the Monkey King, is a literary and religious figure.") is None  # 'a literary'
    found = genus_of("Shiitake is an edible mushroom native to East Asia.")
    assert found is not None and found[0] == "edible mushroom"  # 'native to' follows its noun
    assert broader("Shiitake is an edible mushroom native to East Asia.", found)[0] == "mushroom"


def test_a_genus_is_broadened_only_to_a_head_that_says_something() -> None:
    for text, want in (("Gaur is a large bovine.", "bovine"), ("A sitar is a stringed instrument.", "instrument"),
                       ("X is a saltwater fish.", "fish")):
        found = genus_of(text)
        broad = broader(text, found)
        assert broad is not None and broad[0] == want and text[broad[3]:broad[4]].casefold() == want, (text, broad)
    for text in ("X is a build tool.", "X is the study of computation.", "X is a handscroll.",
                 "X is a software library.", "X is a functional programming language.",
                 "It is a binary packing.", "It is a config files."):  # 'described as packing', 'described as files'   # 'a library', 'a language': which kind?
        assert broader(text, genus_of(text)) is None, text


def test_a_name_the_corpus_has_an_entry_for_or_half_a_compound_is_no_nationality() -> None:
    docs = [_doc("Fortran", "Fortran is a programming language.", links=["d:g77"]),
            _doc("g77", "g77 is a Fortran compiler from the GNU project."),
            _doc("Hindustani", "Hindustani is an Indo-Aryan language spoken in North India."),
            _doc("Bartok", "Bartok was a Hungarian composer and pianist.")]
    corpus = build("t", docs)
    f = Features(corpus)
    q = {d.title: f.qualifier[corpus.order[d.id]] for d in docs}
    assert q["g77"] is None and q["Hindustani"] is None
    assert q["Bartok"] is not None and q["Bartok"][0] == "Hungarian"


# -- the third reading (issue 21, seed 4711, 93 questions): the genus is the head of the noun phrase ----------
def test_the_genus_is_the_head_of_the_noun_phrase_not_the_first_noun_like_word() -> None:
    for text, want in (("Las Meninas is a 1656 oil painting by Diego Velázquez.", "oil painting"),  # was 'an oil'
                       ("A US research and development organisation that funds projects.",
                        "research and development organisation"),  # was 'a research'
                       ("A distributed language integrating classes with objects.", "distributed language"),  # was 'classes'
                       ("Augustus was a second emperor of Rome.", "emperor"),  # was 'a second emperor'
                       ("Franz Liszt is a Hungarian composer and pianist.", "composer")):
        found = genus_of(text)
        assert found is not None and found[0] == want and text[found[3]:found[4]].casefold() == want, (text, found)


def test_a_head_that_says_what_the_thing_is_to_another_is_no_genus() -> None:
    for text in ("Chinese architecture is the embodiment of an architectural style that has developed over millennia.",
                 "Quantum field theory is the theoretical developments needed to explain particles.",  # 'developments'
                 "A subset of Ada.", "A replacement for SMTP.", "A parallel version of C.", "A disk drive maker in California.",
                 "X is an umbrella term for many things.", "X was a pivotal event in history.", "X is an arrangement of notes.",
                 "A mode of operation for block ciphers.", "An enhancement to the X protocol.", "A scheme for encoding.",
                 "A community of developers.", "A huge set of compiler building tools for Unix."):  # was 'a huge'
        assert genus_of(text) is None, (text, genus_of(text))


def test_a_relational_genus_keeps_the_article_of_its_text() -> None:
    from synth.environments.search._clues import Clue
    branch = Clue("genus", (("value", "branch of mathematics"), ("verb", "is"), ("kind_of", False)))
    assert branch.text("X", None).endswith("is a branch of mathematics")  # the text says 'a branch', not 'the branch'


# -- a docs-site page's description is used whole or not at all (issue 21, seed 4711: 'described as reading') ---
def test_a_site_description_is_used_whole_or_not_at_all() -> None:
    from synth.environments.search._clues import described
    whole = {"Archive reading": "archive reading", "Date parsing": "date parsing", "Secure hashes": "secure hashes",
             "Config files": "config files", "Socket servers": "socket servers", "Text wrapping": "text wrapping"}
    docs = [_doc(f"mod{i}", f"mod{i} — {c.lower()}. The module does things.", category=c, links=["d:codec"]) for i, c in enumerate(whole)]
    docs += [_doc("codec", "codec — encoder and decoder. It encodes.", category="Encoder and decoder"),
             _doc("fmt", "fmt — formats values. It formats.", category="Formats values")]
    f = Features(build("t", docs))
    for i, d in enumerate(f.corpus.documents):
        genus, broad = f.genus[i], f.broad[i]
        if d.category in whole:
            assert genus is not None and genus[0] == whole[d.category], (d.category, genus)  # not 'described as reading'
            assert broad is None, (d.category, broad)  # never cut to its last word in another question of the run
        else:
            assert genus is None, (d.category, genus)  # not 'an encoder', not 'described as formats values'
    assert described(_doc("m", "m — mock object library.", category="mock object library"))[0] == "mock object library"


# -- a name inside a longer token, or the document's own name, is no mention (FOLDOC, seed 4711) ----------------
def test_a_name_inside_a_longer_token_or_the_entrys_own_abbreviation_is_no_mention() -> None:
    ctc = _doc("CTC", "CTC is a compiler.")
    osf = _doc("OSF", "The Open Software Foundation.")
    ddn = _doc("Defense Data Network", "The DDN is a network.", aliases=["DDN"])
    arpanet = _doc("ARPAnet", "ARPAnet was a network.")
    ctcpp = _doc("CTC++", "A test coverage analysis tool from Testwell for C and C++ that checks for function, decision, "
                          "condition and multicondtion coverage in host, target and kernel. CTC++ Home (http://testwell.fi/).")
    dod = _doc("Department of Defense Network", "(DDN) A military subset of the Internet, which includes ARPAnet.")
    found = Mentions([ctc, osf, ddn, arpanet, ctcpp, dod])
    assert set(found.find(ctcpp.text, ctcpp.id)) == set()  # not 'CTC' in 'CTC++'
    assert set(found.find(dod.text, dod.id)) == {arpanet.id}  # not its own '(DDN)' as 'Defense Data Network'
    assert set(found.find("It ran OSF/1 on a MIPS box.", "x")) == set()  # not 'OSF' in 'OSF/1'
    assert set(found.find("The CTC compiler ran on OSF software over the DDN.", "x")) == {ctc.id, osf.id, ddn.id}  # whole names stay


def test_an_entry_named_x_of_y_calls_itself_x() -> None:
    """Seen in this round's wiki questions: 'Muhammad Ali of Egypt' ('Muhammad Ali was an Ottoman military commander')
    was linked to the boxer, and 'Three Kingdoms of Korea' to China's Three Kingdoms."""
    boxer = _doc("Muhammad Ali", "Muhammad Ali was an American professional boxer.")
    egypt = _doc("Egypt", "Egypt is a country in North Africa.")
    ruler = _doc("Muhammad Ali of Egypt", "Muhammad Ali was an Ottoman military commander and ruler of Egypt.")
    found = Mentions([boxer, egypt, ruler])
    assert set(found.find(ruler.text, ruler.id)) == {egypt.id}
    assert set(found.find("Muhammad Ali fought Joe Frazier in Egypt.", "x")) == {boxer.id, egypt.id}


def test_a_border_is_evidenced_by_the_border_countries_line() -> None:
    from synth.environments.search._programmatic import Composer
    norway = _doc("Norway", "Independence: 7 June 1905 (declared the union with Sweden dissolved)\n"
                            "Border countries: Finland 709 km; Sweden 1,666 km; Russia 191 km", links=["d:Sweden"])
    sweden = _doc("Sweden", "Border countries: Finland 545 km; Norway 1,666 km", links=["d:Norway"])
    corpus = build("factbook_t", [norway, sweden], relation="borders")
    gen = Composer.__new__(Composer)
    gen.corpus, gen._mentions, gen._found, gen.f = corpus, None, {}, Features(corpus)
    span = gen.mention(corpus.order["d:Norway"], corpus.order["d:Sweden"])
    assert span is not None and norway.text[span[0]:span[1]] == "Sweden"
    assert norway.text.rfind("\n", 0, span[0]) + 1 == norway.text.index("Border countries")  # not the Independence line


# -- an answer from a field stating two values is none; a year window stays within the corpus's years ------------
def test_a_field_that_states_two_dates_gives_no_date_fact() -> None:
    from synth.environments.search._corpus import load
    factbook = load("factbook")
    by_title = {d.title: d for d in factbook.documents}
    belgium = by_title["Belgium"]
    assert "4 October 1830" in belgium.text and "21 July 1831" in belgium.text
    assert "independence" not in belgium.facts  # the review's '4 October 1830' answer: which of the two dates?
    assert "independence" not in by_title["Mexico"].facts  # 1810 declared, 1821 recognized
    assert any("independence" in d.facts for d in factbook.documents)  # a single stated date stays


def test_a_year_window_never_runs_past_the_corpus_latest_year() -> None:
    docs = [_doc("zipfile", "zipfile — archive reading. The ZipFile.read method was added in 2021.", links=["d:tarfile"]),
            _doc("tarfile", "tarfile — tape archives. It was added in 2004.", links=["d:zipfile"])]
    f = Features(build("t", docs))
    assert f.latest == 2021
    for seed in range(60):
        for i in range(2):
            for clue in f.proposals(i, random.Random(seed), surface=True):
                if clue.kind in ("event", "year_range"):
                    p = clue.p
                    assert p["hi"] <= 2021 or (p["hi"] == p["lo"] + 9 and p["lo"] % 10 == 0), clue  # not 'between 2020 and 2039'
                    assert p["lo"] <= 2021 and (p["lo"] <= 2004 or p["hi"] >= 2021)


# -- the flagger catches what the reader caught (issue 21, seed 4711) ------------------------------------------------
def test_the_flagger_catches_a_cut_genus_a_relative_head_and_a_mention_inside_a_token() -> None:
    import sys
    from pathlib import Path
    sys.path.insert(0, str(Path(__file__).parent))
    from review_flags import flags

    meninas = _doc("Las Meninas", "Las Meninas is a 1656 oil painting in the Museo del Prado in Madrid.", links=["d:Pagoda"])
    pagoda = _doc("Pagoda", "Chinese architecture is the embodiment of an architectural style.", links=["d:Las_Meninas"])
    cnri = _doc("CNRI", "(CNRI) A US research and development organisation in Reston.", links=["d:CTC"])
    ctc = _doc("CTC", "Cornell Theory Center.", links=["d:CNRI"])
    ctcpp = _doc("CTC++", "A test coverage analysis tool from Testwell for C and C++. CTC++ Home.", links=["d:CTC"])
    site = _doc("hulfen", "hulfen — Archive reading\nThe hulfen module provides archive reading.", category="Archive reading",
                links=["d:CTC"])
    corpus = build("t", [meninas, pagoda, cnri, ctc, ctcpp, site])

    def clue(doc: Document, text: str, quote: str) -> dict:
        at = doc.text.index(quote)
        return {"subject": "X1", "text": text, "kind": "genus", "doc": doc.id, "span": [at, at + len(quote)]}

    row = {"evidence_documents": [{"id": d.id, "title": d.title} for d in (meninas, pagoda, cnri, ctcpp, site)],
           "answer": "Las Meninas", "answer_type": "entity",
           "clues": [clue(meninas, "X1 is an oil", "oil"), clue(pagoda, "X1 is an embodiment", "embodiment"),
                     clue(cnri, "X1 is a research", "research"), clue(site, "X1 is described as reading", "reading")],
           "links": [{"source": ctcpp.id, "source_title": "CTC++", "target": ctc.id, "target_title": "CTC", "relation": "mentions",
                      "mention": "CTC", "sentence": "CTC++ Home."}]}
    found = flags(row, corpus)
    text = "\n".join(what for _, what in found)
    assert {c for c, _ in found} >= {8, 9, 10}, found
    for what in ("'X1 is an oil'", "'X1 is a research'", "'X1 is described as reading'", "'X1 is an embodiment'", "'CTC' inside"):
        assert what in text, (what, text)


def test_an_item_inside_a_lists_parenthetical_note_is_not_listed() -> None:
    from synth.environments.search._clues import listed_of
    doc = _doc("Xland", "Religions: Roman Catholic 70%, Protestant 20%, other 1.5% (includes Muslim, Jewish, Hindu)")
    items = {item for _, item, _, _ in listed_of(doc)}
    assert "Hindu" not in items and "Jewish" not in items  # the review's 'lists Hindu among its religions'
    assert {"Roman Catholic", "Protestant"} <= items


def test_the_x_of_y_and_a_superlative_are_no_genus_of_their_own() -> None:
    for text in ("The speed of light is the speed of electromagnetic waves.",
                 "The photoelectric effect is the emission of electrons from a material.",
                 "Ross Sea is the southernmost region of the ocean."):
        assert genus_of(text) is None, (text, genus_of(text))
    found = genus_of("The Mekong is the fifth-longest river in Asia.")
    assert found is not None and found[0] == "river", found  # not 'a fifth-longest river'
    found = genus_of("Paris is the capital city of France.")
    assert found is not None and found[0] == "capital city", found


# -- vague one-word genera (the fourth reading's leftovers: 'a quantity', 'an agency', 'a line', 'an accumulation') -------
@pytest.mark.parametrize("text, want", [
    # a head that measures or holds something: alone no kind of thing, with 'of Y' the whole phrase
    ("Speed is a quantity that measures motion.", None),
    ("The sample is an accumulation.", None),
    ("The iPhone is a line of smartphones designed by Apple.", "line of smartphones"),
    ("A moraine is an accumulation of unconsolidated debris.", "accumulation of unconsolidated debris"),
    ("An ice sheet is a mass of glacial ice.", "mass of glacial ice"),
    # a head that says what a thing does for others: refused alone, kept with a modifier
    ("The FBI is an agency of the government.", None),
    ("Heredity is the passing of traits to offspring.", None),
    ("Foo is a government agency.", "government agency"),
    ("A US research and development organisation that funds projects.", "research and development organisation"),
    # a preposition ends the phrase (read in a 4-hop wiki question: 'X1 is a state along.')
    ("Gujarat is a state along the western coast of India.", None),  # never "a state along"; "a state" alone says too little
    ("X is a town beside the river.", "town"),
    ("Y is a road towards the sea.", "road"),
])
def test_a_vague_one_word_genus_is_refused_or_widened_by_class(text: str, want: str | None) -> None:
    found = genus_of(text)
    assert (found[0] if found else None) == want, (text, found)
    if found:
        assert text[found[3]:found[4]].casefold() == want
        assert broader(text, found) is None  # never broadened back to the vague head


# -- the second reading (59 questions at 4 hops): a list sharing a head, modifiers coordinated before a head ----
def test_a_name_in_a_list_that_shares_one_head_is_no_mention() -> None:
    noble = _doc("Skanderbeg", "Skanderbeg was an Albanian nobleman.")
    korab = _doc("Korab", "Korab is a mountain.")
    paris, rome = _doc("Paris", "Paris is a city."), _doc("Rome", "Rome is a city.")
    found = Mentions([noble, korab, paris, rome])
    # the mountains, not the nobleman: every name of the list is part of 'X Mountains'
    assert set(found.find("The ranges are the Korab, Skanderbeg, Pindus and Ceraunian Mountains.", "x")) == set()
    assert set(found.find("Skanderbeg led the revolt from Korab.", "x")) == {noble.id, korab.id}  # whole names stay
    assert set(found.find("He saw Paris, Rome and the Canary Islands.", "x")) == {paris.id, rome.id}  # no shared head
    assert set(found.find("Between Paris, Rome and Naples.", "x")) == {paris.id, rome.id}


@pytest.mark.parametrize("text, want", [
    ("K is the second-largest nature and landscape conservation area in the world.", None),  # not 'a nature'
    ("P is a poet and short story writer.", None),
    ("L was a Hungarian composer and pianist of the Romantic era.", "composer"),  # nouns coordinated: the first is true
    ("T is a town and civil parish in England.", "town"),
    ("R is a research and development organisation in Ohio.", "research and development organisation"),
])
def test_modifiers_coordinated_before_a_head_are_no_genus_of_their_own(text: str, want: str | None) -> None:
    got = genus_of(text)
    assert (got[0] if got else None) == want
