"""The words of talent moves in English and French: move verbs, roles, cues of an origin or a
destination, and the words that tell a move from a comment, a lawsuit or a job advert."""

from __future__ import annotations

from bot.core.lexicon import NOT_NAMES
from bot.core.names import ORG_SUFFIXES, TITLES, words
from bot.core.phrases import fold

HIRE = (
    "hire/hires/hired",
    "hiring of",
    "acqui-hire/acqui-hires/acqui-hired/acquihire/acquihires/acquihired",
    "snap/snaps/snapped up",
    "hand-pick/hand-picks/hand-picked/handpick/handpicks/handpicked",
    "pick/picks/picked",
    "appointment/appointments of",
    "nomination de/d",
    "poach/poaches/poached/poaching",
    "tap/taps/tapped",
    "lure/lures/lured",
    "nab/nabs/nabbed",
    "snag/snags/snagged",
    "recruit/recruits/recruited",
    "woo/woos/wooed",
    "bring/brings/brought on/in/aboard/back",
    "scoop/scoops/scooped up",
    "pick/picks/picked up",
    "appoint/appoints/appointed",
    "name/names/named",
    "steal/steals/stole",
    "grab/grabs/grabbed",
    "land/lands/landed",
    "welcome/welcomes/welcomed",
    "add/adds/added",
    "promote/promotes/promoted",
    "elevate/elevates/elevated",
    "taps",
    "rehire/rehires/rehired",
    "recrute/recrutent/recrutee/recrutes/recrutees",
    "embauche/embauchent/embauchee",
    "debauche/debauchent/debauchee/debauches",
    "attire/attirent",
    "arrache/arrachent",
    "chipe/chipent",
    "pique/piquent/ravit/ravissent/subtilise/subtilisent",
    "s offre",
    "s attache les services",
    "fait/font venir/revenir",
    "nomme/nommee/nommes/nommees/nomment",
    "recupere/recuperent",
    "enrole/enrolent",
    "rapatrie/rapatrient",
    "engage/engagent",
    "rachete/rachetent les talents",
    "confie/confient",
)
JOIN = (
    "join/joins/joined/joining",
    "rejoin/rejoins/rejoint/rejoindre/rejoignent/rejoindra/rejoignait",
    "head/heads/heading/headed to",
    "move/moves/moved/moving to",
    "defect/defects/defected/defecting to",
    "jump/jumps/jumped/jumping to",
    "switch/switches/switched to",
    "sign/signs/signed on/with",
    "decamp/decamps/decamped",
    "land/lands/landed at",
    "end/ends/ended up at",
    "return/returns/returned/returning to",
    "back at/to/with",
    "now at/with",
    "is/was now",
    "now lead/leads/runs/heads/oversees/directs",
    "now work/works/working",
    "dirigera/dirigeront/codirigera/pilotera/piloteront",
    "va/vont diriger/piloter",
    "reapparait/reapparaissent/resurgit",
    "will oversee/direct",
    "to oversee/direct",
    "est/sont desormais/maintenant",
    "start/starts/started/starting at",
    "resurface/resurfaces/resurfaced",
    "take/takes/took/taking over",
    "will run/lead/head",
    "to run/lead/head/co-lead/colead",
    "co-lead/co-leads/colead",
    "go/goes/went/going to",
    "part/partir/partira/partent/parti/partie/partis chez",
    "file/filent chez",
    "passe/passent/passer/passera chez",
    "debarque/debarquent chez",
    "prend/prendra/prendre/prennent la tete/direction",
    "prend/prendra/prendre/prennent les renes",
    "a la direction",
    "take/takes/took/taking the helm/reins",
    "a la tete",
    "arrive/arrivent/arrivera chez",
    "s engage chez",
    "retourne/retournent chez",
    "revient/reviennent chez",
    "de retour chez/a",
    "desormais chez",
    "devient/deviendra",
    "rallie/rallient",
    "s envole/envolent pour/vers",
    "new position/role/job as/at",
    "accept/accepts/accepted a/the role/position/job/offer",
    "a role/position as",
    "start/starts/started/starting a/her/his new position/role/job",
    "start/starts/started/starting new position/role/job",
    "hello/bonjour",
    "starting/started/start as",
)
# Words that announce someone's arrival without a verb to hang the places on ("Mistral AI :
# arrivée de X", "Nouvelle recrue pour H Company"): the organisation the headline is about gains them.
ARRIVE = (
    "arrivee de/d",
    "arrival of",
    "nouvelle recrue",
    "new hire/recruit",
    "recrue",
    "welcome/welcomes/welcoming",
    "accueille/accueillent",
)
LEAVE = (
    "leave/leaves/left/leaving",
    "depart/departs/departed/departing",
    "departure",
    "exit/exits/exited/exiting",
    "quit/quits/quitting",
    "step/steps/stepped/stepping down",
    "resign/resigns/resigned/resigning",
    "walk/walks/walked out",
    "part/parts/parted ways",
    "is/was out at",
    "loses/lost/losing",
    "quitte/quittent/quitter/quittera/quittait",
    "demissionne/demissionnent/demission",
    "claque/claquent la porte",
    "s en va",
    "perd/perdent",
    "tire sa reverence",
    "goodbye/adieu/farewell",
    "depart",
)
FOUND = (
    "co-found/co-founds/co-founded/co-founding/cofound/cofounds/cofounded/cofounding",
    "found/founds",
    "founded a/an/his/her/their/new",
    "launch/launches/launched/launching/start/starts/started/starting a/an/his/her/their/its/own/new"
    " startup/start-up/company/lab/venture/firm/fund/nonprofit/business",
    "launch/launches/launched/launching/start/starts/started/starting his/her/their own",
    "launch/launches/launched/launching/start/starts/started/starting * startup/start-up/company/lab"
    "/venture/firm/fund/nonprofit",
    "launch/launches/launched/launching/start/starts/started/starting startup/start-up/company/lab"
    "/venture/firm/fund/nonprofit",
    "to start/launch/found/create/set",
    "plan/plans/planning/plot/plots a/new startup/start-up/company/lab/venture",
    "fonde/fondent/fonder/cofonde/cofondent/co-fonde/co-fondent",
    "lance/lancent/lancer",
    "cree/creent/creer sa/son/une/un",
    "pour fonder/creer/lancer",
)
ACQUI = (
    "acqui-hire/acqui-hires/acqui-hired/acquihire/acquihires/acquihired",
    "license-and-hire",
    "licensing deal/agreement",
    "license/licenses/licensed its",
    "licence et embauche",
    "accord de licence",
    "une licence",
    "licence sur/de",
    "license/licence/licensing/licenses/licensed its/their/the technology/models/tech",
    "hire/hires/hired/hiring its/the founders/cofounders/co-founders/team",
    "hires founders",
    "and team",
    "whole/entire team",
    "team will join",
    "team joins",
    "l equipe rejoint",
    "toute l equipe",
    "rachete/rachetent les talents",
)
LAWSUIT = (
    "sue/sues/sued/suing",
    "lawsuit/lawsuits",
    "trade secret/secrets",
    "secrets d affaires",
    "porte plainte",
    "poursuit/poursuivent un/une/deux/trois/l/le/la/en",
    "poursuit/poursuivent son/sa/ses ancien/ancienne/anciens/anciennes/ex",
    "plainte",
    "proces",
    "accuse/accuses/accused",
    "charged with",
    "indicted",
    "inculpe/inculpee",
)
ADVERT = (
    "we re hiring",
    "we are hiring",
    "apply now",
    "job opening/openings",
    "offre/offres d emploi",
    "cdi",
    "postulez",
    "rejoignez",
    "join our/us",
)

