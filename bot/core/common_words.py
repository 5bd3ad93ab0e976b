"""Everyday English words that some glossary entries also use as a name or an alias.

Scanning free text for terms ("Explain terms") must not turn every "push", "option" or "map" into a
glossary hit, so single-word keys in this list are skipped there (lookups with /term are unaffected:
someone who types `/term push` means the term). The list holds the most frequent English words plus
the everyday words the shipped glossary uses as one-word aliases, short names or acronyms; domain
words that are worth explaining whenever they appear (inventory, backlog, kanban, demand, capacity)
are deliberately left out.
"""

from __future__ import annotations

from bot.core.normalize import normalize

_FREQUENT = """
a about above across act add after again against age ago agree ahead air all allow almost alone along already also
although always am among an and another answer any anyone anything appear apply are area arm around arrive art as ask
at away back bad bag ball bank base be bear beat beautiful because become bed been before begin behind being believe
below best better between big bill bit black blue board body book both box boy break bring brother build business but
buy by call can car card care carry case catch cause center certain chance change charge check child choose city class
clear close cold come common company cost could country course cover cross cup cut dark day dead deal dear decide deep
did die different do does dog done door down draw dream drive drop during each early easy eat effect eight either else
end enough even ever every example eye face fact fall family far fast father fear feel few field fight figure fill
final find fine fire first fish five floor fly follow food foot for force form four free friend from front full fun
game general get girl give glad go good got great green ground group grow had half hand happen happy hard has have he
head hear heart heavy hello help her here high him his hit hold home hope horse hot hour house how however huge human
i idea if important in inside instead into is issue it its job join just keep key kind know land large last late later
lay lead learn least leave left leg less let letter level life light like line list listen little live long look lose
lot love low made main make man many mark matter may me mean meet member mind minute miss money month more morning most
mother move much must my name near need never new news next nice night no none nor not note nothing now number of off
offer often oh old on once one only open or order other our out over own page paper part pass past pay people perhaps
person pick piece place plan play please point poor power present press pretty price problem pull push put question
quick quite rather reach read ready real reason red remember rest return right river road rock room round rule run
said same saw say school sea second see seem sell send sense serve set several shall she short should show side sign
simple since sing sit six size sleep small so some something sometimes son soon sorry sound speak special spend stand
star start state stay step still stop story street strong study such sun sure table take talk tell ten than thank that
the their them then there these they thing think third this those though thought three through time to today together
too top toward town tree true try turn two under until up upon us use very visit wait walk wall want war warm was
watch water way we week well went were what when where whether which while white who whole why wide will win window
wish with within without woman word work world would write wrong yeah year yes yet you young your
"""

# One-word aliases and names in the glossary that read as everyday English in chat: the aliases with a
# wordfreq Zipf frequency of 3.8 or more (about once in 160,000 words), and the one-word names of 4.3 or
# more that are general words (Mean, Process, Item, Shift) rather than supply chain vocabulary (Demand,
# Capacity, Inventory, Backlog stay explainable).
_GLOSSARY_EVERYDAY = """
average barrel bias burden buying characteristic charter consequence contribution discrimination element elevation
escape futures heel historian inner interaction lean merchandise mission mix noise offset opportunity parent picking
pipeline producer recall registration regret reservation revision stock stores sweep universe vision whats
bay campaign champion component consumer customer facing feature formula grade impact item lane load mean operation
option pitch population process project quality range risk sample shift sort standard trend trust
"""

# Acronyms in the glossary whose lower-case form is an English word (/usr/share/dict/words): they count
# only when written in capitals ("MAP", "REST", "MOST"); so do all acronyms of one or two letters.
_ACRONYMS = """
    ace alt apt asp bib bpm cab cad cam cites cogs coo cots covert din doe ear ems eta fob hos ids limit mad map mat
    meat mes mom most ohs opt pas pct pert pestle pet pit pod pro radar rag reach rest rid rip roe scar sic sim sop sow
    tam tbs tog tor toy van var wan
"""
EVERYDAY_ACRONYMS = frozenset(_ACRONYMS.split())

COMMON_WORDS = frozenset(normalize(word) for word in (_FREQUENT + _GLOSSARY_EVERYDAY).split())
