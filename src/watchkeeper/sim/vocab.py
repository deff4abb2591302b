"""Word lists the simulated company is made of: names, web sites, documents, data sets."""

from __future__ import annotations

from dataclasses import dataclass

COMPANY_DOMAIN = "corp.example"
PERSONAL_DOMAINS: tuple[str, ...] = (
    "gmail.com", "yahoo.com", "hotmail.com", "outlook.com", "proton.me", "gmx.de")
PARTNER_DOMAINS: tuple[str, ...] = (
    "northwind-logistics.com", "contoso-payments.com", "fabrikam.io", "tailspin-media.com",
    "wideworld-importers.com", "adventure-works.net", "litware-consulting.com")
COMPETITOR_DOMAIN = "lucernepublishing.com"

FIRST_NAMES: tuple[str, ...] = (
    "Aaron", "Abigail", "Adrian", "Aisha", "Alan", "Alice", "Amir", "Ana", "Boris", "Brenda",
    "Bruno", "Carla", "Chen", "Chloe", "Daniel", "Dana", "Deepa", "Diego", "Elena", "Emil",
    "Erin", "Farah", "Felix", "Fiona", "Gabriel", "Grace", "Hana", "Hugo", "Ian", "Ingrid",
    "Isaac", "Jamal", "Jana", "Jun", "Karen", "Kenji", "Lara", "Leon", "Lucia", "Malik",
    "Maria", "Mei", "Nadia", "Noah", "Olga", "Omar", "Paula", "Pedro", "Priya", "Quinn",
    "Rafael", "Rina", "Sara", "Sven", "Tariq", "Tessa", "Uma", "Victor", "Wei", "Yara",
    "Yusuf", "Zoe")
MIDDLE_NAMES: tuple[str, ...] = (
    "Anne", "Blake", "Claire", "Dean", "Eve", "Francis", "Grant", "Hope", "Ivan", "James",
    "Kai", "Lee", "Marie", "Nico", "Owen", "Paige", "Ray", "Rose", "Scott", "Tate", "Wren")
LAST_NAMES: tuple[str, ...] = (
    "Abbott", "Alvarez", "Bauer", "Becker", "Brooks", "Castillo", "Chandra", "Chang", "Cruz",
    "Dubois", "Ellis", "Fischer", "Fujita", "Garcia", "Gupta", "Hansen", "Hoffmann", "Ibrahim",
    "Ivanova", "Jensen", "Kaur", "Keller", "Kim", "Kowalski", "Lambert", "Larsen", "Lim",
    "Lopez", "Meyer", "Moreau", "Nakamura", "Nguyen", "Novak", "Okafor", "Olsen", "Patel",
    "Petrov", "Quinn", "Reyes", "Richter", "Rossi", "Sato", "Schmidt", "Silva", "Singh",
    "Tan", "Torres", "Vogel", "Wagner", "Walsh", "Wong", "Yamada", "Young", "Zhang")

PROJECTS: tuple[str, ...] = (
    "Atlas", "Beacon", "Cobalt", "Delta", "Ember", "Falcon", "Granite", "Harbor", "Iris",
    "Juniper", "Keystone", "Lumen", "Meridian", "Nimbus", "Orion", "Polaris")


@dataclass(frozen=True)
class WebCategory:
    """Sites of one kind, the words their pages are about, and how often people go there."""

    name: str
    domains: tuple[str, ...]
    words: tuple[str, ...]
    weight: float


WEB: tuple[WebCategory, ...] = (
    WebCategory("work", ("intranet.corp.example", "wiki.corp.example", "jira.corp.example",
                         "sharepoint.corp.example"),
                ("roadmap", "sprint", "policy", "onboarding", "release", "meeting", "budget",
                 "ticket", "design", "review", "quarterly", "okr"), 6.0),
    WebCategory("search", ("google.com", "bing.com", "duckduckgo.com"),
                ("search", "results", "how", "to", "error", "python", "excel", "weather",
                 "translate", "map"), 3.0),
    WebCategory("tech", ("stackoverflow.com", "github.com", "docs.python.org",
                         "developer.mozilla.org", "learn.microsoft.com"),
                ("api", "function", "exception", "install", "library", "query", "deploy",
                 "kubernetes", "sql", "regex"), 2.0),
    WebCategory("news", ("bbc.co.uk", "reuters.com", "nytimes.com", "straitstimes.com",
                         "spiegel.de"),
                ("election", "market", "economy", "climate", "sports", "weather", "world",
                 "politics", "science", "culture"), 2.0),
    WebCategory("social", ("facebook.com", "twitter.com", "instagram.com", "reddit.com"),
                ("photo", "friends", "post", "comment", "like", "share", "video", "story"), 1.0),
    WebCategory("shopping", ("amazon.com", "ebay.com", "zalando.de", "lazada.sg"),
                ("cart", "order", "shoes", "laptop", "discount", "delivery", "review"), 0.8),
    WebCategory("travel", ("booking.com", "expedia.com", "lufthansa.com", "singaporeair.com"),
                ("flight", "hotel", "booking", "itinerary", "visa", "conference"), 0.4),
    WebCategory("finance", ("bloomberg.com", "ft.com", "investing.com"),
                ("stocks", "rates", "earnings", "bonds", "inflation", "forecast"), 0.5),
    WebCategory("webmail", ("mail.google.com", "outlook.live.com", "mail.yahoo.com"),
                ("inbox", "message", "compose", "attachment", "reply"), 0.3),
    WebCategory("cloud", ("dropbox.com", "drive.google.com", "onedrive.live.com", "mega.nz"),
                ("upload", "share", "folder", "sync", "backup", "files"), 0.0),
    WebCategory("job", ("indeed.com", "monster.com", "careerbuilder.com", "glassdoor.com",
                        "linkedin.com"),
                ("jobs", "resume", "salary", "hiring", "career", "interview", "opening",
                 "apply", "recruiter"), 0.0),
    WebCategory("leak", ("wikileaks.org",),
                ("leak", "documents", "submission", "anonymous", "whistleblower",
                 "secure", "drop"), 0.0),
    WebCategory("hacking", ("keylogger-pro.net", "spytech-tools.com"),
                ("keylogger", "download", "stealth", "capture", "keystrokes", "monitor",
                 "password"), 0.0),
)
GENAI = WebCategory(
    "genai", ("chatgpt.com", "claude.ai", "gemini.google.com", "copilot.microsoft.com",
              "perplexity.ai", "chat.mistral.ai"),
    ("summarize", "rewrite", "draft", "explain", "translate", "code", "table", "email",
     "meeting", "notes", "report", "customer", "sql", "python", "slide", "review"), 1.0)