# Words that say what someone is: after an organisation they make it the person's employer.
ROLE_WORDS = words("""researcher researchers scientist scientists engineer engineers exec execs executive
    executives veteran veterans vet alum alums alumni alumnus alumna co-founder co-founders
    cofounder cofounders founder founders ceo cto cfo coo cpo head lead leader leaders director
    chief president vp staff staffer staffers professor employee employees boss manager expert
    team talent talents chercheur chercheurs chercheuse chercheuses ingenieur ingenieure
    ingenieurs patron patronne dirigeant dirigeante dirigeants directeur directrice responsable
    cofondateur cofondatrice cofondateurs co-fondateur fondateur fondatrice fondateurs
    scientifique scientifiques salarie salaries employe employes equipe officer officers vice
    numero co-lead colead co-leads member members figure pilier vedette chef cheffe deputy
    adjoint adjointe assistant creator co-creator createur creatrice co-createur co-creatrice
    inventor architect author auteur autrice""")
# Words a role often carries before it ("OpenAI's top AI researcher", "Apple search veteran").
ROLE_FILLERS = words(
    "top star senior principal lead ai ml research search safety policy hardware former veteran "
    "chief leading prominent reasoning famed longtime long-time key founding"
)
EX = frozenset({"ex", "former", "formerly", "ancien", "ancienne", "anciens", "anciennes"})
ALUM = frozenset({"alum", "alums", "alumni", "alumnus", "alumna", "veteran", "veterans", "vet"})
PAST = words("""after spent years decade months weeks stint previously formerly recently was were had earlier
    apres ans annees mois passe passee passage jusqu ici auparavant etait avait""")
