package catalogtest

// Word lists the generator draws names and text from. domainWords[0] must
// stay "payments" so that component 0 is KnownComponent.

var domainWords = []string{
	"payments", "billing", "checkout", "identity", "search", "ledger", "fraud", "risk",
	"compliance", "onboarding", "notifications", "messaging", "catalog", "inventory",
	"shipping", "logistics", "pricing", "promotions", "loyalty", "analytics", "reporting",
	"accounts", "auth", "orders", "returns", "subscriptions", "invoicing", "payouts",
	"settlement", "kyc", "support", "content", "media", "recommendations", "ads",
	"marketplace", "partners", "merchants", "treasury", "tax",
}

var areaWords = []string{"platform", "experience", "products", "foundations"}

var teamWords = []string{
	"team", "enablement", "infra", "sre", "data", "growth", "integrations", "mobile", "web",
	"reliability", "tooling", "backend", "frontend", "squad", "guild",
}

var systemWords = []string{"core", "engine", "hub", "portal", "pipeline", "gateway", "services", "suite", "ops", "store"}

var roleWords = []string{
	"api", "service", "worker", "gateway", "web", "ui", "sync", "indexer", "consumer",
	"scheduler", "adapter", "exporter", "proxy", "cli", "sdk", "batch", "jobs", "router",
	"store", "bff",
}

var roleDesc = map[string]string{
	"api": "Public API", "service": "Backend service", "worker": "Background worker",
	"gateway": "Edge gateway", "web": "Web application", "ui": "Internal UI",
	"sync": "Synchronisation job", "indexer": "Search indexer", "consumer": "Event consumer",
	"scheduler": "Scheduler", "adapter": "Third-party adapter", "exporter": "Metrics exporter",
	"proxy": "Caching proxy", "cli": "Command-line tool", "sdk": "Client SDK",
	"batch": "Nightly batch", "jobs": "Job runner", "router": "Request router",
	"store": "Storage service", "bff": "Backend for frontend",
}

var apiTypes = []string{"openapi", "grpc", "asyncapi", "graphql"}

var apiSuffix = map[string]string{"openapi": "rest", "grpc": "grpc", "asyncapi": "events", "graphql": "graphql"}

var resourceTypes = []string{"database", "cache", "queue", "s3-bucket", "kafka-topic"}

var resourceSuffix = map[string]string{"database": "db", "cache": "cache", "queue": "queue", "s3-bucket": "bucket", "kafka-topic": "topic"}

var resourceDesc = map[string]string{
	"database": "PostgreSQL database", "cache": "Redis cache", "queue": "SQS queue",
	"s3-bucket": "S3 bucket", "kafka-topic": "Kafka topic",
}

type language struct{ name, tag string }

var languages = []language{
	{"Go 1.23", "go"}, {"Java 21", "java"}, {"Kotlin 2.0", "kotlin"}, {"TypeScript 5", "typescript"},
	{"Python 3.12", "python"}, {"Rust 1.80", "rust"}, {"Scala 3", "scala"}, {"C++20", "c++"},
}

var extraTags = []string{"rest", "grpc", "kafka", "postgres", "redis", "pci-dss", "gdpr", "internal", "public", "k8s", "lambda", "batch"}

var firstNames = []string{
	"maria", "samuel", "jane", "tom", "aisha", "wei", "lucas", "fatima", "oliver", "yuki",
	"noah", "amara", "liam", "sofia", "mateo", "chloe", "ravi", "elena", "kwame", "ingrid",
	"diego", "hana", "omar", "lea", "arjun", "zoe", "felix", "nia", "hugo", "mei",
	"pablo", "sara", "ivan", "leila", "jonas", "priya", "marco", "anya", "kenji", "alice",
	"ben", "clara", "david", "emma", "farid", "greta", "hiro", "isla", "jakub", "kira",
}

var lastNames = []string{
	"gonzalez", "lee", "doe", "becker", "khan", "zhang", "silva", "haddad", "smith", "tanaka",
	"johnson", "okafor", "murphy", "rossi", "garcia", "martin", "patel", "popescu", "mensah", "larsen",
	"fernandez", "kim", "hassan", "dubois", "sharma", "nguyen", "schmidt", "adeyemi", "moreau", "chen",
	"lopez", "cohen", "petrov", "rahimi", "berg", "iyer", "bianchi", "volkova", "sato", "walker",
	"brown", "novak", "wilson", "meyer", "karimi", "lindqvist", "yamamoto", "ortiz", "kowalski", "singh",
}

var roles = []string{
	"Software Engineer", "Senior Software Engineer", "Staff Software Engineer", "Site Reliability Engineer",
	"Data Engineer", "Product Engineer", "Engineering Manager", "Principal Engineer", "QA Engineer",
}

var verbs = []string{
	"handles", "validates", "aggregates", "publishes", "reconciles", "routes", "caches", "exports",
	"schedules", "indexes", "enriches", "deduplicates", "archives", "streams", "authorises", "settles",
}

var adjectives = []string{
	"incoming", "pending", "failed", "daily", "real-time", "regional", "merchant", "customer",
	"partner", "high-value", "recurring", "internal", "batched", "idempotent", "audited", "encrypted",
}

var nouns = []string{
	"payments", "refunds", "invoices", "orders", "events", "accounts", "transfers", "webhooks",
	"reports", "sessions", "tokens", "disputes", "payouts", "quotes", "receipts", "subscriptions",
}

var tails = []string{
	"for the EU and US regions", "before they reach the ledger", "with at-least-once delivery",
	"within a 40 ms budget", "behind the api-gateway", "for finance and support teams",
	"using the outbox pattern", "every five minutes", "on behalf of merchants",
	"with PCI-DSS controls", "across all acquirers", "for the mobile apps",
}

type alert struct{ name, meaning string }

var alerts = []alert{
	{"HighErrorRate", "5xx ratio above 1% for 5 minutes."},
	{"LatencyHigh", "p99 latency above 800 ms for 10 minutes."},
	{"QueueBacklog", "More than 10,000 messages waiting for over 15 minutes."},
	{"PodRestarts", "More than 3 restarts of one pod in 30 minutes."},
	{"SaturationHigh", "CPU above 85% across the deployment for 15 minutes."},
	{"DependencyDown", "A synchronous dependency returns errors for more than 2 minutes."},
}

var steps = []string{
	"Open the golden-signals dashboard and check whether errors come from one route.",
	"Check recent deploys: `argocd app history {name}-prod`; a deploy in the last 30 minutes is the usual cause.",
	"Look at the logs: `kubectl -n {name} logs deploy/{name} --since=15m | grep -i error`.",
	"Scale out if saturated: `kubectl -n {name} scale deploy/{name} --replicas=12`.",
	"If a dependency is failing, follow its runbook and post in #incidents.",
	"Check the database connection pool: `SELECT count(*) FROM pg_stat_activity;`.",
	"Drain the backlog with `make replay-dlq` once the cause is fixed.",
}