"""Generative-AI assistants (realistic profile): visited, prompted and uploaded to."""
GENAI_DOMAINS: tuple[str, ...] = GENAI.domains
"""The shipped generative-AI domain list; `SimConfig` runs use it as is."""
WEB = (*WEB, GENAI)
CATEGORY = {c.name: i for i, c in enumerate(WEB)}
RECORD_FIELDS: tuple[str, ...] = (
    "user_id", "name", "email", "phone", "address", "dob", "country", "account", "iban",
    "last_login", "plan", "status")
"""Column names of customer user records, as pasted into a prompt."""


def web_categories(genai: bool) -> tuple[WebCategory, ...]:
    """The web mix of a run: the classic categories, plus generative AI if asked."""
    return WEB if genai else WEB[:-1]

DOC_TOPICS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("budget", ("budget", "forecast", "cost", "quarter", "spend")),
    ("roadmap", ("roadmap", "milestone", "feature", "release", "priority")),
    ("customer_list", ("customer", "account", "contract", "renewal", "contact")),
    ("design", ("architecture", "service", "diagram", "interface", "latency")),
    ("meeting_notes", ("meeting", "action", "owner", "decision", "followup")),
    ("report", ("report", "metrics", "trend", "summary", "analysis")),
    ("policy", ("policy", "compliance", "access", "retention", "audit")),
    ("proposal", ("proposal", "pricing", "scope", "timeline", "partner")),
    ("invoice", ("invoice", "payment", "vendor", "amount", "due")),
    ("salary_review", ("salary", "compensation", "review", "grade", "bonus")),
    ("incident_review", ("incident", "outage", "root", "cause", "remediation")),
    ("source_export", ("source", "code", "module", "repository", "build")),
)
DOC_EXTENSIONS: tuple[str, ...] = ("docx", "xlsx", "pdf", "pptx", "txt", "csv")
FILE_TREES: tuple[str, ...] = (
    "R:\\", "R:\\;R:\\Documents", "R:\\;R:\\Photos;R:\\Documents", "R:\\;R:\\Backup",
    "R:\\;R:\\Projects;R:\\Projects\\Archive", "R:\\;R:\\Music;R:\\Documents")
MAIL_WORDS: tuple[str, ...] = (
    "meeting", "update", "schedule", "please", "review", "thanks", "attached", "deadline",
    "project", "status", "customer", "invoice", "lunch", "question", "approval", "call",
    "report", "draft", "feedback", "team", "release", "budget", "plan", "issue")


@dataclass(frozen=True)
class Dataset:
    """One entry of the data-store catalog."""

    name: str
    region: str
    sensitivity: str
    owner_team: str
    description: str


_DATASET_KINDS: tuple[tuple[str, str, str, str], ...] = (
    ("user_profiles", "restricted", "Data Platform", "customer identity and contact records"),
    ("payments", "restricted", "Payments Risk", "card and bank payment transactions"),
    ("messages", "high", "Core Services", "customer in-app messages"),
    ("support_tickets", "medium", "Tier 2", "customer support tickets and notes"),
    ("analytics_events", "medium", "Insights", "pseudonymous product analytics events"),
    ("billing_invoices", "high", "Accounting", "customer invoices and billing history"),
)


def datasets(regions: tuple[str, ...]) -> tuple[Dataset, ...]:
    """The catalog: every kind of data set once per region, plus global ones."""
    rows = [Dataset(f"{kind}_{region.lower()}", region, sens, team,
                    f"{desc} of {region} customers")
            for kind, sens, team, desc in _DATASET_KINDS for region in regions]
    rows.append(Dataset("hr_records", "US", "restricted", "People Operations",
                        "employee HR records, all regions"))
    rows.append(Dataset("product_catalog", "US", "low", "Web", "public product catalog"))
    return tuple(rows)