LED = frozenset({"ran", "led", "headed", "dirigeait", "pilotait"})
CAME = frozenset({"arrive", "arrivent", "vient", "venu", "venue", "issu", "issue", "transfuge"})
# "recrute chez X" takes people from X; "attire chez X" brings them to X.
TAKE_AWAY = words("arrache arrachent chipe chipent pique piquent ravit ravissent subtilise vole")
TAKE_FROM = frozenset({"recrute", "recrutent", "debauche", "debauchent", "puise", "puisent"})
RETURN = words("return returns returned returning back retour revient reviennent rehired rehires")
FOUND_NOUNS = words(
    "startup start-up company firm venture fund fonds lab nonprofit societe entreprise pousse"
)
NAMING = words("called named dubbed baptisee baptise appelee appele announced unveiled annonce")
# Between a "to"/"for"/"chez" and the organisation it introduces ("for Mira Murati's new lab").
SKIP = words("its his her their the new own sa son ses la le l les nouveau nouvelle")
SAYS = words(
    "says said confirms confirmed explains tells told on dit affirme explique confirme estime "
    "raconte announces"
)
BEFORE_BYSTANDER = frozenset({"under", "alongside", "selon", "interview", "avec"})
POSSESSOR = frozenset({"d", "de", "du"})
STRIP_ORG = frozenset({"inc", "ltd", "llc", "corp", "sa", "sas", "gmbh", "plc", "the"})
# Headline words that start with a capital and would otherwise glue to a name or pass for a company.
HEADLINE = words("""francais francaise americain americaine chinois chinoise europeen europeenne britannique
    allemand allemande canadien canadienne exclusive exclusif exclusif breaking guerre nomination
    depart retour coup personal news sources source update mercato salaires interview podcast why
    how ask show hn nouveau nouvelle excited thrilled happy heureux parmi selon
    another two three four five deux trois quatre cinq science announces announced announce
    unveils confirms reveals expands completes annonce says japonais japonaise italien italienne
    espagnol espagnole indien indienne coreen coreenne suisse belge israelien israelienne russe
    japanese german indian korean canadian swiss israeli italian spanish russian israelien""")
BREAK_WORDS = (NOT_NAMES - ORG_SUFFIXES) | TITLES | ROLE_WORDS | EX | HEADLINE

TRIGGERS = ("hire", "join", "leave", "found", "acqui", "arrive")

# After a capitalised name, these make it a team or a place ("its Tel Aviv team").
UNIT_NOUNS = words("team teams office hub campus site unit group division bureau equipe")
# What a company has and a person does not: "license Quanta Speech's models".
OWNED = words("models model technology tech products founders cofounders co-founders staff team")
# Before "hire(s)", these make it a noun ("more hires from OpenAI"), not a verb.
NOUN_BEFORE = words(
    "more new recent latest key top its his her their the first biggest star two three four five"
)

# Words that open a name as well as a sentence: "researcher Will Dunn", "tech lead Bin Yu".
FIRST_WORDS = words("will bin van von da di del")

# The organisation before these is the one the person leaves ("Meta loses X to OpenAI").
LOSES = frozenset({"loses", "lost", "losing", "perd", "perdent"})

# How a role found in the headline is shown in the move's line.
ROLE_NAMES = (
    ("chief ai scientist", "chief AI scientist"),
    ("chief scientist", "chief scientist"),
    ("chief technology officer", "CTO"),
    ("chief product officer", "chief product officer"),
    ("research director", "research director"),
    ("directeur scientifique", "directeur scientifique"),
    ("directrice scientifique", "directrice scientifique"),
    ("cto", "CTO"),
    ("ceo", "CEO"),
    ("cfo", "CFO"),
    ("co-founder", "co-founder"),
    ("cofounder", "co-founder"),
    ("cofondateur", "cofondateur"),
    ("head", "head"),
    ("directeur", "directeur"),
    ("directrice", "directrice"),
    ("responsable", "responsable"),
    ("patron", "patron"),
    ("lead", "lead"),
    ("researcher", "researcher"),
    ("scientist", "scientist"),
    ("engineer", "engineer"),
    ("chercheur", "chercheur"),
    ("chercheuse", "chercheuse"),
    ("ingenieur", "ingénieur"),
)

# After "says", these make it the speaker's own move ("X says she is leaving").
SELF = words("he she i il elle je his her my son sa ses mon ma mes")

# Words without which a sentence of the description cannot change what the headline already says
# (an acqui-hire's deal, a more recent employer, a new company's name): once the headline has named
# people, origin and destination, only sentences with one of them are read.
BODY_HINTS = (
    "licen", "acqui", "team", "equipe", "talent", "founder", "fondat", "before", "avant",
    "recent", "dernier", "stint", "passage", "deal", "accord", "spent", "passe",
)  # fmt: skip
# The " - Outlet" that aggregators append to headlines, and the " - Name" of a personal post.
OUTLETS = frozenset(
    fold(o)
    for o in (
        "Reuters", "Bloomberg", "CNBC", "TechCrunch", "The Verge", "Business Insider", "Insider",
        "The Information", "Financial Times", "FT", "WSJ", "The Wall Street Journal",
        "Wall Street Journal", "The New York Times", "New York Times", "NYT", "Axios", "Fortune",
        "Forbes", "Wired", "WIRED", "Semafor", "The Guardian", "BBC", "BBC News", "CNN",
        "Le Monde", "Les Echos", "Le Figaro", "Libération", "L'Usine Nouvelle", "BFM",
        "BFM Business", "Numerama", "Frandroid", "01net", "Challenges", "L'Express",
        "Le Parisien", "Siècle Digital", "JDN", "ZDNet", "ZDNet.fr", "Maddyness", "VentureBeat",
        "Ars Technica", "The Decoder", "SiliconANGLE", "Engadget", "Yahoo Finance",
        "MarketWatch", "Business Wire", "PR Newswire", "GlobeNewswire", "The Register",
        "Platformer", "Hacker News", "Reddit", "LinkedIn", "X", "Twitter", "Medium", "Substack",
        "Korben", "Usbek & Rica", "Le Journal du Net", "France Info", "franceinfo", "AFP",
    )
)  # fmt: skip
